import { Token } from 'aws-cdk-lib';
import { checkNamedEntries } from '../check-named-entries.js';
import {
  PAGERDUTY_SEVERITIES,
  type PollerWebhook,
  WEBHOOK_LIMITS,
  WEBHOOK_PRESETS,
  type WebhookAuth,
  type WebhookPreset,
  type WebhookSecretRef,
} from './webhook-props.js';

const WEBHOOK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
/** Secrets Manager names: 1 to 512 of these characters; ARNs start with `arn:`. */
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,512}$/;
/** Webhook hosts whose URLs are their own credential: they belong in a secret. */
const CREDENTIAL_URLS: readonly { kind: string; matches: (url: URL) => boolean }[] = [
  { kind: 'a Slack webhook URL', matches: (url) => url.hostname === 'hooks.slack.com' },
  {
    kind: 'a Microsoft Teams webhook URL',
    matches: (url) => /(^|\.)webhook\.office\.com$/.test(url.hostname),
  },
  {
    kind: 'a Power Automate / Logic Apps workflow URL (its sig parameter is a key)',
    matches: (url) => /(^|\.)logic\.azure\.com$/.test(url.hostname),
  },
  {
    kind: 'a Discord webhook URL',
    matches: (url) =>
      /^(?:[a-z]+\.)?discord(?:app)?\.com$/.test(url.hostname) &&
      /^\/api\/(?:v\d+\/)?webhooks\//.test(url.pathname),
  },
  {
    kind: 'a Google Chat webhook URL (its key and token are in the query)',
    matches: (url) => url.hostname === 'chat.googleapis.com',
  },
];
/** Query parameters named like a credential (`token`, `api_key`, `sig`, `X-Amz-Signature`...). */
const CREDENTIAL_PARAMETER =
  /^(?:sig|code|auth|pass|pwd)$|token|key|secret|signature|password|passwd|credential|session/i;

const show = (value: unknown): string => JSON.stringify(value);
const known = (value: unknown): boolean => !Token.isUnresolved(value);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every problem with the webhooks, in a fixed order; empty when they are fine. */
export function validateWebhooks(webhooks: readonly PollerWebhook[]): string[] {
  const problems: string[] = [];
  const list = {
    list: 'webhooks',
    kind: 'webhook',
    pattern: WEBHOOK_NAME_PATTERN,
    entries: webhooks,
  };
  checkNamedEntries(problems, list, (webhook, label) => {
    validateEventNames(problems, label, webhook.eventNames);
    if (webhook.detail !== undefined && !isObject(webhook.detail)) {
      problems.push(`${label}.detail must be an object (an EventBridge detail pattern)`);
    }

    const preset = webhook.preset;
    if (preset !== undefined && !WEBHOOK_PRESETS.includes(preset)) {
      problems.push(`${label}.preset must be "slack" or "pagerduty", got ${show(preset)}`);
    }
    if (preset !== undefined && webhook.inputTemplate !== undefined) {
      problems.push(`${label} has both preset and inputTemplate: choose one`);
    }
    if (webhook.inputTemplate !== undefined && !isObject(webhook.inputTemplate)) {
      problems.push(`${label}.inputTemplate must be an object (the JSON body)`);
    }
    validateUrl(problems, label, webhook.url, preset);
    if (webhook.signing !== undefined) {
      if (isObject(webhook.signing)) {
        validateSecretRef(problems, `${label}.signing`, webhook.signing);
      } else {
        problems.push(
          `${label}.signing must be { "secret": "<name or ARN of the secret holding whsec_...>", "field"?: "<JSON key>" }`,
        );
      }
    }
    if (webhook.auth === undefined) {
      if (preset === undefined && webhook.signing === undefined) {
        problems.push(
          `${label}.auth is required: one of apiKey, basic or oauthClientCredentials (a signed webhook, or the slack and pagerduty presets, may leave it out)`,
        );
      }
    } else {
      validateAuth(problems, `${label}.auth`, webhook.auth);
    }
    if (preset === 'pagerduty') {
      if (webhook.routingKey === undefined) {
        problems.push(
          `${label}.routingKey is required with the pagerduty preset: { "secret": "<name or ARN>", "field"?: "<JSON key>" }`,
        );
      } else {
        validateSecretRef(problems, `${label}.routingKey`, webhook.routingKey);
      }
      if (webhook.severity !== undefined && !PAGERDUTY_SEVERITIES.includes(webhook.severity)) {
        problems.push(
          `${label}.severity must be one of "critical", "error", "warning", "info", got ${show(webhook.severity)}`,
        );
      }
    } else {
      if (webhook.routingKey !== undefined) {
        problems.push(`${label}.routingKey is only for the pagerduty preset`);
      }
      if (webhook.severity !== undefined) {
        problems.push(`${label}.severity is only for the pagerduty preset`);
      }
    }

    const rate = webhook.rateLimitPerSecond;
    if (
      rate !== undefined &&
      known(rate) &&
      !(
        Number.isInteger(rate) &&
        rate >= WEBHOOK_LIMITS.minRateLimit &&
        rate <= WEBHOOK_LIMITS.maxRateLimit
      )
    ) {
      problems.push(
        `${label}.rateLimitPerSecond must be a whole number from 1 to 300, got ${show(rate)}`,
      );
    }
    const retries = webhook.retryAttempts;
    if (
      retries !== undefined &&
      known(retries) &&
      !(Number.isInteger(retries) && retries >= 0 && retries <= WEBHOOK_LIMITS.maxRetryAttempts)
    ) {
      problems.push(
        `${label}.retryAttempts must be a whole number from 0 to 185, got ${show(retries)}`,
      );
    }
    const age = webhook.maxEventAge;
    if (age !== undefined && !age.isUnresolved()) {
      const seconds = age.toSeconds();
      if (
        !Number.isInteger(seconds) ||
        seconds < WEBHOOK_LIMITS.minMaxEventAgeSeconds ||
        seconds > WEBHOOK_LIMITS.maxMaxEventAgeSeconds
      ) {
        problems.push(
          `${label}.maxEventAge must be whole seconds from 1 minute to 24 hours, got ${age.toHumanString()}`,
        );
      }
    }
    for (const flag of ['onReplay', 'enabled'] as const) {
      const value = webhook[flag];
      if (value !== undefined && typeof value !== 'boolean') {
        problems.push(`${label}.${flag} must be true or false, got ${show(value)}`);
      }
    }
  });
  return problems;
}

function validateEventNames(problems: string[], label: string, eventNames: unknown): void {
  if (!Array.isArray(eventNames) || eventNames.length === 0) {
    problems.push(`${label}.eventNames must list at least one event name`);
    return;
  }
  eventNames.forEach((eventName: unknown, index) => {
    if (typeof eventName !== 'string' || eventName.trim() === '') {
      problems.push(`${label}.eventNames[${index}] must be a non-empty string`);
    } else if (eventNames.indexOf(eventName) !== index) {
      problems.push(`${label}.eventNames lists ${show(eventName)} twice`);
    }
  });
}

function validateUrl(
  problems: string[],
  label: string,
  url: PollerWebhook['url'],
  preset: WebhookPreset | undefined,
): void {
  if (url === undefined) {
    if (preset !== 'pagerduty') {
      problems.push(
        `${label}.url is required: an https:// URL, or { "secret": "<name or ARN>" } holding one`,
      );
    }
    return;
  }
  if (isObject(url)) {
    validateSecretRef(problems, `${label}.url`, url as WebhookSecretRef);
    return;
  }
  if (typeof url !== 'string') {
    problems.push(`${label}.url must be an https:// URL or a secret reference, got ${show(url)}`);
    return;
  }
  if (!known(url)) return;
  httpsUrl(problems, `${label}.url`, url);
  const credential = credentialIn(url);
  if (credential !== undefined) {
    problems.push(
      `${label}.url is ${credential}, which is itself a credential: put the URL in a Secrets Manager secret and give { "secret": "<name or ARN>", "field"?: "<JSON key>" } instead, so it stays out of the template`,
    );
  }
}

/** What makes `url` a credential (a known webhook host, a credential-like query parameter), if anything. */
function credentialIn(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = CREDENTIAL_URLS.find((entry) => entry.matches(parsed));
  if (host !== undefined) return host.kind;
  const names = [...new Set(parsed.searchParams.keys())].filter((name) =>
    CREDENTIAL_PARAMETER.test(name),
  );
  if (names.length > 0) {
    return `a URL whose query carries a credential (${names.map(show).join(', ')})`;
  }
  return undefined;
}

function httpsUrl(problems: string[], name: string, url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`${name} must be an https:// URL, got ${show(url)}`);
    return;
  }
  if (parsed.protocol !== 'https:') {
    problems.push(`${name} must use https://, got ${show(url)}`);
  } else if (parsed.username !== '' || parsed.password !== '') {
    problems.push(
      `${name} must not carry credentials (user:password@): use auth, so they stay in Secrets Manager`,
    );
  }
}

function validateAuth(problems: string[], label: string, auth: WebhookAuth): void {
  if (!isObject(auth)) {
    problems.push(`${label} must be an object with one of apiKey, basic or oauthClientCredentials`);
    return;
  }
  const kinds = (['apiKey', 'basic', 'oauthClientCredentials'] as const).filter(
    (kind) => auth[kind] !== undefined,
  );
  const unknownKeys = Object.keys(auth).filter(
    (key) => !['apiKey', 'basic', 'oauthClientCredentials'].includes(key),
  );
  if (kinds.length !== 1 || unknownKeys.length > 0) {
    problems.push(
      `${label} must have exactly one of apiKey, basic or oauthClientCredentials, got ${show(Object.keys(auth))}`,
    );
    return;
  }
  const kind = kinds[0] as (typeof kinds)[number];
  const at = `${label}.${kind}`;
  const value = auth[kind] as unknown;
  if (!isObject(value)) {
    problems.push(`${at} must be an object`);
    return;
  }
  validateSecretRef(problems, at, value as unknown as WebhookSecretRef);
  if (kind === 'apiKey') {
    const header = value.header;
    if (typeof header !== 'string' || !HEADER_NAME_PATTERN.test(header)) {
      problems.push(`${at}.header must be an HTTP header name, got ${show(header)}`);
    }
  } else if (kind === 'basic') {
    if (typeof value.username !== 'string' || value.username === '') {
      problems.push(`${at}.username must be a non-empty string`);
    }
  } else {
    if (typeof value.tokenUrl !== 'string') {
      problems.push(`${at}.tokenUrl must be an https:// URL, got ${show(value.tokenUrl)}`);
    } else if (known(value.tokenUrl)) {
      httpsUrl(problems, `${at}.tokenUrl`, value.tokenUrl);
    }
    if (typeof value.clientId !== 'string' || value.clientId === '') {
      problems.push(`${at}.clientId must be a non-empty string`);
    }
    if (value.scope !== undefined && typeof value.scope !== 'string') {
      problems.push(`${at}.scope must be a string, got ${show(value.scope)}`);
    }
  }
}

function validateSecretRef(problems: string[], at: string, ref: WebhookSecretRef): void {
  const secret = ref.secret as unknown;
  if (typeof secret !== 'string' || secret === '') {
    problems.push(`${at}.secret must name a Secrets Manager secret (its name or ARN)`);
  } else if (
    known(secret) &&
    !SECRET_ARN_PATTERN.test(secret) &&
    !SECRET_NAME_PATTERN.test(secret)
  ) {
    // A URL or token pasted here would be a value, not a reference: refuse it without echoing it.
    problems.push(
      `${at}.secret must be a Secrets Manager secret name or ARN, not a value (letters, digits and /_+=.@- only)`,
    );
  }
  const field = ref.field as unknown;
  if (field !== undefined && (typeof field !== 'string' || field === '')) {
    problems.push(`${at}.field must be a non-empty JSON key, got ${show(field)}`);
  }
}
