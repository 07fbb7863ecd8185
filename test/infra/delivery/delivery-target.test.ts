import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { PollerDeliveries } from '../../../infra/delivery/delivery-target.js';
import { testApp } from '../support.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:ops';

function setup(bus: (stack: Stack) => events.IEventBus) {
  const stack = new Stack(testApp(), 'Deliveries');
  const eventBus = bus(stack);
  const deliveries = new PollerDeliveries(stack, 'Deliveries', {
    eventBus,
    alarmAction: { bind: () => ({ alarmActionArn: TOPIC_ARN }) },
  });
  const rule = (id: string) =>
    new events.Rule(stack, id, { eventBus, eventPattern: { source: ['capillary.events'] } });
  return { stack, deliveries, rule };
}
const targetsOf = (stack: Stack, rule: events.Rule) =>
  (
    Template.fromStack(stack).toJSON().Resources[
      stack.getLogicalId(rule.node.defaultChild as never)
    ] as { Properties: { Targets: Record<string, unknown>[] } }
  ).Properties.Targets;

describe('PollerDeliveries', () => {
  it('applies the retry settings it is given', () => {
    const { stack, deliveries, rule } = setup((s) => new events.EventBus(s, 'Bus'));
    const queue = new sqs.Queue(stack, 'Target');
    const r = rule('Rule');
    deliveries.addTarget('webhook', 'w', r, new targets.SqsQueue(queue), {
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    expect(targetsOf(stack, r)[0]?.RetryPolicy).toEqual({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('keeps a retry policy and a dead-letter queue the target sets itself', () => {
    const { stack, deliveries, rule } = setup((s) => new events.EventBus(s, 'Bus'));
    const own = new sqs.Queue(stack, 'OwnDlq');
    const r = rule('Rule');
    const delivery = deliveries.addTarget(
      'onEvent',
      'own',
      r,
      new targets.SqsQueue(new sqs.Queue(stack, 'Target'), {
        retryAttempts: 3,
        deadLetterQueue: own,
      }),
    );
    expect(targetsOf(stack, r)[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 3 },
      DeadLetterConfig: { Arn: stack.resolve(own.queueArn) },
    });
    expect(delivery.deadLetterQueue).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::SQS::Queue', 2);
  });

  it('uses only the rule name as the metric dimension on the default bus', () => {
    const { deliveries, rule } = setup((s) =>
      events.EventBus.fromEventBusName(s, 'Bus', 'default'),
    );
    const r = rule('Rule');
    expect(deliveries.ruleMetric(r, 'FailedInvocations', Duration.minutes(5)).dimensions).toEqual({
      RuleName: r.ruleName,
    });
  });

  it('adds a dashboard row for targets added after the dashboard is attached', () => {
    const { stack, deliveries, rule } = setup((s) => new events.EventBus(s, 'Bus'));
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    deliveries.attachDashboard(dashboard);
    deliveries.addTarget(
      'onEvent',
      'late',
      rule('Rule'),
      new targets.SqsQueue(new sqs.Queue(stack, 'T')),
    );
    const body = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(body).toContain('Deliveries: onEvent late');
    expect(body).toContain('DLQ depth: onEvent late');
  });
});
