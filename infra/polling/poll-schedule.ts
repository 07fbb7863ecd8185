import { type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { MAX_EVENT_AGE } from './scheduler-function.js';

export interface PollScheduleProps {
  /** The function each tick invokes. */
  readonly target: lambda.IFunction;
  readonly pollInterval: Duration;
  readonly enabled: boolean;
}

/** EventBridge Scheduler starts a tick every `pollInterval`, with a role that may invoke the scheduler only. */
export class PollSchedule {
  public readonly schedule: scheduler.Schedule;

  /** `scope` is the poller itself, so the role and schedule keep their logical IDs. */
  constructor(scope: Construct, props: PollScheduleProps) {
    const role = new iam.Role(scope, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
      description: 'Lets EventBridge Scheduler start capillary-event-poller ticks',
    });
    const targetArn = props.target.functionArn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [targetArn] }),
    );
    this.schedule = new scheduler.Schedule(scope, 'Schedule', {
      schedule: scheduler.ScheduleExpression.rate(props.pollInterval),
      description: 'Starts a capillary-event-poller tick: claim the due customers, queue them',
      enabled: props.enabled,
      target: {
        bind: () => ({
          arn: targetArn,
          role,
          // A missed tick is covered by the next one: no retries, no stale deliveries.
          retryPolicy: {
            maximumRetryAttempts: 0,
            maximumEventAgeInSeconds: MAX_EVENT_AGE.toSeconds(),
          },
        }),
      },
    });
  }
}
