import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  batchCallsOf,
  MAX_REASON_ATTRIBUTE_CHARS,
  stringAttribute,
  truncate,
} from '../sqs/sqs-message.js';

/** The two queue operations besides delete (which the event source does for delivered records). */
export interface DeliveryQueues {
  /** Hides messages until their next attempt (seconds, at most 12 hours). */
  retryLater(entries: readonly { receiptHandle: string; delaySeconds: number }[]): Promise<void>;
  /** Puts a message on the webhook's dead-letter queue with why; throws when it could not. */
  park(body: string, reason: string): Promise<void>;
}

/** The webhook's queue (retry delays) and dead-letter queue (parking), on SQS. */
export class SqsDeliveryQueues implements DeliveryQueues {
  constructor(
    private readonly options: { client: SQSClient; queueUrl: string; deadLetterQueueUrl: string },
  ) {}

  async retryLater(
    entries: readonly { receiptHandle: string; delaySeconds: number }[],
  ): Promise<void> {
    for (const batch of batchCallsOf(entries)) {
      const response = await this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((entry, index) => ({
            Id: `m${index}`,
            ReceiptHandle: entry.receiptHandle,
            VisibilityTimeout: entry.delaySeconds,
          })),
        }),
      );
      if ((response.Failed ?? []).length > 0) {
        throw new Error(
          `${response.Failed?.length} visibility change(s) refused: ${response.Failed?.[0]?.Code}`,
        );
      }
    }
  }

  async park(body: string, reason: string): Promise<void> {
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        MessageBody: body,
        MessageAttributes: {
          reason: stringAttribute(truncate(reason, MAX_REASON_ATTRIBUTE_CHARS)),
        },
      }),
    );
  }
}
