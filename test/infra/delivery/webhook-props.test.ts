import { Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CapillaryEventPoller } from '../../../infra/capillary-event-poller.js';
import { readAppContext } from '../../../infra/context.js';
import type { PollerWebhook } from '../../../infra/delivery/webhook-props.js';
import { validateWebhooks } from '../../../infra/delivery/webhook-validation.js';
import { validatePollerProps } from '../../../infra/props-validation.js';
import { BASE_URL, testApp, thrownMessage } from '../support.js';

const apiKey = { apiKey: { header: 'x-api-key', secret: 'orders/api-key' } };
const ok: PollerWebhook = {
  name: 'orders',
  eventNames: ['Purchase'],
  url: 'https://orders.example.com/hook',
  auth: apiKey,
};
const problems = (change: Partial<PollerWebhook> | Record<string, unknown>) =>
  validateWebhooks([{ ...ok, ...change } as PollerWebhook]);
const at = 'webhooks[0] ("orders")';

describe('webhook props validation', () => {
  it('accepts a plain webhook, a signed one and both presets without auth', () => {
    expect(
      validateWebhooks([
        ok,
        {
          name: 'signed',
          eventNames: ['Purchase'],
          url: 'https://orders.example.com/hook?tenant=7',
          signing: { secret: 'orders/signing' },
        },
        {
          name: 'slack',
          eventNames: ['Purchase'],
          preset: 'slack',
          url: { secret: 'slack/sales' },
        },
        {
          name: 'pager',
          eventNames: ['Purchase'],
          preset: 'pagerduty',
          routingKey: { secret: 'pd/vip', field: 'routingKey' },
          severity: 'critical',
        },
      ]),
    ).toEqual([]);
  });

  it.each<[string, Partial<PollerWebhook> | Record<string, unknown>, string[]]>([
    [
      'a bad name',
      { name: 'order hook' },
      [
        'webhooks[0].name must be 1 to 64 letters, digits or "-", starting with a letter or digit, got "order hook"',
      ],
    ],
    ['no event names', { eventNames: [] }, [`${at}.eventNames must list at least one event name`]],
    [
      'an empty and a repeated event name',
      { eventNames: ['A', '', 'A'] },
      [`${at}.eventNames[1] must be a non-empty string`, `${at}.eventNames lists "A" twice`],
    ],
    [
      'plain http',
      { url: 'http://orders.example.com/hook' },
      [`${at}.url must use https://, got "http://orders.example.com/hook"`],
    ],
    [
      'not a URL',
      { url: 'orders.example.com' },
      [`${at}.url must be an https:// URL, got "orders.example.com"`],
    ],
    [
      'credentials in the URL',
      { url: 'https://user:pw@orders.example.com/' },
      [
        `${at}.url must not carry credentials (user:password@): use auth, so they stay in Secrets Manager`,
      ],
    ],
    [
      'a Slack hook URL in plain text',
      { url: 'https://hooks.slack.com/services/T0/B0/abc', preset: 'slack', auth: undefined },
      [
        `${at}.url is a Slack webhook URL, which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'a Slack workflow URL under the slack preset',
      { url: 'https://hooks.slack.com/triggers/T0/123/abc', preset: 'slack', auth: undefined },
      [
        `${at}.url is a Slack webhook URL, which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'a Teams webhook URL',
      { url: 'https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456' },
      [
        `${at}.url is a Microsoft Teams webhook URL, which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'a Teams workflow URL',
      {
        url: 'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=AbC',
      },
      [
        `${at}.url is a Power Automate / Logic Apps workflow URL (its sig parameter is a key), which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'a Discord webhook URL',
      { url: 'https://discord.com/api/webhooks/123/abcDEF' },
      [
        `${at}.url is a Discord webhook URL, which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'a Google Chat webhook URL',
      { url: 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t' },
      [
        `${at}.url is a Google Chat webhook URL (its key and token are in the query), which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'a token in the query',
      { url: 'https://orders.example.com/hook?tenant=7&token=abc&X-Api-Key=k' },
      [
        `${at}.url is a URL whose query carries a credential ("token", "X-Api-Key"), which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
      ],
    ],
    [
      'no URL',
      { url: undefined },
      [`${at}.url is required: an https:// URL, or { "secret": "<name or ARN>" } holding one`],
    ],
    [
      'no auth without a preset',
      { auth: undefined },
      [
        `${at}.auth is required: one of apiKey, basic or oauthClientCredentials (a signed webhook, or the slack and pagerduty presets, may leave it out)`,
      ],
    ],
    [
      'two auth kinds',
      { auth: { ...apiKey, basic: { username: 'u', secret: 's' } } },
      [
        `${at}.auth must have exactly one of apiKey, basic or oauthClientCredentials, got ["apiKey","basic"]`,
      ],
    ],
    [
      'a secret value where a reference belongs (not echoed)',
      { auth: { apiKey: { header: 'x-api-key', secret: 'sk live 123 456' } } },
      [
        `${at}.auth.apiKey.secret must be a Secrets Manager secret name or ARN, not a value (letters, digits and /_+=.@- only)`,
      ],
    ],
    [
      'a URL pasted as a secret',
      {
        url: { secret: 'https://hooks.slack.com/services/T0/B0/abc' },
        preset: 'slack',
        auth: undefined,
      },
      [
        `${at}.url.secret must be a Secrets Manager secret name or ARN, not a value (letters, digits and /_+=.@- only)`,
      ],
    ],
    [
      'a signing value instead of a reference (not echoed)',
      { signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La LaSw' } },
      [
        `${at}.signing.secret must be a Secrets Manager secret name or ARN, not a value (letters, digits and /_+=.@- only)`,
      ],
    ],
    [
      'a bad header',
      { auth: { apiKey: { header: 'x api key', secret: 's' } } },
      [`${at}.auth.apiKey.header must be an HTTP header name, got "x api key"`],
    ],
    [
      'an http token URL',
      {
        auth: {
          oauthClientCredentials: {
            tokenUrl: 'http://auth.example.com/token',
            clientId: 'c',
            secret: 's',
          },
        },
      },
      [
        `${at}.auth.oauthClientCredentials.tokenUrl must use https://, got "http://auth.example.com/token"`,
      ],
    ],
    [
      'a rate limit of 0',
      { rateLimitPerSecond: 0 },
      [`${at}.rateLimitPerSecond must be a whole number from 1 to 300, got 0`],
    ],
    [
      'a rate limit of 301',
      { rateLimitPerSecond: 301 },
      [`${at}.rateLimitPerSecond must be a whole number from 1 to 300, got 301`],
    ],
    [
      '186 retries',
      { retryAttempts: 186 },
      [`${at}.retryAttempts must be a whole number from 0 to 185, got 186`],
    ],
    [
      'a max event age under a minute',
      { maxEventAge: Duration.seconds(30) },
      [`${at}.maxEventAge must be whole seconds from 1 minute to 24 hours, got 30 seconds`],
    ],
    [
      'an unknown preset',
      { preset: 'teams', auth: undefined },
      [`${at}.preset must be "slack" or "pagerduty", got "teams"`],
    ],
    [
      'a preset and a template',
      { preset: 'slack', inputTemplate: { a: 1 } },
      [`${at} has both preset and inputTemplate: choose one`],
    ],
    [
      'PagerDuty without a routing key',
      { preset: 'pagerduty', url: undefined, auth: undefined },
      [
        `${at}.routingKey is required with the pagerduty preset: { "secret": "<name or ARN>", "field"?: "<JSON key>" }`,
      ],
    ],
    [
      'a routing key without PagerDuty',
      { routingKey: { secret: 'pd/key' }, severity: 'info' },
      [
        `${at}.routingKey is only for the pagerduty preset`,
        `${at}.severity is only for the pagerduty preset`,
      ],
    ],
    [
      'onReplay not a boolean',
      { onReplay: 'yes' },
      [`${at}.onReplay must be true or false, got "yes"`],
    ],
    [
      'a detail that is not an object',
      { detail: ['x'] },
      [`${at}.detail must be an object (an EventBridge detail pattern)`],
    ],
  ])('refuses %s', (_, change, expected) => {
    expect(problems(change)).toEqual(expected);
  });

  it('refuses two webhooks with one name', () => {
    expect(validateWebhooks([ok, ok])).toEqual([
      'webhooks[1].name "orders" is used by another webhook',
    ]);
  });

  it('is part of the construct props validation, with alerts’ onReplay checked too', () => {
    expect(
      validatePollerProps({
        capillaryBaseUrl: BASE_URL,
        alerts: [
          { name: 'vip', eventNames: ['A'], email: ['a@example.com'], onReplay: 1 as never },
        ],
        webhooks: [{ ...ok, rateLimitPerSecond: 500 }],
      }),
    ).toEqual([
      'alerts[0] ("vip").onReplay must be true or false, got 1',
      `${at}.rateLimitPerSecond must be a whole number from 1 to 300, got 500`,
    ]);
    expect(
      thrownMessage(
        () =>
          new CapillaryEventPoller(new Stack(testApp(), 'Bad'), 'Poller', {
            capillaryBaseUrl: BASE_URL,
            webhooks: [{ ...ok, url: 'http://x.example.com' }],
          }),
      ),
    ).toBe(
      `Invalid CapillaryEventPoller props:\n- ${at}.url must use https://, got "http://x.example.com"`,
    );
  });
});

describe('-c webhooks (cdk.json context)', () => {
  const read = (webhooks: unknown) =>
    readAppContext((key) => ({ capillaryBaseUrl: BASE_URL, webhooks })[key as string]);

  it('reads real JSON and a -c string alike, seconds into maxEventAge', () => {
    const webhooks = [
      { ...ok, maxEventAgeSeconds: 3600, onReplay: true },
      {
        name: 'pager',
        eventNames: ['TierDowngrade'],
        preset: 'pagerduty',
        routingKey: { secret: 'pd/vip' },
      },
    ];
    for (const value of [webhooks, JSON.stringify(webhooks)]) {
      const props = read(value).poller(new Stack(testApp(), 'Ctx'));
      expect(props.webhooks?.map(({ name }) => name)).toEqual(['orders', 'pager']);
      expect(props.webhooks?.[0]?.maxEventAge?.toSeconds()).toBe(3600);
      expect(props.webhooks?.[0]).toMatchObject({ onReplay: true, auth: apiKey });
      expect(validatePollerProps(props)).toEqual([]);
    }
  });

  it('stops before synthesis with every problem, shape and value', () => {
    expect(
      thrownMessage(() =>
        read([
          { ...ok, url: 'http://orders.example.com', rateLimitPerSecond: 0 },
          { ...ok, name: 'orders' },
        ]),
      ).split('\n'),
    ).toEqual([
      'Invalid CDK context:',
      `- -c ${at}.url must use https://, got "http://orders.example.com"`,
      `- -c ${at}.rateLimitPerSecond must be a whole number from 1 to 300, got 0`,
      '- -c webhooks[1].name "orders" is used by another webhook',
    ]);
  });

  it('passes an alert’s onReplay from context to the props, which refuse a non-boolean one', () => {
    const alert = { name: 'vip', eventNames: ['A'], email: ['a@example.com'] };
    const settings = readAppContext(
      (key) =>
        ({ capillaryBaseUrl: BASE_URL, alerts: [{ ...alert, onReplay: true }] })[key as string],
    );
    expect(settings.poller(new Stack(testApp(), 'Alerts')).alerts?.[0]?.onReplay).toBe(true);
    expect(
      validatePollerProps({
        capillaryBaseUrl: BASE_URL,
        alerts: [{ ...alert, onReplay: 'no' as never }],
      }),
    ).toEqual(['alerts[0] ("vip").onReplay must be true or false, got "no"']);
  });

  it('names unknown keys and bad shapes', () => {
    expect(thrownMessage(() => read({ name: 'x' }))).toBe(
      'Invalid CDK context:\n- -c webhooks: expected a JSON list of webhooks, got {"name":"x"}',
    );
    expect(
      thrownMessage(() => read([{ ...ok, apiKey: 'abc', maxEventAgeSeconds: 'long' }, 'x'])).split(
        '\n',
      ),
    ).toEqual([
      'Invalid CDK context:',
      '- -c webhooks[0]: unknown key "apiKey" (known: name, eventNames, detail, url, auth, preset, routingKey, severity, inputTemplate, rateLimitPerSecond, maxEventAgeSeconds, retryAttempts, onReplay, enabled, signing)',
      '- -c webhooks[0].maxEventAgeSeconds: expected a number, got "long"',
      '- -c webhooks[1]: expected an object, got "x"',
    ]);
  });
});
