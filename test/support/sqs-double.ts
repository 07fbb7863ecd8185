/**
 * A local stand-in for Amazon SQS SendMessageBatch that speaks the protocol the installed
 * `@aws-sdk/client-sqs` uses: AWS JSON 1.0 (`POST /`, `Content-Type: application/x-amz-json-1.0`,
 * `X-Amz-Target: AmazonSQS.SendMessageBatch`), query-compatible errors (`__type` plus the
 * `x-amzn-query-error` header), and the MD5 digests the SDK checks on every sent message.
 *
 *   const double = await SqsDouble.start();
 *   const client = createSqsClient({ region: 'us-east-1', endpoint: double.url,
 *     credentials: DUMMY_CREDENTIALS });
 *   new SqsDeadLetterSink({ client, queueUrl: double.queueUrl });
 *
 * It enforces the batch limits (10 entries, 1 MiB in all, distinct valid ids, the queue's message
 * size, the allowed characters), records every request and message, and takes injected faults.
 *
 * It also keeps the queue, for readers of the dead-letter queue: ReceiveMessage (visibility
 * timeout, receipt handles that change with each receive, `SentTimestamp`, MD5s the SDK checks),
 * DeleteMessageBatch, ChangeMessageVisibilityBatch and SendMessage. `queued()` is what is in it.
 */

import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSqsClient } from '../../src/runtime/aws-clients.js';
import { AwsJsonDouble, clientOn, type EntryFaultMatch, startWire } from './aws-json-double.js';
import { DUMMY_CREDENTIALS } from './eventbridge-double.js';
import { header, readBody } from './loopback-server.js';

const SQS_DOUBLE_ACCOUNT = '000000000000';

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;
const ALLOWED = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

export interface WireMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64 on the wire. */
  BinaryValue?: string;
}

export interface WireSendMessageBatchEntry {
  Id: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, WireMessageAttribute>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export interface RecordedSqsRequest {
  target: string | undefined;
  contentType: string | undefined;
  queueUrl: string | undefined;
  entries: WireSendMessageBatchEntry[];
  status: number;
  errorType?: string;
}

export interface RecordedMessage {
  queueUrl: string;
  messageId: string;
  body: string;
  attributes: Record<string, WireMessageAttribute>;
  requestIndex: number;
}

export interface SqsEntryFault extends EntryFaultMatch<WireSendMessageBatchEntry> {
  code: string;
  message?: string;
  senderFault?: boolean;
}

interface RequestFault {
  status: number;
  code: string;
  message: string;
}

/** The service it stands in for: its protocol and its answer to a request it failed. */
const SQS = {
  protocol: '1.0' as const,
  internalError: {
    status: 500,
    code: 'InternalError',
    message: 'We encountered an internal error. Please try again.',
  },
};

/** A message's size as SQS counts it: body, then each attribute's name, type and value. */
export function wireMessageSize(entry: WireSendMessageBatchEntry): number {
  let size = Buffer.byteLength(entry.MessageBody ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue);
    if (value.BinaryValue !== undefined) size += Buffer.from(value.BinaryValue, 'base64').length;
  }
  return size;
}

/** MD5 of the attributes as SQS computes MD5OfMessageAttributes. */
function md5OfMessageAttributes(attributes: Record<string, WireMessageAttribute>): string {
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] as WireMessageAttribute;
    lengthPrefixed(Buffer.from(name));
    lengthPrefixed(Buffer.from(value.DataType));
    if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue ?? ''));
    }
  }
  return hash.digest('hex');
}

/** A message in the queue, visible or not. */
export interface QueuedMessage {
  messageId: string;
  body: string;
  attributes: Record<string, WireMessageAttribute>;
  sentAt: number;
  visibleAt: number;
  receiptHandle: string | undefined;
  receiveCount: number;
}

/** The poller's SQS client on a started double. */
export const sqsClientOn = (double: { url: string }) =>
  clientOn(double, createSqsClient, DUMMY_CREDENTIALS);

/** A started double and the poller's SQS client on it; `closeWire` ends both. */
export const startSqsWire = (options: Parameters<typeof SqsDouble.start>[0] = {}) =>
  startWire(SqsDouble.start(options), createSqsClient, DUMMY_CREDENTIALS);

export class SqsDouble extends AwsJsonDouble<
  WireSendMessageBatchEntry,
  SqsEntryFault,
  RequestFault
> {
  readonly requests: RecordedSqsRequest[] = [];
  /** Every message ever sent, deleted ones included. */
  readonly messages: RecordedMessage[] = [];
  #queue: QueuedMessage[] = [];

  private constructor(
    readonly queueName: string,
    readonly maxMessageBytes: number,
  ) {
    super(SQS);
  }

  /** `maxMessageBytes`: the queue's MaximumMessageSize (default 256 KiB). */
  static async start(
    options: { queueName?: string; maxMessageBytes?: number } = {},
  ): Promise<SqsDouble> {
    return new SqsDouble(
      options.queueName ?? 'capillary-event-poller-dlq',
      options.maxMessageBytes ?? 262_144,
    ).listen();
  }

  /** The queue's URL, on the double's endpoint. */
  get queueUrl(): string {
    return `${this.url}/${SQS_DOUBLE_ACCOUNT}/${this.queueName}`;
  }

  /** Fails matching entries (they land in `Failed`) for the next `requests` requests that match. */
  failEntries(fault: SqsEntryFault): void {
    this.queueEntryFault(fault);
  }

  /** Messages parsed as JSON bodies. */
  bodies<T = Record<string, unknown>>(): T[] {
    return this.messages.map((message) => JSON.parse(message.body) as T);
  }

  /** What is in the queue now (visible or in flight), in the order it was sent. */
  queued(): QueuedMessage[] {
    return [...this.#queue];
  }

  /** Puts a message in the queue as if sent `sentAt` (epoch ms), without a request. */
  enqueue(body: string, attributes: Record<string, WireMessageAttribute>, sentAt: number): string {
    const messageId = randomUUID();
    this.#queue.push({
      messageId,
      body,
      attributes,
      sentAt,
      visibleAt: 0,
      receiptHandle: undefined,
      receiveCount: 0,
    });
    return messageId;
  }

  /** Deletes a message from the queue. */
  remove(messageId: string): void {
    this.#queue = this.#queue.filter((message) => message.messageId !== messageId);
  }

  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.#queue = [];
    this.clearFaults();
  }

  protected async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const record: RecordedSqsRequest = {
      target: header(request, 'x-amz-target'),
      contentType: header(request, 'content-type'),
      queueUrl: undefined,
      entries: [],
      status: 0,
    };
    this.requests.push(record);
    const requestIndex = this.requests.length - 1;
    // JSON 1.0 with query compatibility: `__type` is the shape id, the header the query code.
    const fail = (status: number, type: string, queryCode: string, message: string) => {
      record.status = status;
      record.errorType = type;
      const fault = status >= 500 ? 'Receiver' : 'Sender';
      this.send(
        response,
        status,
        { __type: `com.amazonaws.sqs#${type}`, message },
        { 'x-amzn-query-error': `${queryCode};${fault}` },
      );
    };
    const senderError = (type: string, message: string) =>
      fail(400, type, `AWS.SimpleQueueService.${type}`, message);

    if (request.method !== 'POST' || record.contentType !== 'application/x-amz-json-1.0') {
      return fail(400, 'InvalidParameterValue', 'InvalidParameterValue', 'expected AWS JSON 1.0');
    }
    const queueOperation = QUEUE_OPERATIONS[record.target ?? ''];
    if (!queueOperation && record.target !== 'AmazonSQS.SendMessageBatch') {
      return fail(
        400,
        'UnsupportedOperation',
        'AWS.SimpleQueueService.UnsupportedOperation',
        `unsupported target ${String(record.target)}`,
      );
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return fail(400, 'InvalidParameterValue', 'InvalidParameterValue', 'malformed JSON');
    }
    record.queueUrl = parsed.QueueUrl as string | undefined;
    const entries = Array.isArray(parsed.Entries)
      ? (parsed.Entries as WireSendMessageBatchEntry[])
      : [];
    if (!queueOperation) record.entries = entries;

    const refusal = this.nextRefusal();
    if (refusal) return fail(refusal.status, refusal.code, refusal.code, refusal.message);
    if (parsed.QueueUrl !== this.queueUrl) {
      return fail(
        400,
        'QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    }
    if (queueOperation) {
      record.status = 200;
      return this.send(response, 200, queueOperation(this, parsed, requestIndex));
    }
    if (entries.length === 0) {
      return senderError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    }
    if (entries.length > MAX_ENTRIES) {
      return senderError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    if (
      entries.some(
        (entry) => typeof entry.Id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(entry.Id),
      )
    ) {
      return senderError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) {
      return senderError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    const total = entries.reduce((sum, entry) => sum + wireMessageSize(entry), 0);
    if (total > MAX_BATCH_BYTES) {
      return senderError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`,
      );
    }

    const Successful: Record<string, string>[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    const faults = this.entryFaults(entries);
    entries.forEach((entry, index) => {
      const fault = faults[index];
      if (fault) {
        Failed.push({
          Id: entry.Id,
          SenderFault: fault.senderFault ?? false,
          Code: fault.code,
          Message: fault.message ?? `injected ${fault.code}`,
        });
        return;
      }
      const problem = validateMessage(entry, this.maxMessageBytes);
      if (problem) {
        Failed.push({ Id: entry.Id, SenderFault: true, ...problem });
        return;
      }
      const attributes = entry.MessageAttributes ?? {};
      const messageId = this.enqueue(entry.MessageBody, attributes, Date.now());
      this.messages.push({
        queueUrl: this.queueUrl,
        messageId,
        body: entry.MessageBody,
        attributes,
        requestIndex,
      });
      Successful.push({
        Id: entry.Id,
        MessageId: messageId,
        MD5OfMessageBody: md5(entry.MessageBody),
        ...(Object.keys(attributes).length > 0
          ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }
          : {}),
      });
    });

    record.status = 200;
    this.send(response, 200, { Successful, Failed });
  }
}

type QueueOperation = (
  double: SqsDouble,
  request: Record<string, unknown>,
  requestIndex: number,
) => unknown;

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** The operations on the queue's content, each answering with the service's response shape. */
const QUEUE_OPERATIONS: Record<string, QueueOperation> = {
  'AmazonSQS.ReceiveMessage': (double, request) => {
    const now = Date.now();
    const max = Math.min(Number(request.MaxNumberOfMessages ?? 1), 10);
    const visibility = Number(request.VisibilityTimeout ?? 30);
    const Messages = double
      .queued()
      .filter((message) => message.visibleAt <= now)
      .slice(0, max)
      .map((message) => {
        message.receiptHandle = randomUUID();
        message.visibleAt = now + visibility * 1000;
        message.receiveCount++;
        const hasAttributes = Object.keys(message.attributes).length > 0;
        return {
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: md5(message.body),
          Body: message.body,
          Attributes: {
            SentTimestamp: String(message.sentAt),
            ApproximateReceiveCount: String(message.receiveCount),
          },
          ...(hasAttributes
            ? {
                MessageAttributes: message.attributes,
                MD5OfMessageAttributes: md5OfMessageAttributes(message.attributes),
              }
            : {}),
        };
      });
    return Messages.length > 0 ? { Messages } : {};
  },
  'AmazonSQS.DeleteMessageBatch': (double, request) =>
    batchOnHandles(double, request, (message) => double.remove(message.messageId)),
  'AmazonSQS.ChangeMessageVisibilityBatch': (double, request) =>
    batchOnHandles(double, request, (message, entry) => {
      message.visibleAt = Date.now() + Number(entry.VisibilityTimeout ?? 0) * 1000;
    }),
  'AmazonSQS.SendMessage': (double, request, requestIndex) => {
    const body = String(request.MessageBody ?? '');
    const attributes = (request.MessageAttributes ?? {}) as Record<string, WireMessageAttribute>;
    const messageId = double.enqueue(body, attributes, Date.now());
    double.messages.push({
      queueUrl: double.queueUrl,
      messageId,
      body,
      attributes,
      requestIndex,
    });
    return {
      MessageId: messageId,
      MD5OfMessageBody: md5(body),
      ...(Object.keys(attributes).length > 0
        ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }
        : {}),
    };
  },
};

/** Applies `change` to each entry's message, found by its latest receipt handle. */
function batchOnHandles(
  double: SqsDouble,
  request: Record<string, unknown>,
  change: (message: QueuedMessage, entry: Record<string, unknown>) => void,
): unknown {
  const entries = (request.Entries ?? []) as Record<string, unknown>[];
  const Successful: { Id: unknown }[] = [];
  const Failed: { Id: unknown; SenderFault: boolean; Code: string; Message: string }[] = [];
  for (const entry of entries) {
    const message = double
      .queued()
      .find((candidate) => candidate.receiptHandle === entry.ReceiptHandle);
    if (!message) {
      Failed.push({
        Id: entry.Id,
        SenderFault: true,
        Code: 'ReceiptHandleIsInvalid',
        Message: 'The input receipt handle is invalid.',
      });
      continue;
    }
    change(message, entry);
    Successful.push({ Id: entry.Id });
  }
  return { Successful, Failed };
}

function validateMessage(
  entry: WireSendMessageBatchEntry,
  maxMessageBytes: number,
): { Code: string; Message: string } | undefined {
  if (typeof entry.MessageBody !== 'string' || entry.MessageBody === '') {
    return {
      Code: 'MissingParameter',
      Message: 'The request must contain the parameter MessageBody.',
    };
  }
  if (!ALLOWED.test(entry.MessageBody)) {
    return { Code: 'InvalidMessageContents', Message: 'Invalid characters found.' };
  }
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    const empty =
      !value.DataType || (value.StringValue === undefined && value.BinaryValue === undefined);
    if (empty || value.StringValue === '' || !ALLOWED.test(value.StringValue ?? '')) {
      return {
        Code: 'InvalidParameterValue',
        Message: `Message attribute '${name}' is not valid.`,
      };
    }
  }
  const size = wireMessageSize(entry);
  if (size > maxMessageBytes) {
    return {
      Code: 'InvalidParameterValue',
      Message: `One or more parameters are invalid. Reason: Message must be shorter than ${maxMessageBytes} bytes.`,
    };
  }
  return undefined;
}
