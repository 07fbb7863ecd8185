import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEAD_LETTER_MAX_MESSAGE_BYTES } from '../delivery/publish-dead-letter-queue.js';
import { createPollerFunction } from './poller-function.js';

/** The worker's handler: polls the claimed customers of one work-queue message. */
const WORKER_ENTRY = fileURLToPath(new URL('../../functions/worker/handler.ts', import.meta.url));

export interface WorkerFunctionProps {
  readonly timeout: Duration;
  readonly memorySize: number | undefined;
  readonly logRetention: logs.RetentionDays;
  /** The settings both functions read. */
  readonly environment: Record<string, string>;
  readonly workQueue: sqs.IQueue;
  /** Worker functions running at once: the event source's maximum concurrency. */
  readonly workers: number;
  readonly deadLetterQueueUrl: string;
}

/** The workers: each polls the customers of one work message, at most `workers` at once. */
export class WorkerFunction {
  public readonly fn: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, props: WorkerFunctionProps) {
    ({
      fn: this.fn,
      role: this.role,
      logGroup: this.logGroup,
    } = createPollerFunction(scope, 'Worker', {
      description: 'Polls claimed Capillary customers and puts their new events on EventBridge',
      roleDescription: 'capillary-event-poller worker: its bus, table, secret, queues and logs',
      entry: WORKER_ENTRY,
      logRetention: props.logRetention,
      // Polls are I/O bound (HTTP, DynamoDB, PutEvents) with a few customers in flight: 512 MB
      // buys the CPU share for TLS and JSON without paying for memory a worker never fills.
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      environment: {
        ...props.environment,
        DLQ_URL: props.deadLetterQueueUrl,
        DLQ_MAX_MESSAGE_BYTES: String(DEAD_LETTER_MAX_MESSAGE_BYTES),
      },
    }));
    // Consuming the queue grants the role what the event source needs on it, and nothing more.
    this.fn.addEventSource(
      new SqsEventSource(props.workQueue, {
        // One message (up to 25 customers) per invocation: a failure returns only that message.
        batchSize: 1,
        maxConcurrency: props.workers,
        reportBatchItemFailures: true,
      }),
    );
  }
}
