import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { describeError, PollerError } from '../../domain/errors.js';
import type { DeadLetterSink, OutgoingEvent, ParkOutcome } from '../../domain/ports.js';
import type { DeadLetterQueue, ParkedEvent } from '../../domain/publish/dead-letter-redrive.js';
import { EventDetailSchema } from '../../domain/publish/event-detail.js';

/** What one file holds: the event as it would have been published, and why it was not. */
const ParkedFileSchema = z.object({
  reason: z.string(),
  /** When the event was first parked (kept across redrives). */
  parkedAt: z.iso.datetime(),
  redriveAttempts: z.number().int().nonnegative(),
  event: z.object({
    key: z.string(),
    customerId: z.string(),
    detailType: z.string(),
    time: z.iso.datetime(),
    detail: EventDetailSchema,
  }),
});
type ParkedFile = z.infer<typeof ParkedFileSchema>;

/** A file of the directory could not be written or deleted. */
class EmbeddedDeadLetterQueueError extends PollerError {
  constructor(operation: string, file: string, cause: unknown) {
    super(
      `${operation} ${file} failed: ${describeError(cause)}`,
      'check that the directory is writable (delete .data/ to start afresh, losing what is parked)',
      { cause },
    );
  }
}

/**
 * The dead-letter queue of a local run, where no SQS queue is set: one JSON file per parked event
 * in `directory` (under `.data/`), so `dlq list|redrive|purge` can be tried without AWS, from any
 * terminal, while `npm start` runs. Files are written whole (a temporary file, then a rename);
 * what a reader `receive`s is hidden from that reader only, as no two people share a laptop's queue.
 */
export class EmbeddedDeadLetterQueue implements DeadLetterQueue, DeadLetterSink {
  readonly #directory: string;
  /** File name → epoch ms until which this reader does not see it again. */
  readonly #hidden = new Map<string, number>();

  constructor(options: { directory: string }) {
    this.#directory = path.resolve(options.directory);
  }

  async park(items: readonly { event: OutgoingEvent; reason: string }[]): Promise<ParkOutcome[]> {
    const outcomes: ParkOutcome[] = [];
    for (const { event, reason } of items) {
      try {
        await this.#write({
          reason,
          parkedAt: new Date().toISOString(),
          redriveAttempts: 0,
          event: { ...event, time: event.time.toISOString() },
        });
        outcomes.push({ key: event.key, parked: true });
      } catch (error) {
        outcomes.push({ key: event.key, parked: false, reason: describeError(error) });
      }
    }
    return outcomes;
  }

  async receive(visibilitySeconds: number): Promise<ParkedEvent[]> {
    const now = Date.now();
    const visible = (await this.#files()).filter((file) => (this.#hidden.get(file) ?? 0) <= now);
    const page: ParkedEvent[] = [];
    for (const file of visible) {
      if (page.length === 10) break;
      let text: string;
      try {
        text = await readFile(path.join(this.#directory, file), 'utf8');
      } catch (error) {
        // Removed by another command since the listing: nothing to read.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new EmbeddedDeadLetterQueueError('reading', file, error);
      }
      this.#hidden.set(file, now + visibilitySeconds * 1000);
      page.push(toParkedEvent(file, text));
    }
    return page;
  }

  async release(messages: readonly ParkedEvent[]): Promise<void> {
    for (const message of messages) this.#hidden.delete(message.receiptHandle);
  }

  async remove(
    messages: readonly ParkedEvent[],
  ): Promise<{ message: ParkedEvent; reason: string }[]> {
    const failed: { message: ParkedEvent; reason: string }[] = [];
    for (const message of messages) {
      try {
        await unlink(path.join(this.#directory, message.receiptHandle));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          failed.push({ message, reason: describeError(error) });
      }
    }
    return failed;
  }

  async repark(message: ParkedEvent, reason: string): Promise<void> {
    if (!message.event) throw new TypeError('repark takes only events that can be published');
    await this.#write({
      reason,
      parkedAt: message.parkedAt.toISOString(),
      redriveAttempts: message.redriveAttempts + 1,
      event: { ...message.event, time: message.event.time.toISOString() },
    });
    // Only once the new file is in: at worst the event is parked twice, never lost.
    const failed = await this.remove([message]);
    if (failed[0]) {
      throw new EmbeddedDeadLetterQueueError('deleting', message.receiptHandle, failed[0].reason);
    }
  }

  /** The parked files, oldest first (the names start with the time they were written). */
  async #files(): Promise<string[]> {
    try {
      return (await readdir(this.#directory)).filter((file) => file.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new EmbeddedDeadLetterQueueError('listing', this.#directory, error);
    }
  }

  async #write(parked: ParkedFile): Promise<void> {
    const file = `${Date.now().toString().padStart(15, '0')}-${randomUUID()}.json`;
    const target = path.join(this.#directory, file);
    try {
      await mkdir(this.#directory, { recursive: true });
      await writeFile(`${target}.tmp`, `${JSON.stringify(parked, null, 2)}\n`);
      await rename(`${target}.tmp`, target);
    } catch (error) {
      throw new EmbeddedDeadLetterQueueError('writing', target, error);
    }
  }
}

function toParkedEvent(file: string, text: string): ParkedEvent {
  const base = { messageId: file.replace(/\.json$/, ''), receiptHandle: file };
  let parsed: ParkedFile;
  try {
    parsed = ParkedFileSchema.parse(JSON.parse(text));
  } catch (error) {
    return {
      ...base,
      parkedAt: new Date(Number(file.split('-')[0]) || 0),
      reason: '(unreadable)',
      customerId: null,
      eventName: null,
      key: null,
      eventTime: null,
      event: undefined,
      unpublishable: `the file is not one the poller wrote: ${error instanceof z.ZodError ? z.prettifyError(error).split('\n')[0] : describeError(error)}`,
      redriveAttempts: 0,
    };
  }
  const event = { ...parsed.event, time: new Date(parsed.event.time) };
  return {
    ...base,
    parkedAt: new Date(parsed.parkedAt),
    reason: parsed.reason,
    customerId: event.customerId,
    eventName: event.detail.eventName,
    key: event.key,
    eventTime: event.time,
    event,
    unpublishable: undefined,
    redriveAttempts: parsed.redriveAttempts,
  };
}
