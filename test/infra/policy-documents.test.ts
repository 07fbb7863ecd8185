// Every policy document in the template, whatever resource holds it (IAM policies, role trust
// policies, the KMS key policy, topic and queue policies): no `*` resource, and a service let in
// by a resource policy only for this account's alarms or the one rule that delivers.
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedTemplate } from './shared-stacks.js';
import { ALARMS_OF_THIS_ACCOUNT } from './support.js';

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly NotAction?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}
interface Found {
  /** The resource's type and the property path of the document, e.g. `AWS::KMS::Key KeyPolicy`. */
  readonly where: string;
  readonly resources: Record<string, { Type: string }>;
  readonly statement: Statement;
}

/** Every statement of every document: any object with a `Statement` list, however deep. */
function statementsOf(template: Template): Found[] {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: unknown }
  >;
  const found: Found[] = [];
  const walk = (type: string, path: string, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(type, path, item);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.Statement)) {
      for (const statement of record.Statement as Statement[]) {
        found.push({ where: `${type} ${path}`, resources, statement });
      }
      return;
    }
    for (const [key, child] of Object.entries(record)) {
      walk(type, path === '' ? key : `${path}.${key}`, child);
    }
  };
  for (const resource of Object.values(resources)) walk(resource.Type, '', resource.Properties);
  return found;
}

const services = (principal: unknown): string[] => {
  const service = (principal as { Service?: string | string[] } | undefined)?.Service;
  return service === undefined ? [] : [service].flat();
};
const actions = (statement: Statement): string[] => [statement.Action ?? []].flat();
/** Documents a resource holds to let others in (not identity policies or trust policies). */
const RESOURCE_POLICIES = [
  'AWS::KMS::Key KeyPolicy',
  'AWS::SNS::TopicPolicy PolicyDocument',
  'AWS::SQS::QueuePolicy PolicyDocument',
];

describe.each([
  ['the default stack', 'default'],
  ['a stack with every feature', 'everyFeature'],
] as const)('policy documents of %s', (_name, shared) => {
  let found: Found[];
  beforeAll(() => {
    found = statementsOf(sharedTemplate(shared));
  });

  it('reads the documents of every kind the template holds, and nothing unforeseen', () => {
    const kinds = new Set(found.map((entry) => entry.where));
    expect(
      [...kinds].filter(
        (kind) =>
          ![
            'AWS::IAM::Policy PolicyDocument',
            'AWS::IAM::Role AssumeRolePolicyDocument',
            ...RESOURCE_POLICIES,
          ].includes(kind),
      ),
    ).toEqual([]);
    for (const kind of ['AWS::IAM::Policy PolicyDocument', ...RESOURCE_POLICIES]) {
      expect(kinds).toContain(kind);
    }
  });

  it('has no `*` resource, except a key policy’s own key', () => {
    for (const { where, statement } of found) {
      expect([where, statement.NotResource, statement.NotAction, statement.NotPrincipal]).toEqual([
        where,
        undefined,
        undefined,
        undefined,
      ]);
      // In a key policy `Resource: *` means this key (a key policy governs one key only).
      if (where === 'AWS::KMS::Key KeyPolicy') {
        expect(statement.Resource).toBe('*');
        continue;
      }
      // cloudwatch:PutMetricData has no resource to name; no statement needs it today.
      if (actions(statement).every((action) => action === 'cloudwatch:PutMetricData')) continue;
      expect([where, JSON.stringify(statement.Resource ?? null)]).not.toEqual([
        where,
        expect.stringContaining('*'),
      ]);
    }
  });

  it('lets nobody in as `*`: the only `*` principals are denied plain HTTP', () => {
    for (const { where, statement } of found) {
      const anyone =
        statement.Principal === '*' ||
        JSON.stringify((statement.Principal as { AWS?: unknown } | undefined)?.AWS) === '"*"';
      if (!anyone) continue;
      expect([where, statement.Effect, statement.Condition]).toEqual([
        where,
        'Deny',
        { Bool: { 'aws:SecureTransport': 'false' } },
      ]);
    }
  });

  it('lets a service into a key, topic or queue only for this account’s alarms or its own rule', () => {
    const allowed = found.filter(
      ({ where, statement }) =>
        RESOURCE_POLICIES.includes(where) &&
        statement.Effect === 'Allow' &&
        services(statement.Principal).length > 0,
    );
    expect(allowed.length).toBeGreaterThan(0);
    for (const { where, statement, resources } of allowed) {
      const [service] = services(statement.Principal);
      if (service === 'events.amazonaws.com' && where === 'AWS::KMS::Key KeyPolicy') {
        // AWS does not support aws:SourceArn or aws:SourceAccount in a key policy for EventBridge
        // delivering to an encrypted topic (Amazon SNS Developer Guide, key management): a
        // condition would drop every alert. The topic policy below names the rule instead.
        expect(statement).toEqual({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        });
        continue;
      }
      if (service === 'cloudwatch.amazonaws.com') {
        // CloudWatch sends the alarm's ARN and account: this account's alarms only.
        expect([where, statement.Condition]).toEqual([
          'AWS::KMS::Key KeyPolicy',
          ALARMS_OF_THIS_ACCOUNT,
        ]);
        continue;
      }
      // EventBridge sends the ARN of the rule that delivers: that rule, of this template, only.
      expect([where, service, Object.keys(statement.Condition ?? {})]).toEqual([
        where,
        'events.amazonaws.com',
        ['ArnEquals'],
      ]);
      const sourceArn = statement.Condition?.ArnEquals?.['aws:SourceArn'] as {
        'Fn::GetAtt': [string, string];
      };
      const [ruleId, attribute] = sourceArn['Fn::GetAtt'];
      expect([resources[ruleId]?.Type, attribute]).toEqual(['AWS::Events::Rule', 'Arn']);
    }
  });

  it('lets only Lambda, EventBridge Scheduler of this account, and EventBridge assume the roles', () => {
    const trusts = found.filter(({ where }) => where === 'AWS::IAM::Role AssumeRolePolicyDocument');
    expect(trusts.length).toBeGreaterThan(0);
    for (const { statement } of trusts) {
      const [service] = services(statement.Principal);
      expect(['lambda.amazonaws.com', 'scheduler.amazonaws.com', 'events.amazonaws.com']).toContain(
        service,
      );
      if (service === 'scheduler.amazonaws.com') {
        expect(statement.Condition).toEqual({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        });
      }
    }
  });
});
