import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { describeError } from '../../domain/errors.js';
import type { EventPublisher, Logger, OutgoingEvent, PublishOutcome } from '../../domain/ports.js';
import { backoffDelayMs } from '../backoff.js';

/** PutEvents accepts at most 10 entries per request. */
export const MAX_ENTRIES_PER_PUT_EVENTS = 10;
/** PutEvents accepts at most 256 KiB per request, as the sum of the entry sizes below. */
export const MAX_PUT_EVENTS_BYTES = 262_144;
/** What a set `Time` counts for in an entry's size, whatever its value. */
export const PUT_EVENTS_TIME_BYTES = 14;

export const DEFAULT_PUBLISH_MAX_ATTEMPTS = 4;
export const DEFAULT_PUBLISH_BASE_DELAY_MS = 100;
export const DEFAULT_PUBLISH_MAX_DELAY_MS = 5_000;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * An entry's size as AWS documents it ("Calculating Amazon EventBridge PutEvents event entry size"):
 * 14 bytes for `Time` when set, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of
 * `Resources`. `EventBusName` and `TraceHeader` do not count.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time === undefined ? 0 : PUT_EVENTS_TIME_BYTES;
  if (entry.Source !== undefined) size += utf8Bytes(entry.Source);
  if (entry.DetailType !== undefined) size += utf8Bytes(entry.DetailType);
  if (entry.Detail !== undefined) size += utf8Bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8Bytes(resource);
  return size;
}

/**
 * Splits sized items, in order, into batches of at most `maxEntries` items and `maxBytes` bytes.
 * Every item must fit on its own (`size <= maxBytes`); callers set bigger ones aside first.
 */
export function packPutEventsBatches<T extends { size: number }>(
  items: readonly T[],
  maxEntries = MAX_ENTRIES_PER_PUT_EVENTS,
  maxBytes = MAX_PUT_EVENTS_BYTES,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxEntries || bytes + item.size > maxBytes)) {
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

export interface EventBridgeClientOptions {
  region: string;
  /** Set for a local double or a VPC endpoint; the regional endpoint otherwise. */
  endpoint?: URL | string | undefined;
  credentials?: EventBridgeClientConfig['credentials'];
  /** Per request socket timeout. */
  requestTimeoutMs?: number;
}

/**
 * The client `EventBridgePublisher` expects: the SDK's own retries are off (`maxAttempts: 1`)
 * because the publisher owns retrying. It must: only it knows to retry the failed entries of a
 * partially failed request (the SDK sees a 200), and two retry loops would multiply
 * (SDK 3 attempts x publisher 4 attempts = 12 requests per batch under throttling).
 */
export function createEventBridgeClient(options: EventBridgeClientOptions): EventBridgeClient {
  return new EventBridgeClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint.toString() }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: 5_000,
    },
  });
}

export interface EventBridgePublisherOptions {
  /** Build it with `createEventBridgeClient` (SDK retries off; see there). */
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
}

/**
 * Per AWS (PutEventsResultEntry.ErrorCode) the retryable entry errors are InternalFailure and
 * ThrottlingException: retried with backoff, `failed` when attempts run out.
 */
const RETRYABLE_ENTRY_CODES = new Set(['InternalFailure', 'ThrottlingException']);
/**
 * AWS lists these as non-retryable, so they are not retried now. They are about the publisher's
 * permissions or account, not about the event, which would be accepted once access is fixed:
 * they are `failed` (tried again on a later run) rather than `rejected` (parked for good).
 */
const ACCESS_ENTRY_CODES = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);
// Everything else (MalformedDetail, InvalidArgument, RedactionFailure, unknown codes) is about the
// entry itself and non-retryable: sending the same entry again cannot succeed, so it is `rejected`.

type EntryVerdict = 'retry' | 'failed' | 'rejected';

function classifyEntryCode(code: string): EntryVerdict {
  if (RETRYABLE_ENTRY_CODES.has(code)) return 'retry';
  if (ACCESS_ENTRY_CODES.has(code)) return 'failed';
  return 'rejected';
}

const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
]);
const TRANSIENT_ERRORS = new Set([
  'InternalException',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

type RequestVerdict = 'transient' | 'invalid' | 'permanent';

/** A whole request's failure: retry it, isolate a bad entry, or give up for now. */
function classifyRequestError(error: unknown): RequestVerdict {
  if (!(error instanceof Error)) return 'transient';
  const { name } = error;
  const sdk = error as Error & {
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = sdk.$metadata?.httpStatusCode;
  if (THROTTLING_ERRORS.has(name) || TRANSIENT_ERRORS.has(name) || sdk.$retryable) {
    return 'transient';
  }
  // No HTTP status: the request never got an answer (connection refused or reset, timeout).
  if (status === undefined || status >= 500 || status === 429) return 'transient';
  if (name === 'ValidationException' || name === 'SerializationException') return 'invalid';
  return 'permanent';
}

function errorSummary(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describeError(error);
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
      let results: { ErrorCode?: string | undefined; ErrorMessage?: string | undefined }[];
      try {
        const response = await this.#client.send(
          new PutEventsCommand({ Entries: pending.map((item) => item.entry) }),
        );
        results = response.Entries ?? [];
      } catch (error) {
        const verdict = classifyRequestError(error);
        const reason = `PutEvents failed: ${errorSummary(error)}`;
        if (verdict === 'transient') {
          if (attempt < this.#maxAttempts) {
            this.#logger?.warn('PutEvents request failed, retrying', {
              attempt,
              entries: pending.length,
              error: errorSummary(error),
            });
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
            error: errorSummary(error),
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

  #backoff(attempt: number): Promise<void> {
    const delays = { baseDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs };
    return this.#sleep(backoffDelayMs(attempt, { ...delays, jitter: 'full' }, this.#random));
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
