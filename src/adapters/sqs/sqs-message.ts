// What SQS takes in a message and in a SendMessageBatch, for every writer of a queue.
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { type BatchLimits, packBatches } from '../batch-packer.js';

/** SendMessageBatch (and the other batch calls) take at most 10 entries. */
const MAX_MESSAGES_PER_SEND_MESSAGE_BATCH = 10;
/** SendMessageBatch takes at most 1 MiB in all (the sum of the message sizes). */
export const MAX_SEND_MESSAGE_BATCH_BYTES = 1_048_576;

const SEND_MESSAGE_BATCH_LIMITS: BatchLimits = {
  maxCount: MAX_MESSAGES_PER_SEND_MESSAGE_BATCH,
  maxBytes: MAX_SEND_MESSAGE_BATCH_BYTES,
};

/** Splits sized messages, in order, into SendMessageBatch requests (10 messages, 1 MiB). */
export function packSendMessageBatches<T extends { size: number }>(items: readonly T[]): T[][] {
  return packBatches(items, SEND_MESSAGE_BATCH_LIMITS, (item) => item.size);
}

/** Splits entries, in order, into batch calls of at most 10 (entries whose size does not matter). */
export function batchCallsOf<T>(items: readonly T[]): T[][] {
  return packBatches(items, { maxCount: MAX_MESSAGES_PER_SEND_MESSAGE_BATCH });
}

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

/**
 * JSON for an SQS body. SQS refuses characters outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
 * #x10000-#x10FFFF; JSON.stringify already escapes control characters and lone surrogates, which
 * leaves U+FFFE and U+FFFF (only ever inside strings, where an escape means the same).
 */
export function toSqsBody(message: unknown): string {
  return JSON.stringify(message).replace(
    /[\uFFFE\uFFFF]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16)}`,
  );
}

const NOT_ALLOWED_IN_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** A string attribute SQS accepts: never empty, and only the characters a body may hold. */
export function stringAttribute(value: string): MessageAttributeValue {
  const clean = value.replace(NOT_ALLOWED_IN_SQS, '\uFFFD');
  return { DataType: 'String', StringValue: clean === '' ? '-' : clean };
}

/** How long the `reason` attribute may be; the body keeps the whole reason. */
export const MAX_REASON_ATTRIBUTE_CHARS = 256;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
