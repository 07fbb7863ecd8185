import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { describeError } from '../../domain/errors.js';
import type { EventPublisher, Logger, OutgoingEvent, PublishOutcome } from '../../domain/ports.js';
import { awsErrorSummary } from '../aws-error-summary.js';
import { backoffDelayMs } from '../backoff.js';
import {
  MAX_PUT_EVENTS_BYTES,
  packPutEventsBatches,
  putEventsEntrySize,
} from './put-events-entries.js';
import { classifyEntryCode, classifyRequestError } from './put-events-verdicts.js';

const DEFAULT_PUBLISH_MAX_ATTEMPTS = 4;
const DEFAULT_PUBLISH_BASE_DELAY_MS = 100;
const DEFAULT_PUBLISH_MAX_DELAY_MS = 5_000;

export interface EventBridgePublisherOptions {
  /** Build it with `createEventBridgeClient` (src/runtime/aws-clients.ts: SDK retries off). */
  client: EventBridgeClient;
  busName: string;
  source: string;
  /** Attempts per batch, first included (default 4). */
  maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))) ("full jitter"). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: Logger;
  /**
   * Epoch ms after which no PutEvents is sent nor waited for (a Lambda invocation's `publishBy`,
   * read at each attempt; its client cuts a request to it): what is left is `failed`, for the
   * next poll, and the cursor write after it still fits. Default: none.
   */
  deadline?: (() => number) | undefined;
}

interface Pending {
  index: number;
  entry: PutEventsRequestEntry;
  size: number;
}

type Unpublished = { status: 'rejected' | 'failed'; reason: string };
type Settle = (index: number, outcome: 'published' | Unpublished) => void;

/**
 * Puts events on an EventBridge bus with PutEvents: packed in order into requests within the
 * 10-entry and 256 KiB limits, failed entries retried with jittered exponential backoff.
 *
 * Retries are owned here, not by the SDK: build the client with `createEventBridgeClient`
 * (`maxAttempts: 1`). A client with SDK retries on still works but multiplies attempts; the first
 * publish logs a warning about it.
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #source: string;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #logger: Logger | undefined;
  readonly #deadline: (() => number) | undefined;
  #checkedSdkRetries = false;

  constructor(options: EventBridgePublisherOptions) {
    this.#client = options.client;
    this.#busName = options.busName;
    this.#source = options.source;
    this.#maxAttempts = Math.max(
      1,
      Math.floor(options.maxAttempts ?? DEFAULT_PUBLISH_MAX_ATTEMPTS),
    );
    this.#baseDelayMs = options.baseDelayMs ?? DEFAULT_PUBLISH_BASE_DELAY_MS;
    this.#maxDelayMs = options.maxDelayMs ?? DEFAULT_PUBLISH_MAX_DELAY_MS;
    this.#sleep =
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))));
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    this.#deadline = options.deadline;
  }

  /** The PutEvents entry for an event. */
  toEntry(event: OutgoingEvent): PutEventsRequestEntry {
    return {
      Source: this.#source,
      DetailType: event.detailType,
      Time: event.time,
      EventBusName: this.#busName,
      Detail: JSON.stringify(event.detail),
    };
  }

  /** The event's PutEvents entry size (what the request limit counts); throws when it cannot be serialized. */
  entrySize(event: OutgoingEvent): number {
    return putEventsEntrySize(this.toEntry(event));
  }

  async publish(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    await this.#warnIfSdkRetries();
    const outcomes: (PublishOutcome | undefined)[] = new Array(events.length);
    const settle: Settle = (index, outcome) => {
      const key = events[index]?.key ?? '';
      outcomes[index] =
        outcome === 'published' ? { key, status: 'published' } : { key, ...outcome };
    };

    const sendable: Pending[] = [];
    events.forEach((event, index) => {
      let entry: PutEventsRequestEntry;
      try {
        entry = this.toEntry(event);
      } catch (error) {
        settle(index, {
          status: 'rejected',
          reason: `detail cannot be serialized: ${describeError(error)}`,
        });
        return;
      }
      const size = putEventsEntrySize(entry);
      if (size > MAX_PUT_EVENTS_BYTES) {
        const reason = `entry is ${size} bytes, over the PutEvents limit of ${MAX_PUT_EVENTS_BYTES} bytes (Time + Source + DetailType + Detail, UTF-8)`;
        this.#logger?.warn('event too large for EventBridge', { key: event.key, size });
        settle(index, { status: 'rejected', reason });
        return;
      }
      sendable.push({ index, entry, size });
    });

    for (const batch of packPutEventsBatches(sendable)) {
      await this.#sendBatch(batch, settle);
    }

    return outcomes.map(
      (outcome, index) =>
        outcome ?? {
          key: events[index]?.key ?? '',
          status: 'failed',
          reason: 'no outcome was recorded for the event (publisher bug)',
        },
    );
  }

  async #sendBatch(batch: readonly Pending[], settle: Settle): Promise<void> {
    let pending = batch;
    const reasons = new Map<number, string>();
    for (let attempt = 1; ; attempt++) {
      if (this.#outOfTime(0)) {
        for (const item of pending) {
          settle(item.index, {
            status: 'failed',
            reason: `${reasons.get(item.index) ?? 'not sent'}: no time left to publish before the invocation ends`,
          });
        }
        return;
      }
      let results: { ErrorCode?: string | undefined; ErrorMessage?: string | undefined }[];
      try {
        const response = await this.#client.send(
          new PutEventsCommand({ Entries: pending.map((item) => item.entry) }),
        );
        results = response.Entries ?? [];
      } catch (error) {
        const verdict = classifyRequestError(error);
        const reason = `PutEvents failed: ${awsErrorSummary(error)}`;
        if (verdict === 'transient') {
          if (attempt < this.#maxAttempts) {
            this.#logger?.warn('PutEvents request failed, retrying', {
              attempt,
              entries: pending.length,
              error: awsErrorSummary(error),
            });
            for (const item of pending) reasons.set(item.index, reason);
            await this.#backoff(attempt);
            continue;
          }
          for (const item of pending) {
            settle(item.index, {
              status: 'failed',
              reason: `${reason} (gave up after ${attempt} attempts)`,
            });
          }
          return;
        }
        if (verdict === 'invalid' && pending.length > 1) {
          // The request as a whole was refused and the answer does not say which entry is at
          // fault: send each on its own so one bad entry cannot hold back the others.
          this.#logger?.warn('PutEvents request refused as invalid, isolating its entries', {
            entries: pending.length,
            error: awsErrorSummary(error),
          });
          for (const item of pending) await this.#sendBatch([item], settle);
          return;
        }
        const status = verdict === 'invalid' ? 'rejected' : 'failed';
        for (const item of pending) settle(item.index, { status, reason });
        return;
      }

      const retry: Pending[] = [];
      pending.forEach((item, position) => {
        const result = results[position];
        if (result === undefined) {
          reasons.set(item.index, 'PutEvents returned no result for the entry');
          retry.push(item);
          return;
        }
        if (!result.ErrorCode) {
          settle(item.index, 'published');
          return;
        }
        const reason = `PutEvents entry error ${result.ErrorCode}: ${result.ErrorMessage ?? '(no message)'}`;
        const verdict = classifyEntryCode(result.ErrorCode);
        if (verdict === 'retry') {
          reasons.set(item.index, reason);
          retry.push(item);
        } else {
          settle(item.index, { status: verdict, reason });
        }
      });

      if (retry.length === 0) return;
      if (attempt >= this.#maxAttempts) {
        for (const item of retry) {
          settle(item.index, {
            status: 'failed',
            reason: `${reasons.get(item.index) ?? 'PutEvents failed'} (gave up after ${attempt} attempts)`,
          });
        }
        return;
      }
      this.#logger?.warn('PutEvents entries failed, retrying them', {
        attempt,
        failed: retry.length,
        of: pending.length,
      });
      await this.#backoff(attempt);
      pending = retry;
    }
  }

  /** The backoff before the next attempt; none when that attempt would come too late anyway. */
  async #backoff(attempt: number): Promise<void> {
    const delays = { baseDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs };
    const delayMs = backoffDelayMs(attempt, { ...delays, jitter: 'full' }, this.#random);
    if (this.#outOfTime(delayMs)) return;
    await this.#sleep(delayMs);
  }

  /** Whether an attempt `afterMs` from now would start at or past the deadline. */
  #outOfTime(afterMs: number): boolean {
    return this.#deadline !== undefined && Date.now() + afterMs >= this.#deadline();
  }

  async #warnIfSdkRetries(): Promise<void> {
    if (this.#checkedSdkRetries) return;
    this.#checkedSdkRetries = true;
    try {
      const sdkAttempts = await this.#client.config.maxAttempts();
      if (sdkAttempts > 1) {
        this.#logger?.warn(
          'EventBridge client retries on its own: attempts multiply with the publisher retries; build it with createEventBridgeClient',
          { sdkMaxAttempts: sdkAttempts, publisherMaxAttempts: this.#maxAttempts },
        );
      }
    } catch {
      // Only a diagnostic.
    }
  }
}
