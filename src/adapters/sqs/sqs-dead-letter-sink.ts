import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { describeError } from '../../domain/errors.js';
import type { DeadLetterSink, Logger, OutgoingEvent, ParkOutcome } from '../../domain/ports.js';

/** SendMessageBatch takes at most 10 messages. */
export const MAX_MESSAGES_PER_SEND_MESSAGE_BATCH = 10;
/** SendMessageBatch takes at most 1 MiB in all (the sum of the message sizes). */
export const MAX_SEND_MESSAGE_BATCH_BYTES = 1_048_576;
/**
 * The message size assumed for the queue unless told otherwise: 256 KiB, which every queue
 * accepts. SQS allows up to 1 MiB per message when the queue's MaximumMessageSize says so; pass
 * `maxMessageBytes` to match the queue.
 */
export const DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES = 262_144;
/** Capillary's read of one event by its id, for messages parked without their detail. */
export const CAPILLARY_EVENT_LOOKUP_PATH = '/v2/events/event_data';

const MAX_REASON_ATTRIBUTE_CHARS = 256;
const MAX_REASON_CHARS_WITHOUT_DETAIL = 4_096;

/** The body of a parked message. */
export type DeadLetterMessage =
  | {
      reason: string;
      customerId: string;
      key: string;
      detailType: string;
      time: string;
      detail: OutgoingEvent['detail'];
    }
  | {
      reason: string;
      customerId: string;
      key: string;
      detailType: string;
      time: string;
      eventName: string;
      eventId: string | null;
      uniqueId: string | null;
      orgId: number | null;
      date: string;
      /** Set instead of `detail` when the message with its detail would be too large. */
      detailOmitted: { detailBytes: number; maxMessageBytes: number; refetch: string };
    };

/**
 * A message's size as SQS counts it: the body plus, for each attribute, its name, data type and
 * value (all UTF-8; binary values by their bytes).
 */
export function sqsMessageSize(
  body: string,
  attributes: Record<string, MessageAttributeValue> = {},
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) size += value.BinaryValue.byteLength;
  }
  return size;
}

export interface SqsClientOptions {
  region: string;
  endpoint?: URL | string | undefined;
  credentials?: SQSClientConfig['credentials'];
}

/**
 * The client `SqsDeadLetterSink` expects. Here the SDK owns retries (its standard strategy,
 * 3 attempts, for throttling, 5xx and network errors): the sink has no retry loop of its own, so
 * attempts do not multiply. Entries SQS refuses one by one are reported, not retried.
 */
export function createSqsClient(options: SqsClientOptions): SQSClient {
  return new SQSClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint.toString() }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 3,
  });
}

export interface SqsDeadLetterSinkOptions {
  /** Build it with `createSqsClient`. */
  client: SQSClient;
  queueUrl: string | URL;
  /** The queue's MaximumMessageSize (default 256 KiB). */
  maxMessageBytes?: number;
  logger?: Logger;
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
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxMessageBytes: number;
  readonly #logger: Logger | undefined;

  constructor(options: SqsDeadLetterSinkOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl.toString();
    this.#maxMessageBytes = Math.min(
      options.maxMessageBytes ?? DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES,
      MAX_SEND_MESSAGE_BATCH_BYTES,
    );
    this.#logger = options.logger;
  }

  async park(items: readonly { event: OutgoingEvent; reason: string }[]): Promise<ParkOutcome[]> {
    const outcomes: (ParkOutcome | undefined)[] = new Array(items.length);
    const keyAt = (index: number) => items[index]?.event.key ?? '';
    const prepared: Prepared[] = [];
    items.forEach(({ event, reason }, index) => {
      try {
        const message = this.toMessage(event, reason);
        if (message.size > this.#maxMessageBytes) {
          outcomes[index] = {
            key: event.key,
            parked: false,
            reason: `the message is ${message.size} bytes even without the detail, over the queue limit of ${this.#maxMessageBytes} bytes`,
          };
          return;
        }
        prepared.push({ index, ...message });
      } catch (error) {
        outcomes[index] = {
          key: event.key,
          parked: false,
          reason: `cannot build the message: ${describeError(error)}`,
        };
      }
    });

    for (const batch of packMessages(prepared)) {
      const entries = batch.map((item, position) => ({ Id: `m${position}`, ...item.entry }));
      try {
        const response = await this.#client.send(
          new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries }),
        );
        const succeeded = new Set((response.Successful ?? []).map((result) => result.Id));
        const failed = new Map((response.Failed ?? []).map((result) => [result.Id, result]));
        batch.forEach((item, position) => {
          const id = `m${position}`;
          const key = keyAt(item.index);
          const failure = failed.get(id);
          if (failure) {
            const fault = failure.SenderFault ? 'sender fault' : 'service fault';
            outcomes[item.index] = {
              key,
              parked: false,
              reason: `SendMessageBatch entry error ${failure.Code ?? 'Unknown'} (${fault}): ${failure.Message ?? '(no message)'}`,
            };
          } else if (succeeded.has(id)) {
            outcomes[item.index] = { key, parked: true };
          } else {
            outcomes[item.index] = {
              key,
              parked: false,
              reason: 'SQS returned no result for the message',
            };
          }
        });
      } catch (error) {
        const summary =
          error instanceof Error ? `${error.name}: ${error.message}` : describeError(error);
        this.#logger?.error('SendMessageBatch failed', { messages: batch.length, error: summary });
        for (const item of batch) {
          outcomes[item.index] = {
            key: keyAt(item.index),
            parked: false,
            reason: `SendMessageBatch failed: ${summary}`,
          };
        }
      }
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

  /** The message for an event: with its detail when it fits the queue, without it otherwise. */
  toMessage(
    event: OutgoingEvent,
    reason: string,
  ): { entry: Omit<SendMessageBatchRequestEntry, 'Id'>; size: number; detailIncluded: boolean } {
    const attributes: Record<string, MessageAttributeValue> = {
      customerId: stringAttribute(event.customerId),
      eventName: stringAttribute(event.detail.eventName),
      reason: stringAttribute(truncate(reason, MAX_REASON_ATTRIBUTE_CHARS)),
    };
    const common = {
      reason,
      customerId: event.customerId,
      key: event.key,
      detailType: event.detailType,
      time: event.time.toISOString(),
    };
    const full: DeadLetterMessage = { ...common, detail: event.detail };
    const fullBody = toSqsBody(full);
    const fullSize = sqsMessageSize(fullBody, attributes);
    if (fullSize <= this.#maxMessageBytes) {
      return {
        entry: { MessageBody: fullBody, MessageAttributes: attributes },
        size: fullSize,
        detailIncluded: true,
      };
    }

    const { detail } = event;
    const refetch =
      detail.eventId === null
        ? `GET ${CAPILLARY_EVENT_LOOKUP_PATH}/?userId=${encodeURIComponent(event.customerId)} and pick the event by uniqueId or date (it has no eventId)`
        : `GET ${CAPILLARY_EVENT_LOOKUP_PATH}?id=${encodeURIComponent(detail.eventId)}`;
    const stripped: DeadLetterMessage = {
      ...common,
      reason: truncate(reason, MAX_REASON_CHARS_WITHOUT_DETAIL),
      eventName: detail.eventName,
      eventId: detail.eventId,
      uniqueId: detail.uniqueId,
      orgId: detail.orgId,
      date: detail.date,
      detailOmitted: {
        detailBytes: Buffer.byteLength(JSON.stringify(detail), 'utf8'),
        maxMessageBytes: this.#maxMessageBytes,
        refetch,
      },
    };
    const body = toSqsBody(stripped);
    this.#logger?.warn('dead-letter message too large, parking it without its detail', {
      key: event.key,
      size: fullSize,
      maxMessageBytes: this.#maxMessageBytes,
    });
    return {
      entry: { MessageBody: body, MessageAttributes: attributes },
      size: sqsMessageSize(body, attributes),
      detailIncluded: false,
    };
  }
}

function packMessages(items: readonly Prepared[]): Prepared[][] {
  const batches: Prepared[][] = [];
  let current: Prepared[] = [];
  let bytes = 0;
  for (const item of items) {
    if (
      current.length > 0 &&
      (current.length >= MAX_MESSAGES_PER_SEND_MESSAGE_BATCH ||
        bytes + item.size > MAX_SEND_MESSAGE_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * JSON for an SQS body. SQS refuses characters outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
 * #x10000-#x10FFFF; JSON.stringify already escapes control characters and lone surrogates, which
 * leaves U+FFFE and U+FFFF (only ever inside strings, where an escape means the same).
 */
function toSqsBody(message: DeadLetterMessage): string {
  return JSON.stringify(message).replace(
    /[\uFFFE\uFFFF]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16)}`,
  );
}

const NOT_ALLOWED_IN_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function stringAttribute(value: string): MessageAttributeValue {
  // Attribute values must not be empty and take the same characters as a body.
  const clean = value.replace(NOT_ALLOWED_IN_SQS, '\uFFFD');
  return { DataType: 'String', StringValue: clean === '' ? '-' : clean };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
