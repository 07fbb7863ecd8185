import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { describeError, PollerError } from '../../domain/errors.js';
import type { OutgoingEvent } from '../../domain/ports.js';
import type { DeadLetterQueue, ParkedEvent } from '../../domain/publish/dead-letter-redrive.js';
import { EventDetailSchema } from '../../domain/publish/event-detail.js';
import {
  batchCallsOf,
  MAX_REASON_ATTRIBUTE_CHARS,
  stringAttribute,
  toSqsBody,
  truncate,
} from './sqs-message.js';

/** An SQS call on the dead-letter queue failed as a whole. */
class DeadLetterQueueError extends PollerError {
  constructor(operation: string, queueUrl: string, cause: unknown) {
    const name = cause instanceof Error && cause.name !== 'Error' ? `${cause.name}: ` : '';
    super(
      `SQS ${operation} on ${queueUrl} failed: ${name}${describeError(cause)}`,
      'check DLQ_URL (and SQS_ENDPOINT), the region and the permissions on the queue (sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility, sqs:SendMessage)',
      { cause },
    );
  }
}

/** The body `SqsDeadLetterSink` writes; only what redrive needs is checked. */
const ParkedBodySchema = z.object({
  reason: z.string(),
  customerId: z.string(),
  key: z.string(),
  detailType: z.string(),
  time: z.iso.datetime(),
  detail: EventDetailSchema.optional(),
  eventName: z.string().optional(),
  detailOmitted: z.object({ refetch: z.string() }).loose().optional(),
});

/** Message attributes added by a failed redrive, next to the sink's customerId/eventName/reason. */
const FIRST_PARKED_AT = 'firstParkedAt';
const REDRIVE_ATTEMPTS = 'redriveAttempts';

/**
 * The poller's dead-letter queue read back: ReceiveMessage (hiding what it reads for the
 * visibility timeout, so a reader that dies loses nothing), DeleteMessageBatch,
 * ChangeMessageVisibilityBatch, and SendMessage to park an event again with a new reason.
 */
export class SqsDeadLetterQueue<E = OutgoingEvent> implements DeadLetterQueue<E> {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #read: ParkedMessageReader<E>;

  /** `read`: what a message body says (default: the poller's parked events, as the sink writes them). */
  constructor(options: {
    client: SQSClient;
    queueUrl: string | URL;
    read?: ParkedMessageReader<E>;
  }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl.toString();
    this.#read = options.read ?? (readPollerParked as unknown as ParkedMessageReader<E>);
  }

  async receive(visibilitySeconds: number): Promise<ParkedEvent<E>[]> {
    const response = await this.#call('ReceiveMessage', () =>
      this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: visibilitySeconds,
          // Long polling asks every SQS server, so an empty answer means an empty queue.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      ),
    );
    return (response.Messages ?? []).map((message) => toParkedEvent(message, this.#read));
  }

  async release(messages: readonly ParkedEvent<E>[]): Promise<void> {
    for (const batch of batchCallsOf(messages)) {
      await this.#call('ChangeMessageVisibilityBatch', () =>
        this.#client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: receiptEntries(batch).map((entry) => ({ ...entry, VisibilityTimeout: 0 })),
          }),
        ),
      );
    }
  }

  async remove(
    messages: readonly ParkedEvent<E>[],
  ): Promise<{ message: ParkedEvent<E>; reason: string }[]> {
    const failed: { message: ParkedEvent<E>; reason: string }[] = [];
    for (const batch of batchCallsOf(messages)) {
      const response = await this.#call('DeleteMessageBatch', () =>
        this.#client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: receiptEntries(batch),
          }),
        ),
      );
      for (const failure of response.Failed ?? []) {
        const message = batch[Number(failure.Id?.slice(1))];
        if (message)
          failed.push({ message, reason: `${failure.Code}: ${failure.Message ?? '(no message)'}` });
      }
    }
    return failed;
  }

  async repark(parked: ParkedEvent<E>, reason: string): Promise<void> {
    const message = parked as SqsParkedEvent<E>;
    if (typeof message.body !== 'string') {
      throw new TypeError('repark takes only messages read by this queue');
    }
    const body = { ...(JSON.parse(message.body) as Record<string, unknown>), reason };
    await this.#call('SendMessage', () =>
      this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          // As the sink writes bodies: U+FFFE and U+FFFF are refused by SQS, an escape is not.
          MessageBody: toSqsBody(body),
          MessageAttributes: {
            ...message.attributes,
            reason: stringAttribute(truncate(reason, MAX_REASON_ATTRIBUTE_CHARS)),
            [FIRST_PARKED_AT]: stringAttribute(message.parkedAt.toISOString()),
            [REDRIVE_ATTEMPTS]: {
              DataType: 'Number',
              StringValue: String(message.redriveAttempts + 1),
            },
          },
        }),
      ),
    );
    // Only once the new message is in: at worst the event is parked twice, never lost.
    const failed = await this.remove([message]);
    if (failed[0]) {
      throw new DeadLetterQueueError('DeleteMessageBatch', this.#queueUrl, failed[0].reason);
    }
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new DeadLetterQueueError(operation, this.#queueUrl, error);
    }
  }
}

/** A parked message as read, with what `repark` needs to write it again. */
interface SqsParkedEvent<E> extends ParkedEvent<E> {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
}

/** What a message body (and its string attributes) says about the parked event. */
export type ParkedMessageReading<E> = Pick<
  ParkedEvent<E>,
  'reason' | 'customerId' | 'eventName' | 'key' | 'eventTime' | 'event' | 'unpublishable'
>;
export type ParkedMessageReader<E> = (
  body: string,
  attribute: (name: string) => string | null,
) => ParkedMessageReading<E>;

function toParkedEvent<E>(message: Message, read: ParkedMessageReader<E>): SqsParkedEvent<E> {
  const attributes = message.MessageAttributes ?? {};
  const attribute = (name: string) => attributes[name]?.StringValue ?? null;
  const sentAt = Number(message.Attributes?.SentTimestamp ?? Number.NaN);
  const firstParkedAt = Date.parse(attribute(FIRST_PARKED_AT) ?? '');
  const base = {
    messageId: message.MessageId ?? '(no id)',
    receiptHandle: message.ReceiptHandle ?? '',
    parkedAt: new Date(
      Number.isFinite(firstParkedAt) ? firstParkedAt : Number.isFinite(sentAt) ? sentAt : 0,
    ),
    redriveAttempts: Number(attribute(REDRIVE_ATTEMPTS) ?? 0) || 0,
    body: message.Body ?? '',
    attributes,
  };
  return { ...base, ...read(base.body, attribute) };
}

/** The body `SqsDeadLetterSink` writes, read back. */
function readPollerParked(
  body: string,
  attribute: (name: string) => string | null,
): ParkedMessageReading<OutgoingEvent> {
  let parsed: z.infer<typeof ParkedBodySchema>;
  try {
    parsed = ParkedBodySchema.parse(JSON.parse(body));
  } catch (error) {
    return {
      reason: attribute('reason') ?? '(no reason)',
      customerId: attribute('customerId'),
      eventName: attribute('eventName'),
      key: null,
      eventTime: null,
      event: undefined,
      unpublishable: `the message is not one the poller parked: ${summarize(error)}`,
    };
  }
  const eventTime = new Date(parsed.time);
  return {
    reason: parsed.reason,
    customerId: parsed.customerId,
    eventName: parsed.detail?.eventName ?? parsed.eventName ?? attribute('eventName'),
    key: parsed.key,
    eventTime,
    event: parsed.detail
      ? {
          key: parsed.key,
          customerId: parsed.customerId,
          detailType: parsed.detailType,
          time: eventTime,
          detail: parsed.detail,
        }
      : undefined,
    unpublishable: parsed.detail
      ? undefined
      : `parked without its detail (too large for the queue): fetch it again from Capillary with ${parsed.detailOmitted?.refetch ?? 'its event id'}`,
  };
}

function summarize(error: unknown): string {
  if (error instanceof z.ZodError) {
    return error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
  }
  return describeError(error);
}

/** Batch entries naming messages by receipt handle; `m<i>` is the message's place in the batch. */
function receiptEntries(
  batch: readonly Pick<ParkedEvent<unknown>, 'receiptHandle'>[],
): { Id: string; ReceiptHandle: string }[] {
  return batch.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.receiptHandle }));
}
