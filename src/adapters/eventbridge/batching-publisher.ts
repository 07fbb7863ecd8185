import { describeError } from '../../domain/errors.js';
import type { EventPublisher, OutgoingEvent, PublishOutcome } from '../../domain/ports.js';
import { packBatches } from '../batch-packer.js';
import { MAX_ENTRIES_PER_PUT_EVENTS, MAX_PUT_EVENTS_BYTES } from './put-events-entries.js';

/** How long an entry waits for others to share its PutEvents request. */
export const DEFAULT_LINGER_MS = 20;
const DEFAULT_MAX_CONCURRENT_REQUESTS = 16;

export interface BatchingPublisherOptions {
  /** Sends one packed request's events: an `EventBridgePublisher` (one PutEvents) or any publisher. */
  inner: EventPublisher;
  /**
   * An event's size as the request limit counts it (`EventBridgePublisher.entrySize`). Default: 0,
   * so only the entry count packs. When it throws, the event rides along and the inner publisher
   * reports why it cannot be sent.
   */
  sizeOf?: (event: OutgoingEvent) => number;
  /** Default 10 (PutEvents). */
  maxEntries?: number;
  /** Default the PutEvents request limit (`MAX_PUT_EVENTS_BYTES`). */
  maxBytes?: number;
  /** How long a partly filled request waits for other customers' events. Default 20 ms. */
  lingerMs?: number;
  /** Requests sent at once. Default 16. */
  maxConcurrentRequests?: number;
}

interface Caller {
  outcomes: (PublishOutcome | undefined)[];
  remaining: number;
  resolve: (outcomes: PublishOutcome[]) => void;
}

interface Queued {
  event: OutgoingEvent;
  size: number;
  caller: Caller;
  index: number;
}

/**
 * Packs the events of concurrent `publish` calls (one per customer) into shared requests: full
 * requests go at once, a partly filled one after a short linger. Each caller gets its own
 * outcomes, in its order; a failed request affects only its own entries, so a customer's cursor
 * still moves only past its own accepted events.
 */
export class BatchingPublisher implements EventPublisher {
  readonly #inner: EventPublisher;
  readonly #sizeOf: (event: OutgoingEvent) => number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #lingerMs: number;
  readonly #maxConcurrent: number;
  #queue: Queued[] = [];
  #queuedBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #active = 0;
  #ready: Queued[][] = [];

  constructor(options: BatchingPublisherOptions) {
    this.#inner = options.inner;
    this.#sizeOf = options.sizeOf ?? (() => 0);
    this.#maxEntries = options.maxEntries ?? MAX_ENTRIES_PER_PUT_EVENTS;
    this.#maxBytes = options.maxBytes ?? MAX_PUT_EVENTS_BYTES;
    this.#lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    this.#maxConcurrent = Math.max(
      1,
      options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
    );
  }

  publish(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const caller: Caller = {
        outcomes: new Array(events.length),
        remaining: events.length,
        resolve,
      };
      events.forEach((event, index) => {
        const size = this.#size(event);
        const item = { event, size, caller, index };
        if (size > this.#maxBytes) {
          // Too big for any request: on its own, so the inner publisher refuses it alone.
          this.#ready.push([item]);
          return;
        }
        this.#queue.push(item);
        this.#queuedBytes += size;
      });
      this.#flush(false);
    });
  }

  #size(event: OutgoingEvent): number {
    try {
      return this.#sizeOf(event);
    } catch {
      return 0;
    }
  }

  /** Moves full requests (all of them when `all`) to the send queue, then sends what it may. */
  #flush(all: boolean): void {
    const full = this.#queue.length >= this.#maxEntries || this.#queuedBytes >= this.#maxBytes;
    if (all || full) {
      const batches = packBatches(
        this.#queue,
        { maxCount: this.#maxEntries, maxBytes: this.#maxBytes },
        (item) => item.size,
      );
      const last = batches.at(-1);
      const keep =
        !all && last !== undefined && last.length < this.#maxEntries ? batches.pop() : undefined;
      this.#ready.push(...batches);
      this.#queue = keep ?? [];
      this.#queuedBytes = this.#queue.reduce((sum, item) => sum + item.size, 0);
    }
    if (this.#queue.length === 0 && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flush(true);
      }, this.#lingerMs);
    }
    this.#drain();
  }

  #drain(): void {
    while (this.#active < this.#maxConcurrent) {
      const batch = this.#ready.shift();
      if (batch === undefined) return;
      this.#active++;
      void this.#send(batch).finally(() => {
        this.#active--;
        this.#drain();
      });
    }
  }

  async #send(batch: readonly Queued[]): Promise<void> {
    let outcomes: PublishOutcome[];
    try {
      outcomes = await this.#inner.publish(batch.map((item) => item.event));
    } catch (error) {
      outcomes = batch.map((item) => ({
        key: item.event.key,
        status: 'failed',
        reason: `publishing failed: ${describeError(error)}`,
      }));
    }
    batch.forEach((item, position) => {
      const outcome = outcomes[position] ?? {
        key: item.event.key,
        status: 'failed' as const,
        reason: 'no outcome was returned for the event (publisher bug)',
      };
      const { caller } = item;
      caller.outcomes[item.index] = outcome;
      caller.remaining--;
      if (caller.remaining === 0) caller.resolve(caller.outcomes as PublishOutcome[]);
    });
  }
}
