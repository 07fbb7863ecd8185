// How one request reaches Capillary: within the quota (a shared gate, or the in-process token
// bucket) and the deadline, over the process-wide keep-alive pool, its body read up to a cap.
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';
import { describeError, QuotaWaitError } from '../../domain/errors.js';
import { checkedQuotaPolicy } from '../../domain/gcra.js';
import type { QuotaGate } from '../../domain/ports.js';

/** What one request gave, before any reading of its meaning. */
export type Exchange =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; bytes: Buffer; url: URL }
  /** Headers arrived, the body did not (whole): too large, compressed, too slow, cut off. */
  | {
      kind: 'bad-body';
      status: number;
      failure: 'malformed' | 'timeout' | 'network';
      detail: string;
    }
  | { kind: 'no-response'; failure: 'timeout' | 'network'; detail: string; cause: unknown };

export interface CapillaryTransportOptions {
  /** Deadline of one request: connect, headers and body (a body that trickles in fails at it). */
  timeoutMs: number;
  /**
   * Epoch ms by which every request must be over (a Lambda invocation's): waits for budget and
   * requests are cut to it, and none starts after it. Default: none.
   */
  deadline?: (() => number) | undefined;
  dispatcher: Dispatcher;
  /** Every request takes its share of the budget here first. */
  quota: QuotaGate;
  /** Largest accepted body; reading stops there. Default `DEFAULT_MAX_RESPONSE_BYTES`. */
  maxResponseBytes?: number;
  /** Told of every request once it is answered or failed. */
  onRequest?: ((report: { latencyMs: number }) => void) | undefined;
}

/**
 * Sends one request to Capillary within the quota and the deadline, and reads at most
 * `maxResponseBytes` of its answer. Redirects are never read nor followed, compressed bodies are
 * refused unread: a misbehaving server costs a bounded time and memory, never a crash.
 */
export class CapillaryTransport {
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private sent = 0;

  constructor(private readonly options: CapillaryTransportOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  #timeLeft(): number {
    return timeLeftOf(this.timeoutMs, this.options.deadline);
  }

  /** Requests sent so far: what counts against the quota. */
  requestsSent(): number {
    return this.sent;
  }

  async send(
    method: 'GET' | 'POST',
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Exchange> {
    // The wait for budget is bounded like a request: a poller that cannot get it in time gives up.
    await this.options.quota.take(this.#timeLeft());
    const timeoutMs = this.#timeLeft();
    this.sent++;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const sentAt = performance.now();
    try {
      const response = await request(url, {
        method,
        headers,
        body: body ?? null,
        dispatcher: this.options.dispatcher,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const status = response.statusCode;
      if (status >= 300 && status < 400) {
        // Never read, never followed.
        discardBody(response.body);
        return { kind: 'response', status, headers: response.headers, bytes: Buffer.alloc(0), url };
      }
      let received = 0;
      try {
        const read = await readCappedBody(
          response.body,
          response.headers,
          this.maxResponseBytes,
          (bytes) => {
            received = bytes;
          },
        );
        if (read.kind === 'complete') {
          return { kind: 'response', status, headers: response.headers, bytes: read.bytes, url };
        }
        const detail =
          read.kind === 'encoded'
            ? `the body is compressed (Content-Encoding: ${read.encoding}) though no compression was asked for: refused unread`
            : `the body is larger than ${this.maxResponseBytes} bytes (${read.announcedBytes === undefined ? `stopped after ${read.receivedBytes}` : `${read.announcedBytes} announced`}): refused`;
        return { kind: 'bad-body', status, failure: 'malformed', detail };
      } catch (error) {
        if (timedOut || isTimeout(error)) {
          return {
            kind: 'bad-body',
            status,
            failure: 'timeout',
            detail: `the body did not arrive within ${timeoutMs} ms (${received} bytes received): a slow or stalled response`,
          };
        }
        return {
          kind: 'bad-body',
          status,
          failure: 'network',
          detail: `the body was cut off after ${received} bytes: ${describeError(error)}`,
        };
      }
    } catch (error) {
      if (timedOut || isTimeout(error)) {
        return {
          kind: 'no-response',
          failure: 'timeout',
          detail: `no answer within ${timeoutMs} ms`,
          cause: error,
        };
      }
      return {
        kind: 'no-response',
        failure: 'network',
        detail: `network error: ${describeError(error)}`,
        cause: error,
      };
    } finally {
      clearTimeout(timer);
      this.options.onRequest?.({ latencyMs: performance.now() - sentAt });
    }
  }
}

/** What is left of the request timeout and the deadline; throws when nothing is. */
function timeLeftOf(timeoutMs: number, deadline: (() => number) | undefined): number {
  const left = deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline() - Date.now());
  if (left < 1) throw new QuotaWaitError(0, 'the invocation has no time left for a request');
  return left;
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

let agent: Agent | undefined;

/** The longest a TCP/TLS connect may take, whatever the request timeout. */
const MAX_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The process-wide keep-alive connection pool for Capillary, created on first use and reused by
 * every client (and every warm Lambda invocation). The first caller's `timeoutMs` sets the pool's
 * defaults; each request also carries its own timeouts.
 */
export function sharedDispatcher(timeoutMs = 10_000): Dispatcher {
  agent ??= new Agent({
    connect: { timeout: Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
  });
  return agent;
}

/** Closes the shared pool (graceful shutdown, tests); the next `sharedDispatcher()` makes a new one. */
export async function closeSharedDispatcher(): Promise<void> {
  const closing = agent;
  agent = undefined;
  await closing?.close();
}

/**
 * The largest response body read, in bytes. A longer one is not read to its end: the connection
 * is dropped at this many bytes (an endless chunked body stops here too), and the poll fails.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** What reading a body gave: all of it, or why it stopped. */
export type BodyRead =
  | { kind: 'complete'; bytes: Buffer }
  /** More than `maxBytes` was announced or sent; reading stopped there. */
  | { kind: 'too-large'; receivedBytes: number; announcedBytes: number | undefined }
  /** Compressed though nobody asked for it: refused unread (no gzip bomb is ever inflated). */
  | { kind: 'encoded'; encoding: string };

/** A body stream as undici gives it. */
export interface BodyStream extends AsyncIterable<unknown> {
  destroy(error?: Error): unknown;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
}

/**
 * Drops a body unread, closing its connection (a huge or endless body is never drained). undici
 * reports the abort as an 'error' event: it is expected, so it is listened to and ignored.
 */
function discardBody(body: BodyStream): void {
  body.on?.('error', () => {});
  body.destroy();
}

/**
 * Reads a response body up to `maxBytes`. Stops (and drops the connection) as soon as the body
 * is announced or found to be larger, or is compressed: the client never sends Accept-Encoding,
 * so a Content-Encoding other than `identity` is the server's mistake. A deadline is the caller's
 * abort signal: the iteration throws, and the caller knows the headers had arrived.
 */
export async function readCappedBody(
  body: BodyStream,
  headers: IncomingHttpHeaders,
  maxBytes: number,
  onProgress?: (receivedBytes: number) => void,
): Promise<BodyRead> {
  const encoding = headerText(headers['content-encoding']).trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    discardBody(body);
    return { kind: 'encoded', encoding: encoding.slice(0, 40) };
  }
  const announced = Number(headerText(headers['content-length']));
  const announcedBytes = headerText(headers['content-length']) === '' ? undefined : announced;
  if (announcedBytes !== undefined && announcedBytes > maxBytes) {
    discardBody(body);
    return { kind: 'too-large', receivedBytes: 0, announcedBytes };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    onProgress?.(size);
    if (size > maxBytes) {
      discardBody(body);
      return { kind: 'too-large', receivedBytes: size, announcedBytes };
    }
    chunks.push(buffer);
  }
  return { kind: 'complete', bytes: Buffer.concat(chunks) };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or `undefined` when it is not valid UTF-8 (a BOM is dropped). */
export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    const text = STRICT_UTF8.decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return undefined;
  }
}

export function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** The longest a timer can wait: `setTimeout` fires at once beyond it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TokenBucketOptions {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Most tokens held at once, i.e. the largest burst after a quiet spell. Default: `max(1, floor(ratePerSecond))`. */
  burst?: number;
  /** Monotonic clock in milliseconds. Default: `performance.now()`. */
  now?: () => number;
  /** Waits that many milliseconds. Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A token bucket shared by every request of one client. A request that finds the bucket empty
 * takes a token on credit and waits until that token would have been added, so requests are served
 * first come, first served, and never dropped. The budget of one process: the embedded (`npm start`)
 * runtime's quota gate, and the fallback where no table is shared.
 */
export class TokenBucket implements QuotaGate {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** May be negative: tokens already promised to waiting requests. */
  private tokens: number;
  private updatedAt: number;
  /** No request goes out before this (the server asked everyone to wait). */
  private pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(options: TokenBucketOptions) {
    const { ratePerSecond, burst } = checkedQuotaPolicy(options.ratePerSecond, options.burst, 1);
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.tokens = burst;
    this.updatedAt = this.now();
  }

  /**
   * Takes one token now (on credit when the bucket is empty) and returns how many milliseconds
   * the caller must wait before using it. Pure accounting: it never waits itself.
   */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    const forToken = this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
    return Math.max(forToken, Math.ceil(this.pausedUntil - this.updatedAt));
  }

  /**
   * Holds every request back for `ms` (a 429's Retry-After): the limit is the API key's, so one
   * throttled request means the others would be throttled too.
   */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /**
   * Resolves when the caller may send one request; throws `QuotaWaitError` (the token given back)
   * when that is more than `maxWaitMs` away.
   */
  async take(maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    const wait = this.reserve();
    if (wait > maxWaitMs) {
      this.tokens += 1;
      throw new QuotaWaitError(maxWaitMs);
    }
    // setTimeout fires at once past 2^31 - 1 ms: a longer wait is served in parts.
    for (let left = wait; left > 0; left -= MAX_TIMER_MS)
      await this.sleep(Math.min(left, MAX_TIMER_MS));
  }

  /** Tokens available right now; negative when requests are queued for future tokens. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.updatedAt = now;
  }
}
