// No secret is resolved into a property that is not documented as secret: CloudFormation warns a
// resolved `{{resolve:secretsmanager:...}}` "may show up in the service whose resource it's
// being used in" (DescribeApiDestination would return a Slack URL in plain text).
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedTemplate } from '../shared-stacks.js';

/**
 * Where AWS documents a property as secret (the value is stored in Secrets Manager or masked):
 * a resource type and the property path's start under it.
 */
const SECRET_PROPERTIES: readonly { type: string; path: RegExp }[] = [
  // EventBridge keeps connection credentials in a Secrets Manager secret of its own.
  { type: 'AWS::Events::Connection', path: /^Properties\.AuthParameters\./ },
];

/** Every place in the template a Secrets Manager dynamic reference is resolved, with its resource type. */
function secretReferences(template: Record<string, unknown>): { type: string; path: string }[] {
  const found: { type: string; path: string }[] = [];
  const walk = (value: unknown, type: string, path: string): void => {
    if (typeof value === 'string') {
      if (value.includes('{{resolve:secretsmanager:')) found.push({ type, path });
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, type, `${path}[${index}]`);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        walk(item, type, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  const resources = (template.Resources ?? {}) as Record<string, { Type: string }>;
  for (const resource of Object.values(resources)) walk(resource, resource.Type, '');
  for (const section of ['Outputs', 'Parameters', 'Mappings', 'Conditions', 'Rules']) {
    walk(template[section], section, '');
  }
  return found.filter(
    ({ type, path }) =>
      !SECRET_PROPERTIES.some((allowed) => allowed.type === type && allowed.path.test(path)),
  );
}

describe('secret references in the synthesized template', () => {
  let template: Record<string, unknown>;
  beforeAll(() => {
    template = sharedTemplate('everyFeature').toJSON();
  });

  it('resolves no secret outside the properties AWS documents as secret, webhooks of every kind included', () => {
    expect(secretReferences(template)).toEqual([]);
  });

  it('holds no credential-bearing webhook URL anywhere', () => {
    const everything = JSON.stringify(template);
    for (const host of [
      'hooks.slack.com',
      'webhook.office.com',
      'logic.azure.com',
      'discord.com/api/webhooks',
      'chat.googleapis.com',
    ]) {
      expect(everything).not.toContain(host);
    }
  });

  it('finds a secret resolved into a non-secret property (the check itself)', () => {
    const stack = new Stack(new App(), 'Leaky');
    const connection = new events.Connection(stack, 'Connection', {
      authorization: events.Authorization.apiKey(
        'x-api-key',
        SecretValue.secretsManager('api-key'),
      ),
    });
    new events.ApiDestination(stack, 'Destination', {
      connection,
      endpoint: SecretValue.secretsManager('slack/sales').unsafeUnwrap(),
    });
    expect(secretReferences(Template.fromStack(stack).toJSON())).toEqual([
      { type: 'AWS::Events::ApiDestination', path: 'Properties.InvocationEndpoint' },
    ]);
  });
});
