import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { WORK_MAX_RECEIVES } from '../scale-out.js';

/** A message comes back this long after a worker's timeout when the worker died with it. */
const VISIBILITY_HEADROOM = Duration.seconds(30);

/**
 * The scheduler's claimed customers, drained by the workers. A message whose worker died or timed
 * out comes back after the visibility timeout (its customers are polled if their claims still
 * hold, skipped otherwise) and is parked on the work dead-letter queue after 3 receives.
 */
export class WorkQueue {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;

  /** `scope` is the poller itself, so both queues keep their logical IDs. */
  constructor(scope: Construct, workerTimeout: Duration) {
    this.deadLetterQueue = new sqs.Queue(scope, 'WorkDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the work queue's dead-letter queue: nothing is behind a dead-letter queue.",
    });
    this.queue = new sqs.Queue(scope, 'WorkQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: workerTimeout.plus(VISIBILITY_HEADROOM),
      // Claims last minutes: an older message only finds expired claims.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: WORK_MAX_RECEIVES },
    });
  }

  /** SendMessage only: what the scheduler does with the customers it claimed. */
  public grantSend(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
  }
}
