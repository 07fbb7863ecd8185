import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describeError } from '../../domain/errors.js';
import type { DeadLetterSink, Logger, OutgoingEvent, ParkOutcome } from '../../domain/ports.js';
import { awsErrorSummary } from '../aws-error-summary.js';
import { DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES, deadLetterMessage } from './dead-letter-message.js';
import { MAX_SEND_MESSAGE_BATCH_BYTES, packSendMessageBatches } from './sqs-message.js';

export interface SqsDeadLetterSinkOptions {
  /** Build it with `createSqsClient` (src/runtime/aws-clients.ts: the SDK retries requests). */
  client: SQSClient;
  queueUrl: string | URL;
  /** The queue's MaximumMessageSize (default 256 KiB). */
  maxMessageBytes?: number;
  logger?: Logger;
  /** Removes known secrets from a parked message's reason (the process's `SecretRedactor`). */
  redact?: (text: string) => string;
}

interface Prepared {
  index: number;
  entry: Omit<SendMessageBatchRequestEntry, 'Id'>;
  size: number;
}

/**
 * Parks events that can never be published on an SQS queue, one message each, sent with
 * SendMessageBatch (10 messages and 1 MiB per request). A message too large for the queue is
 * parked without its detail but with what is needed to fetch the event again from Capillary.
 * It has no retry loop: the SDK retries a failed request, and an entry SQS refuses is reported.
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxMessageBytes: number;
  readonly #logger: Logger | undefined;
  readonly #redact: (text: string) => string;

  constructor(options: SqsDeadLetterSinkOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl.toString();
    this.#maxMessageBytes = Math.min(
      options.maxMessageBytes ?? DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES,
      MAX_SEND_MESSAGE_BATCH_BYTES,
    );
    this.#logger = options.logger;
    this.#redact = options.redact ?? ((text) => text);
  }

  async park(items: readonly { event: OutgoingEvent; reason: string }[]): Promise<ParkOutcome[]> {
    const outcomes: (ParkOutcome | undefined)[] = new Array(items.length);
    const prepared: Prepared[] = [];
    items.forEach(({ event, reason }, index) => {
      const notParked = (why: string) => {
        outcomes[index] = { key: event.key, parked: false, reason: why };
      };
      try {
        const message = this.#message(event, reason);
        if (message.size > this.#maxMessageBytes) {
          notParked(
            `the message is ${message.size} bytes even without the detail, over the queue limit of ${this.#maxMessageBytes} bytes`,
          );
          return;
        }
        prepared.push({ index, ...message });
      } catch (error) {
        notParked(`cannot build the message: ${describeError(error)}`);
      }
    });

    const keyAt = (index: number) => items[index]?.event.key ?? '';
    for (const batch of packSendMessageBatches(prepared)) {
      await this.#send(batch, (index, outcome) => {
        outcomes[index] = { key: keyAt(index), ...outcome };
      });
    }

    return outcomes.map(
      (outcome, index) =>
        outcome ?? {
          key: keyAt(index),
          parked: false,
          reason: 'no outcome was recorded (sink bug)',
        },
    );
  }

  #message(event: OutgoingEvent, reason: string) {
    const message = deadLetterMessage(event, this.#redact(reason), this.#maxMessageBytes);
    if (!message.detailIncluded) {
      this.#logger?.warn('dead-letter message too large, parking it without its detail', {
        key: event.key,
        size: message.fullSize,
        maxMessageBytes: this.#maxMessageBytes,
      });
    }
    return message;
  }

  /** One SendMessageBatch; every message of the batch is settled, parked or with the reason why not. */
  async #send(
    batch: readonly Prepared[],
    settle: (index: number, outcome: { parked: true } | { parked: false; reason: string }) => void,
  ): Promise<void> {
    const entries = batch.map((item, position) => ({ Id: `m${position}`, ...item.entry }));
    try {
      const response = await this.#client.send(
        new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries }),
      );
      const succeeded = new Set((response.Successful ?? []).map((result) => result.Id));
      const failed = new Map((response.Failed ?? []).map((result) => [result.Id, result]));
      batch.forEach((item, position) => {
        const id = `m${position}`;
        const failure = failed.get(id);
        if (failure) {
          const fault = failure.SenderFault ? 'sender fault' : 'service fault';
          settle(item.index, {
            parked: false,
            reason: `SendMessageBatch entry error ${failure.Code ?? 'Unknown'} (${fault}): ${failure.Message ?? '(no message)'}`,
          });
        } else if (succeeded.has(id)) {
          settle(item.index, { parked: true });
        } else {
          settle(item.index, { parked: false, reason: 'SQS returned no result for the message' });
        }
      });
    } catch (error) {
      const summary = awsErrorSummary(error);
      this.#logger?.error('SendMessageBatch failed', { messages: batch.length, error: summary });
      for (const item of batch) {
        settle(item.index, { parked: false, reason: `SendMessageBatch failed: ${summary}` });
      }
    }
  }
}
