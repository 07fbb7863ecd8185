// POSTs one webhook delivery with undici and says what to do next: done, retry (when), or give up.
import { Agent, type Dispatcher, request } from 'undici';
import { parseRetryAfterMs } from '../capillary/capillary-responses.js';
import { readCappedBody } from '../capillary/capillary-transport.js';

/** What one delivery attempt came to. */
export type WebhookSendOutcome =
  | { kind: 'delivered'; status: number }
  /** Worth trying again: 408, 429, 5xx, a timeout or a network error. `retryAfterMs` when the receiver said. */
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  /** Trying again will not help (another 4xx, a redirect, which is never followed). */
  | { kind: 'permanent'; reason: string; status: number };

export interface WebhookRequest {
  url: URL;
  body: string;
  headers: Record<string, string>;
}

export interface WebhookSenderOptions {
  /** The whole attempt (connect, headers, body) is aborted after this long. */
  timeoutMs?: number;
  /** Response bodies are read up to this many bytes, to keep the connection; a longer one is dropped. */
  maxResponseBytes?: number;
  dispatcher?: Dispatcher;
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_CONNECT_TIMEOUT_MS = 5_000;

let agent: Agent | undefined;

/**
 * The process-wide pool for webhook endpoints, apart from Capillary's (its own timeouts, and a slow
 * receiver never holds Capillary's sockets).
 */
export function webhookDispatcher(): Dispatcher {
  agent ??= new Agent({
    connect: { timeout: MAX_CONNECT_TIMEOUT_MS },
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
  });
  return agent;
}

/** Statuses a receiver uses for "not now": the delivery is retried. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Sends one delivery. Never throws: every failure is an outcome. Redirects are not followed (a
 * signed body must reach the endpoint it was configured for). Reasons name the status or the
 * error's code, never the URL (a Slack or PagerDuty URL is itself a credential) nor the body.
 */
export async function sendWebhook(
  delivery: WebhookRequest,
  options: WebhookSenderOptions = {},
): Promise<WebhookSendOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  let response: Dispatcher.ResponseData;
  try {
    response = await request(delivery.url, {
      dispatcher: options.dispatcher ?? webhookDispatcher(),
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'capillary-event-poller-webhooks',
        ...delivery.headers,
      },
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (error) {
    return { kind: 'retry', reason: `request failed: ${errorCode(error)}` };
  }
  const { statusCode: status, headers } = response;
  try {
    await readCappedBody(
      response.body,
      headers,
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    );
  } catch {
    // The answer's status is what counts; a body cut short only costs the connection.
  }
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (retryable(status)) {
    const retryAfterMs = parseRetryAfterMs(headers['retry-after'], now());
    return {
      kind: 'retry',
      reason: `HTTP ${status}`,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const why = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return { kind: 'permanent', reason: `HTTP ${status}${why}`, status };
}

/** An undici or socket error's code (`UND_ERR_CONNECT_TIMEOUT`, `ECONNREFUSED`), else its name. */
function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return error.name === 'TimeoutError' || error.name === 'AbortError' ? 'timeout' : error.name;
  }
  return 'unknown error';
}

/**
 * Closes the pool; the next send opens a new one.
 */
export async function closeWebhookDispatcher(): Promise<void> {
  const closing = agent;
  agent = undefined;
  await closing?.close();
}
