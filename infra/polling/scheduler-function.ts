import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { createPollerFunction } from './poller-function.js';

/** The scheduler's handler: claims due customers and queues them for the workers. */
const SCHEDULER_ENTRY = fileURLToPath(
  new URL('../../functions/scheduler/handler.ts', import.meta.url),
);
/** How long a scheduled invocation may wait for the single concurrency slot: the minimum Lambda allows. */
export const MAX_EVENT_AGE = Duration.seconds(60);
/** Room between the end of a tick's work and the next schedule tick. */
const TIMEOUT_HEADROOM = Duration.seconds(10);
/** The scheduler only claims and queues: it never needs long, whatever the interval. */
const MAX_SCHEDULER_TIMEOUT = Duration.minutes(2);
const SCHEDULER_MEMORY_MB = 256;

export interface SchedulerFunctionProps {
  readonly pollInterval: Duration;
  readonly logRetention: logs.RetentionDays;
  /** The settings both functions read. */
  readonly environment: Record<string, string>;
  readonly workQueueUrl: string;
  readonly sweepMaxPolls: number | undefined;
}

/** The scheduler: one tick at a time, claims due customers and queues them for the workers. */
export class SchedulerFunction {
  public readonly fn: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, props: SchedulerFunctionProps) {
    const { pollInterval } = props;
    ({
      fn: this.fn,
      role: this.role,
      logGroup: this.logGroup,
    } = createPollerFunction(scope, 'Scheduler', {
      description: `Claims the Capillary customers due every ${pollInterval.toHumanString()} and queues them for the workers`,
      roleDescription:
        'capillary-event-poller scheduler: query the due index, claim, queue, its logs',
      entry: SCHEDULER_ENTRY,
      logRetention: props.logRetention,
      memorySize: SCHEDULER_MEMORY_MB,
      timeout: Duration.seconds(
        Math.min(
          pollInterval.toSeconds() - TIMEOUT_HEADROOM.toSeconds(),
          MAX_SCHEDULER_TIMEOUT.toSeconds(),
        ),
      ),
      environment: {
        ...props.environment,
        WORK_QUEUE_URL: props.workQueueUrl,
        ...(props.sweepMaxPolls === undefined
          ? {}
          : { SWEEP_MAX_POLLS: String(props.sweepMaxPolls) }),
      },
      // The overlap guard: at most one tick runs at a time. Scheduler invokes asynchronously; a
      // tick that finds the one slot busy waits in Lambda's queue for at most a minute (the
      // shortest age Lambda allows), then is dropped, and the next tick covers it. A failed tick
      // is not retried either: its customers stay due and the next tick claims them.
      reservedConcurrentExecutions: 1,
      retryAttempts: 0,
      maxEventAge: MAX_EVENT_AGE,
    }));
  }
}
