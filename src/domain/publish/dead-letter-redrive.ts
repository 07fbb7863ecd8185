import { describeError } from '../errors.js';
import type { OutgoingEvent, PublishOutcome } from '../ports.js';

/**
 * One message of a dead-letter queue, as read (and hidden) by `receive`. `E` is what a redrive
 * sends again: the poller's event, or a webhook's queued delivery.
 */
export interface ParkedEvent<E = OutgoingEvent> {
  messageId: string;
  /** Valid until the message is released, removed or its visibility timeout ends. */
  receiptHandle: string;
  /** When the event was first parked (kept across redrives). */
  parkedAt: Date;
  /** Why it was parked, or why the last redrive failed. */
  reason: string;
  customerId: string | null;
  eventName: string | null;
  /** The event's identity, when the message could be read. */
  key: string | null;
  /** When the event happened, for oldest-first order. */
  eventTime: Date | null;
  /** The entry to publish again; `undefined` when it cannot be (see `unpublishable`). */
  event: E | undefined;
  /** Why the message cannot be published as it is (detail left out, unreadable body). */
  unpublishable: string | undefined;
  /** Redrives that already failed for this event. */
  redriveAttempts: number;
}

/** The dead-letter queue as redrive needs it (an SQS queue in production). */
export interface DeadLetterQueue<E = OutgoingEvent> {
  /** Up to 10 visible messages, hidden from other readers for `visibilitySeconds`. */
  receive(visibilitySeconds: number): Promise<ParkedEvent<E>[]>;
  /** Makes messages visible again at once (nothing done with them). */
  release(messages: readonly ParkedEvent<E>[]): Promise<void>;
  /** Deletes messages for good; returns those that could not be deleted, with why. */
  remove(
    messages: readonly ParkedEvent<E>[],
  ): Promise<{ message: ParkedEvent<E>; reason: string }[]>;
  /** Parks the event again with a new reason (a new message first, then the old one is deleted). */
  repark(message: ParkedEvent<E>, reason: string): Promise<void>;
}

/** Where a redrive sends parked events: the bus (an `EventPublisher`), or a webhook's queue. */
export interface RedriveTarget<E = OutgoingEvent> {
  publish(events: readonly E[]): Promise<PublishOutcome[]>;
}

/**
 * How long messages read by one run stay hidden. A run that dies leaves them invisible this long,
 * then they are back, unchanged: nothing is lost. Long enough for a run over thousands of events.
 */
export const REDRIVE_VISIBILITY_SECONDS = 600;
/**
 * Events handed to the publisher at once: progress and Ctrl-C are checked between chunks.
 */
const REDRIVE_CHUNK = 50;

/** Every visible message, read once (each is hidden as it is read), oldest event first. */
export async function readParked<E>(
  queue: DeadLetterQueue<E>,
  options: { signal?: AbortSignal; onProgress?: (read: number) => void } = {},
): Promise<ParkedEvent<E>[]> {
  const parked: ParkedEvent<E>[] = [];
  while (!options.signal?.aborted) {
    const page = await queue.receive(REDRIVE_VISIBILITY_SECONDS);
    if (page.length === 0) break;
    parked.push(...page);
    options.onProgress?.(parked.length);
  }
  return parked.sort(oldestFirst);
}

function oldestFirst<E>(a: ParkedEvent<E>, b: ParkedEvent<E>): number {
  const time = (parked: ParkedEvent<E>) => (parked.eventTime ?? parked.parkedAt).getTime();
  return time(a) - time(b) || a.parkedAt.getTime() - b.parkedAt.getTime();
}

export type RedriveOutcome =
  | { messageId: string; key: string | null; status: 'published' | 'would-publish' }
  /** Still parked: refused again (with the new reason), not publishable, or not reached. */
  | { messageId: string; key: string | null; status: 'still-parked'; reason: string };

export interface RedriveSummary {
  /** Messages found in the queue. */
  found: number;
  outcomes: RedriveOutcome[];
  published: number;
  stillParked: number;
  /** Ctrl-C stopped the run before every chosen event was tried. */
  interrupted: boolean;
}

export interface RedriveOptions {
  /** The oldest `limit` publishable events; all of them when unset. */
  limit?: number | undefined;
  /** Read and report only: nothing is published or deleted. */
  dryRun: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number; published: number }) => void;
}

/**
 * Publishes parked events again, oldest first. A message is deleted only once the publisher
 * accepted its event; an event refused again is parked again with the new reason (so the next
 * `dlq list` says why), and anything not tried is released untouched.
 */
export async function redrive<E = OutgoingEvent>(
  queue: DeadLetterQueue<E>,
  publisher: RedriveTarget<E>,
  options: RedriveOptions,
): Promise<RedriveSummary> {
  const parked = await readParked(queue, { signal: options.signal });
  const publishable = parked.filter((message) => message.event !== undefined);
  const chosen = publishable.slice(0, options.limit ?? publishable.length);
  const chosenIds = new Set(chosen.map((message) => message.messageId));
  const outcomes: RedriveOutcome[] = parked
    .filter((message) => message.event === undefined)
    .map((message) => ({
      messageId: message.messageId,
      key: message.key,
      status: 'still-parked',
      reason: message.unpublishable ?? message.reason,
    }));
  await queue.release(parked.filter((message) => !chosenIds.has(message.messageId)));

  const summary: RedriveSummary = {
    found: parked.length,
    outcomes,
    published: 0,
    stillParked: parked.length - chosen.length,
    interrupted: false,
  };
  if (options.dryRun) {
    await queue.release(chosen);
    for (const message of chosen) {
      outcomes.push({ messageId: message.messageId, key: message.key, status: 'would-publish' });
    }
    return summary;
  }

  for (let start = 0; start < chosen.length; start += REDRIVE_CHUNK) {
    if (options.signal?.aborted) {
      const rest = chosen.slice(start);
      await queue.release(rest);
      summary.interrupted = true;
      summary.stillParked += rest.length;
      for (const message of rest) {
        outcomes.push({
          messageId: message.messageId,
          key: message.key,
          status: 'still-parked',
          reason: 'not tried: interrupted',
        });
      }
      break;
    }
    const chunk = chosen.slice(start, start + REDRIVE_CHUNK);
    const results = await publisher.publish(chunk.map((message) => message.event as E));
    const accepted: ParkedEvent<E>[] = [];
    for (const [index, message] of chunk.entries()) {
      const result = results[index];
      if (result?.status === 'published') {
        accepted.push(message);
        continue;
      }
      const reason = `redrive ${message.redriveAttempts + 1} failed: ${result?.reason ?? 'no outcome from the publisher'}`;
      summary.stillParked++;
      try {
        await queue.repark(message, reason);
        outcomes.push({
          messageId: message.messageId,
          key: message.key,
          status: 'still-parked',
          reason,
        });
      } catch (error) {
        // The old message is still there, unchanged: it comes back when its visibility ends.
        outcomes.push({
          messageId: message.messageId,
          key: message.key,
          status: 'still-parked',
          reason: `${reason} (the new reason could not be recorded: ${describeError(error)})`,
        });
      }
    }
    // A published message that cannot be deleted would be published again by the next run.
    const undeleted = await queue.remove(accepted);
    const undeletedIds = new Set(undeleted.map(({ message }) => message.messageId));
    summary.published += accepted.length;
    for (const message of accepted) {
      if (undeletedIds.has(message.messageId)) continue;
      outcomes.push({ messageId: message.messageId, key: message.key, status: 'published' });
    }
    for (const { message, reason } of undeleted) {
      outcomes.push({
        messageId: message.messageId,
        key: message.key,
        status: 'still-parked',
        reason: `published, but the message could not be deleted (${reason}): a later redrive publishes it again`,
      });
    }
    summary.stillParked += undeletedIds.size;
    options.onProgress?.({
      done: Math.min(start + REDRIVE_CHUNK, chosen.length),
      total: chosen.length,
      published: summary.published,
    });
  }
  return summary;
}

/** Deletes every visible message; returns how many were deleted and those that could not be. */
export async function purge<E>(
  queue: DeadLetterQueue<E>,
  options: { signal?: AbortSignal; onProgress?: (deleted: number) => void } = {},
): Promise<{ deleted: number; failed: { message: ParkedEvent<E>; reason: string }[] }> {
  let deleted = 0;
  const failed: { message: ParkedEvent<E>; reason: string }[] = [];
  while (!options.signal?.aborted) {
    const page = await queue.receive(REDRIVE_VISIBILITY_SECONDS);
    if (page.length === 0) break;
    const notDeleted = await queue.remove(page);
    failed.push(...notDeleted);
    deleted += page.length - notDeleted.length;
    options.onProgress?.(deleted);
  }
  return { deleted, failed };
}
