// A webhook's dead-letter queue read back for `dlq --webhook <name>`, and its queue as the target
// of a redrive: the parked delivery goes back to that webhook's queue, so only its endpoint sees it.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from '../../domain/errors.js';
import type { PublishOutcome } from '../../domain/ports.js';
import type { RedriveTarget } from '../../domain/publish/dead-letter-redrive.js';
import type { ParkedMessageReading } from '../sqs/sqs-dead-letter-queue.js';
import { batchCallsOf } from '../sqs/sqs-message.js';
import { parseWebhookEnvelope } from './webhook-envelope.js';

/** A parked delivery: the queue message itself (its body), sent back as it is. */
export function readWebhookParked(
  body: string,
  attribute: (name: string) => string | null,
): ParkedMessageReading<string> {
  const reason =
    attribute('reason') ??
    // EventBridge's own attributes, when the rule could not queue the event.
    (attribute('ERROR_MESSAGE') === null
      ? null
      : `${attribute('ERROR_CODE') ?? 'error'}: ${attribute('ERROR_MESSAGE')}`) ??
    "its retries ran out (moved by the queue's redrive policy after retryAttempts)";
  const { envelope, problem } = parseWebhookEnvelope(body);
  if (envelope === undefined) {
    return {
      reason,
      customerId: null,
      eventName: null,
      key: null,
      eventTime: null,
      event: undefined,
      unpublishable: problem,
    };
  }
  const time = new Date(envelope.time);
  return {
    reason,
    customerId: envelope.customerId ?? null,
    eventName: envelope.eventName,
    key: envelope.id,
    eventTime: Number.isFinite(time.getTime()) ? time : null,
    event: body,
    unpublishable: undefined,
  };
}

/** A webhook's queue, taking parked deliveries back (SendMessageBatch, one outcome per body). */
export class WebhookQueueTarget implements RedriveTarget<string> {
  constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  async publish(bodies: readonly string[]): Promise<PublishOutcome[]> {
    const keyed = bodies.map((body, index) => ({
      body,
      key: parseWebhookEnvelope(body).envelope?.id ?? `#${index}`,
    }));
    const outcomes: PublishOutcome[] = [];
    for (const batch of batchCallsOf(keyed)) {
      try {
        const response = await this.options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: batch.map((item, index) => ({ Id: `m${index}`, MessageBody: item.body })),
          }),
        );
        const failed = new Map(
          (response.Failed ?? []).map((failure) => [failure.Id, failure] as const),
        );
        batch.forEach((item, index) => {
          const failure = failed.get(`m${index}`);
          outcomes.push(
            failure === undefined
              ? { key: item.key, status: 'published' }
              : {
                  key: item.key,
                  status: 'failed',
                  reason: `${failure.Code}: ${failure.Message ?? '(no message)'}`,
                },
          );
        });
      } catch (error) {
        for (const item of batch) {
          outcomes.push({
            key: item.key,
            status: 'failed',
            reason: `SQS SendMessageBatch failed: ${describeError(error)}`,
          });
        }
      }
    }
    return outcomes;
  }
}
