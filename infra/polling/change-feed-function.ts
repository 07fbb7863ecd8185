import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { createPollerFunction } from './poller-function.js';

/** The feed's handler: reads the org-wide event log and makes hinted customers due now. */
const CHANGE_FEED_ENTRY = fileURLToPath(
  new URL('../../functions/change-feed/handler.ts', import.meta.url),
);
/** Started every minute; each invocation loops inside its time, one read per feed interval. */
const FEED_SCHEDULE_RATE = Duration.minutes(1);
/** Less than the schedule's rate: invocations follow each other, never overlap. */
const FEED_TIMEOUT = Duration.seconds(55);
const FEED_MEMORY_MB = 256;
/** How long a started invocation may wait for the one slot: the minimum Lambda allows. */
const FEED_MAX_EVENT_AGE = Duration.seconds(60);

export interface ChangeFeedFunctionProps {
  readonly logRetention: logs.RetentionDays;
  /** The settings every function reads. */
  readonly environment: Record<string, string>;
  readonly enabled: boolean;
}

/**
 * The change feed: one function with reserved concurrency 1 (the only writer of the feed cursor),
 * started every minute, and the secret of the key identifiers are hashed under.
 */
export class ChangeFeedFunction {
  public readonly fn: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** The HMAC key of the identifier index: `IDENTIFIER_KEY_SECRET_ARN` for `watch add`. */
  public readonly identifierKey: secretsmanager.Secret;
  public readonly schedule: scheduler.Schedule;

  /** `scope` is the poller itself, like the other functions. */
  constructor(scope: Construct, props: ChangeFeedFunctionProps) {
    this.identifierKey = new secretsmanager.Secret(scope, 'IdentifierKey', {
      description:
        'capillary-event-poller: the key customer identifiers are hashed under (HMAC-SHA256) in the identifier index. Generated; never change it.',
      // 64 letters and digits: valid base64 of 48 random bytes.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.identifierKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A new key would make every stored identifier hash unreadable: the index would have to be rebuilt. The key never leaves Secrets Manager and the feed function.',
    });
    ({
      fn: this.fn,
      role: this.role,
      logGroup: this.logGroup,
    } = createPollerFunction(scope, 'ChangeFeed', {
      description:
        "Reads Capillary's org-wide event log and makes the customers named there due now",
      roleDescription:
        'capillary-event-poller change feed: read the event log, the identifier index and the feed cursor, mark hints, its logs',
      entry: CHANGE_FEED_ENTRY,
      logRetention: props.logRetention,
      memorySize: FEED_MEMORY_MB,
      timeout: FEED_TIMEOUT,
      environment: {
        ...props.environment,
        IDENTIFIER_KEY_SECRET_ARN: this.identifierKey.secretArn,
      },
      // One writer of the feed cursor: a second invocation waits for the slot, then is dropped.
      reservedConcurrentExecutions: 1,
      retryAttempts: 0,
      maxEventAge: FEED_MAX_EVENT_AGE,
    }));
    this.identifierKey.grantRead(this.role);

    const role = new iam.Role(scope, 'ChangeFeedScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
      description: 'Lets EventBridge Scheduler start the capillary-event-poller change feed',
    });
    const targetArn = this.fn.functionArn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [targetArn] }),
    );
    this.schedule = new scheduler.Schedule(scope, 'ChangeFeedSchedule', {
      schedule: scheduler.ScheduleExpression.rate(FEED_SCHEDULE_RATE),
      description: "Starts the capillary-event-poller change feed: read Capillary's event log",
      enabled: props.enabled,
      target: {
        bind: () => ({
          arn: targetArn,
          role,
          // The next minute's invocation reads on from the cursor: no retries.
          retryPolicy: {
            maximumRetryAttempts: 0,
            maximumEventAgeInSeconds: FEED_MAX_EVENT_AGE.toSeconds(),
          },
        }),
      },
    });
  }
}
