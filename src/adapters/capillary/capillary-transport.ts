import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, request } from 'undici';
import { describeError, QuotaWaitError } from '../../domain/errors.js';
import type { QuotaGate } from '../../domain/ports.js';
import { DEFAULT_MAX_RESPONSE_BYTES, discardBody, readCappedBody } from './response-body.js';

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
