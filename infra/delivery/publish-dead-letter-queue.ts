import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** SQS's largest message size, set on the dead-letter queue and told to the worker. */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = 1_048_576;

/** Where the workers park events EventBridge rejected: they are never published on their own. */
export class PublishDeadLetterQueue {
  public readonly queue: sqs.Queue;

  /** `scope` is the poller itself, so the queue keeps its logical ID. */
  constructor(scope: Construct) {
    this.queue = new sqs.Queue(scope, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // The most SQS allows: an event too large for EventBridge (256 KiB) still parks whole.
      maxMessageSizeBytes: DEAD_LETTER_MAX_MESSAGE_BYTES,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue: the workers park unpublishable events on it directly, so it has no queue behind it.',
    });
  }

  /** SendMessage only: the worker parks events, it never reads them back. */
  public grantSend(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
  }
}
