// Shared by the infra tests: an App configured like `cdk synth` (cdk.json context) minus bundling.
import { readFileSync } from 'node:fs';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import nag from 'cdk-nag';
import type { IConstruct } from 'constructs';
import {
  CapillaryEventPollerStack,
  type CapillaryEventPollerStackProps,
} from '../../infra/capillary-event-poller-stack.js';

const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

export const BASE_URL = 'https://eu.api.capillarytech.com';

/** The context `cdk synth` gets from cdk.json, with bundling skipped (esbuild runs in one test only). */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context } });
}

export interface Synthesized {
  stack: CapillaryEventPollerStack;
  template: Template;
}

/**
 * Builds one poller stack with cdk-nag's AwsSolutions pack registered as app.ts does, so an
 * unacknowledged finding fails its synthesis. Nothing is synthesized yet.
 */
export function buildPollerStack(
  props: CapillaryEventPollerStackProps,
  extend: (stack: CapillaryEventPollerStack) => void = () => {},
): CapillaryEventPollerStack {
  const app = testApp();
  const stack = new CapillaryEventPollerStack(app, 'Test', props);
  extend(stack);
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  return stack;
}

/**
 * Builds and synthesizes a stack of its own, for a test of a configuration no shared stack
 * (shared-stacks.ts) has; cdk-nag fails the synth on an unacknowledged finding.
 */
export function synthPollerStack(
  props: CapillaryEventPollerStackProps,
  extend: (stack: CapillaryEventPollerStack) => void = () => {},
): Synthesized {
  const stack = buildPollerStack(props, extend);
  return { stack, template: Template.fromStack(stack) };
}

/** cdk-nag AwsSolutions findings (errors and warnings) left unacknowledged in the stack. */
export function nagFindings(stack: Stack): string[] {
  const report = new nag.AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.severity} ${violation.ruleName} at ${resource.constructPath}: ${violation.description}`,
    ),
  );
}

/** Every acknowledgement in the tree: the construct path, the rule id and the reason. */
export function acknowledgements(
  scope: IConstruct,
): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** The one resource of `type` in the template (fails when there are more or none). */
export function onlyResource(
  template: Template,
  type: string,
): { id: string; Properties: Record<string, unknown>; [key: string]: unknown } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [id, resource] = found[0] as [string, { Properties: Record<string, unknown> }];
  return { id, ...resource };
}

/** The template's resource behind an L2 construct (its default child), or of an L1 itself. */
export function resourceIn(
  template: Template,
  construct: IConstruct,
): { id: string; Properties: Record<string, unknown>; [key: string]: unknown } {
  const cfn = (
    CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild
  ) as CfnElement;
  const id = Stack.of(cfn).getLogicalId(cfn);
  const resource = template.toJSON().Resources?.[id] as
    | { Properties: Record<string, unknown> }
    | undefined;
  if (resource === undefined) throw new Error(`no resource ${id} in the template`);
  return { id, ...resource };
}

/** The message of what `action` throws. */
export function thrownMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

/** The statement every queue policy starts with: plain HTTP denied to everyone. */
export function denyPlainHttp(queueArn: unknown): Record<string, unknown> {
  return {
    Action: 'sqs:*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Resource: queueArn,
  };
}

/** The condition on CloudWatch's use of the topics' key: this account's alarms only. */
export const ALARMS_OF_THIS_ACCOUNT = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: {
    'aws:SourceArn': {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudwatch:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':alarm:*',
        ],
      ],
    },
  },
};

/** The worker's one table statement: what a poll does to items, on the table itself (no index). */
export function cursorReadWrite(tableArn: unknown): Record<string, unknown> {
  return {
    Effect: 'Allow',
    Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    Resource: tableArn,
  };
}
