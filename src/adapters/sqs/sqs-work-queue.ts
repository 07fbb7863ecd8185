import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from '../../domain/errors.js';
import type { WorkMessage, WorkQueue, WorkSendOutcome } from '../../domain/schedule/work-queue.js';
import { batchCallsOf } from './sqs-message.js';

export interface SqsWorkQueueOptions {
  /** Build it with `createSqsClient` (src/runtime/aws-clients.ts: the SDK retries requests). */
  client: SQSClient;
  queueUrl: string | URL;
}

/**
 * The scheduler's side of the work queue: messages sent 10 per SendMessageBatch. An entry SQS
 * refuses on its own (a throttled or internal failure) is sent once more; what still fails is
 * reported, and its customers' claims simply expire (a later tick claims them again).
 */
export class SqsWorkQueue implements WorkQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: SqsWorkQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl.toString();
  }

  async send(messages: readonly WorkMessage[]): Promise<WorkSendOutcome[]> {
    const outcomes: WorkSendOutcome[] = messages.map(() => ({
      sent: false,
      reason: 'not sent',
    }));
    let pending = messages.map((_, index) => index);
    for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
      const retry: number[] = [];
      for (const group of batchCallsOf(pending)) {
        try {
          const response = await this.#client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.#queueUrl,
              Entries: group.map((index) => ({
                Id: String(index),
                MessageBody: JSON.stringify(messages[index]),
              })),
            }),
          );
          for (const ok of response.Successful ?? []) outcomes[Number(ok.Id)] = { sent: true };
          for (const failed of response.Failed ?? []) {
            const index = Number(failed.Id);
            outcomes[index] = {
              sent: false,
              reason: `${failed.Code ?? 'SQS error'}: ${failed.Message ?? 'no message'}`,
            };
            // A sender fault (a bad message) fails the same way again.
            if (!failed.SenderFault) retry.push(index);
          }
        } catch (error) {
          // The SDK already retried the request: report it, do not multiply attempts.
          for (const index of group)
            outcomes[index] = { sent: false, reason: describeError(error) };
        }
      }
      pending = retry;
    }
    return outcomes;
  }
}
