// The message an unpublishable event is parked as: its detail when it fits the queue, else what is
// needed to fetch the event again from Capillary.
import type { MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { OutgoingEvent } from '../../domain/ports.js';
import {
  MAX_REASON_ATTRIBUTE_CHARS,
  sqsMessageSize,
  stringAttribute,
  toSqsBody,
  truncate,
} from './sqs-message.js';

/**
 * The message size assumed for the queue unless told otherwise: 256 KiB, which every queue
 * accepts. SQS allows up to 1 MiB per message when the queue's MaximumMessageSize says so; pass
 * `maxMessageBytes` to match the queue.
 */
export const DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES = 262_144;
/** Capillary's read of one event by its id, for messages parked without their detail. */
const CAPILLARY_EVENT_LOOKUP_PATH = '/v2/events/event_data';

const MAX_REASON_CHARS_WITHOUT_DETAIL = 4_096;

/** What every parked message says: why, and which event. */
interface ParkedEventHeader {
  reason: string;
  customerId: string;
  key: string;
  detailType: string;
  time: string;
}

/** The body of a parked message. */
type DeadLetterMessage =
  | (ParkedEventHeader & { detail: OutgoingEvent['detail'] })
  | (ParkedEventHeader & {
      eventName: string;
      eventId: string | null;
      uniqueId: string | null;
      orgId: number | null;
      date: string;
      /** Set instead of `detail` when the message with its detail would be too large. */
      detailOmitted: { detailBytes: number; maxMessageBytes: number; refetch: string };
    });

interface BuiltDeadLetterMessage {
  entry: Omit<SendMessageBatchRequestEntry, 'Id'>;
  size: number;
  detailIncluded: boolean;
  /** The size with the detail, which was over the limit when `detailIncluded` is false. */
  fullSize: number;
}

/** The message for an event: with its detail when it fits `maxMessageBytes`, without it otherwise. */
export function deadLetterMessage(
  event: OutgoingEvent,
  reason: string,
  maxMessageBytes: number,
): BuiltDeadLetterMessage {
  const attributes: Record<string, MessageAttributeValue> = {
    customerId: stringAttribute(event.customerId),
    eventName: stringAttribute(event.detail.eventName),
    reason: stringAttribute(truncate(reason, MAX_REASON_ATTRIBUTE_CHARS)),
  };
  const header: ParkedEventHeader = {
    reason,
    customerId: event.customerId,
    key: event.key,
    detailType: event.detailType,
    time: event.time.toISOString(),
  };
  const full: DeadLetterMessage = { ...header, detail: event.detail };
  const fullBody = toSqsBody(full);
  const fullSize = sqsMessageSize(fullBody, attributes);
  if (fullSize <= maxMessageBytes) {
    return {
      entry: { MessageBody: fullBody, MessageAttributes: attributes },
      size: fullSize,
      detailIncluded: true,
      fullSize,
    };
  }

  const { detail } = event;
  const refetch =
    detail.eventId === null
      ? `GET ${CAPILLARY_EVENT_LOOKUP_PATH}/?userId=${encodeURIComponent(event.customerId)} and pick the event by uniqueId or date (it has no eventId)`
      : `GET ${CAPILLARY_EVENT_LOOKUP_PATH}?id=${encodeURIComponent(detail.eventId)}`;
  const stripped: DeadLetterMessage = {
    ...header,
    reason: truncate(reason, MAX_REASON_CHARS_WITHOUT_DETAIL),
    eventName: detail.eventName,
    eventId: detail.eventId,
    uniqueId: detail.uniqueId,
    orgId: detail.orgId,
    date: detail.date,
    detailOmitted: {
      detailBytes: Buffer.byteLength(JSON.stringify(detail), 'utf8'),
      maxMessageBytes,
      refetch,
    },
  };
  const body = toSqsBody(stripped);
  return {
    entry: { MessageBody: body, MessageAttributes: attributes },
    size: sqsMessageSize(body, attributes),
    detailIncluded: false,
    fullSize,
  };
}
