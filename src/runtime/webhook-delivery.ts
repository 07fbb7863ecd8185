// One webhook's deliveries from its queue: each message is signed (when asked), sent at the
// webhook's pace, and then deleted (delivered or parked) or hidden until its next retry.

import { backoffDelayMs } from '../adapters/backoff.js';
import { isLoopbackHost } from '../adapters/capillary/capillary-requests.js';
import type { ClientCredentialsTokens } from '../adapters/webhook/oauth-client-credentials.js';
import type { DeliveryQueues } from '../adapters/webhook/sqs-delivery-queues.js';
import type { WebhookDeliveryConfig } from '../adapters/webhook/webhook-delivery-config.js';
import { parseWebhookEnvelope } from '../adapters/webhook/webhook-envelope.js';
import type { SecretReader } from '../adapters/webhook/webhook-secrets.js';
import type { WebhookRequest, WebhookSendOutcome } from '../adapters/webhook/webhook-sender.js';
import { describeError } from '../domain/errors.js';
import type { Logger } from '../domain/ports.js';
import { signWebhook } from '../domain/publish/webhook-signature.js';

/** One queue message as the delivery needs it (an SQS record). */
export interface QueuedDelivery {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** When the message was put on the queue (epoch ms): its age bounds the retries. */
  sentAt: number;
  /** This receive's number, 1 for the first attempt. */
  receiveCount: number;
}

export interface WebhookDeliveryDependencies {
  config: WebhookDeliveryConfig;
  secrets: SecretReader;
  tokens: ClientCredentialsTokens;
  queues: DeliveryQueues;
  send: (request: WebhookRequest, options: { timeoutMs: number }) => Promise<WebhookSendOutcome>;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Retries back off from 5 s, doubling, to 15 minutes (a `Retry-After` is honoured up to 12 hours). */
const RETRY_BACKOFF = { baseDelayMs: 5_000, maxDelayMs: 15 * 60_000, jitter: 'equal' } as const;
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delivers the messages in order, one request at a time, at most `requestsPerSecond` started per
 * second. Returns the ids of the messages to leave on the queue (retried later); the rest are
 * done: delivered, or parked with why. Messages not reached before `deadline` are left for a
 * retry at once.
 */
export async function deliverWebhooks(
  records: readonly QueuedDelivery[],
  deps: WebhookDeliveryDependencies,
  deadline: number,
): Promise<string[]> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const { config, logger } = deps;
  const spacingMs = 1000 / config.requestsPerSecond;
  const retry: { receiptHandle: string; delaySeconds: number }[] = [];
  const leftOnQueue: string[] = [];
  let nextStart = 0;

  for (const record of records) {
    const log = { webhook: config.name, messageId: record.messageId, attempt: record.receiveCount };
    // The wait for this request's turn, its timeout and a second to report: or it waits its retry.
    if (Math.max(now(), nextStart) + config.timeoutMs + 1_000 > deadline) {
      retry.push({ receiptHandle: record.receiptHandle, delaySeconds: 0 });
      leftOnQueue.push(record.messageId);
      continue;
    }
    const { envelope, problem } = parseWebhookEnvelope(record.body);
    if (envelope === undefined) {
      if (await parked(deps, record, problem, log)) continue;
      leftOnQueue.push(record.messageId);
      continue;
    }
    const ageMs = now() - record.sentAt;
    const maxAgeMs = config.maxEventAgeSeconds * 1000;
    if (ageMs > maxAgeMs) {
      const reason = `not delivered within maxEventAgeSeconds (${config.maxEventAgeSeconds})`;
      if (!(await parked(deps, record, reason, { ...log, id: envelope.id }))) {
        leftOnQueue.push(record.messageId);
      }
      continue;
    }

    const wait = nextStart - now();
    if (wait > 0) await sleep(wait);
    nextStart = now() + spacingMs;

    let outcome: WebhookSendOutcome;
    try {
      const request = await buildRequest(deps, envelope.id, envelope.body, now());
      outcome = await deps.send(request, { timeoutMs: config.timeoutMs });
    } catch (error) {
      // A secret not readable, a token refused: fixing them lets the retries through.
      outcome = { kind: 'retry', reason: describeError(error) };
    }

    if (outcome.kind === 'delivered') {
      logger.info('Webhook delivered', { ...log, id: envelope.id, status: outcome.status });
      continue;
    }
    const attempts = `${record.receiveCount} attempt${record.receiveCount === 1 ? '' : 's'}`;
    if (outcome.kind === 'permanent') {
      const reason = `refused after ${attempts}: ${outcome.reason}`;
      if (!(await parked(deps, record, reason, { ...log, id: envelope.id }))) {
        leftOnQueue.push(record.messageId);
      }
      continue;
    }
    const delayMs = Math.min(
      outcome.retryAfterMs ?? backoffDelayMs(record.receiveCount, RETRY_BACKOFF, deps.random),
      MAX_VISIBILITY_SECONDS * 1000,
    );
    if (ageMs + delayMs > maxAgeMs) {
      const reason = `gave up after ${attempts} (maxEventAgeSeconds ${config.maxEventAgeSeconds}): ${outcome.reason}`;
      if (!(await parked(deps, record, reason, { ...log, id: envelope.id }))) {
        leftOnQueue.push(record.messageId);
      }
      continue;
    }
    logger.warn('Webhook delivery failed, retried later', {
      ...log,
      id: envelope.id,
      reason: outcome.reason,
      retryInSeconds: Math.ceil(delayMs / 1000),
    });
    retry.push({ receiptHandle: record.receiptHandle, delaySeconds: Math.ceil(delayMs / 1000) });
    leftOnQueue.push(record.messageId);
  }

  if (retry.length > 0) {
    try {
      await deps.queues.retryLater(retry);
    } catch (error) {
      // The messages come back after the queue's visibility timeout instead: later, not lost.
      logger.warn('Webhook retry delays not set', {
        webhook: config.name,
        reason: describeError(error),
      });
    }
  }
  return leftOnQueue;
}

/** Parks the message with why; `false` when even that failed (it stays on the queue). */
async function parked(
  deps: WebhookDeliveryDependencies,
  record: QueuedDelivery,
  reason: string,
  log: Record<string, unknown>,
): Promise<boolean> {
  try {
    await deps.queues.park(record.body, reason);
    deps.logger.error('Webhook delivery parked on its dead-letter queue', { ...log, reason });
    return true;
  } catch (error) {
    deps.logger.error('Webhook delivery not parked, left on its queue', {
      ...log,
      reason,
      parkError: describeError(error),
    });
    return false;
  }
}

/** The request: URL (from its secret if it is one), body (PagerDuty's routing key added), headers. */
async function buildRequest(
  deps: WebhookDeliveryDependencies,
  id: string,
  envelopeBody: unknown,
  nowMs: number,
): Promise<WebhookRequest> {
  const { config, secrets } = deps;
  const url = new URL(typeof config.url === 'string' ? config.url : await secrets(config.url));
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error(`the ${config.name} webhook URL is not https://`);
  }
  let payload = envelopeBody;
  if (config.routingKey !== undefined) {
    const routingKey = await secrets(config.routingKey);
    payload = { ...(payload as Record<string, unknown>), routing_key: routingKey };
  }
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'webhook-id': id };
  const auth = config.auth;
  if (auth !== undefined && 'apiKey' in auth) {
    headers[auth.apiKey.header.toLowerCase()] = await secrets(auth.apiKey);
  } else if (auth !== undefined && 'basic' in auth) {
    const password = await secrets(auth.basic);
    headers.authorization = `Basic ${Buffer.from(`${auth.basic.username}:${password}`).toString('base64')}`;
  } else if (auth !== undefined && 'oauthClientCredentials' in auth) {
    const oauth = auth.oauthClientCredentials;
    const token = await deps.tokens.token({
      tokenUrl: oauth.tokenUrl,
      clientId: oauth.clientId,
      clientSecret: await secrets(oauth),
      scope: oauth.scope,
      timeoutMs: config.timeoutMs,
    });
    headers.authorization = `Bearer ${token}`;
  }
  if (config.signing !== undefined) {
    Object.assign(
      headers,
      signWebhook({ id, timestamp: nowMs / 1000, body, secret: await secrets(config.signing) }),
    );
  }
  return { url, body, headers };
}
