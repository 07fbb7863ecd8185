import { setTimeout as sleep } from 'node:timers/promises';
import type { EventPublisher, OutgoingEvent, PublishOutcome } from '../../domain/ports.js';
import { signWebhook } from '../../domain/publish/webhook-signature.js';
import { backoffDelayMs } from '../backoff.js';
import {
  sendWebhook,
  type WebhookSenderOptions,
  type WebhookSendOutcome,
} from './webhook-sender.js';

/** Attempts per event before it is reported failed (and tried again by the next poll). */
const MAX_ATTEMPTS = 3;
/** A receiver's Retry-After is honoured up to this long; a longer one fails the event for now. */
const MAX_RETRY_AFTER_MS = 10_000;
const RETRY_BACKOFF = { baseDelayMs: 250, maxDelayMs: 2_000, jitter: 'equal' } as const;

export interface WebhookPublisherOptions extends WebhookSenderOptions {
  url: URL;
  /** `whsec_<base64>`: every delivery is signed with it (Standard Webhooks). */
  secret: string;
  /** Default 3. */
  maxAttempts?: number;
  /** `EVENT_SOURCE` and `AWS_REGION`: the event's `source` and `region`, as on the bus. */
  source: string;
  region: string;
}

/**
 * `poll --webhook`: delivers each event to one HTTP endpoint, signed the Standard Webhooks way
 * (`webhook-id` = the event key, `webhook-timestamp`, `webhook-signature`), oldest first. The body
 * is the event as EventBridge would carry it, which is what a deployed webhook without a preset or
 * template POSTs, so a receiver built against `poll --webhook` works deployed. A delivery that did not succeed is `failed`, never `rejected`: the cursor does not
 * pass it and the next poll sends it again. Once one delivery has failed, the rest of the batch
 * is not sent (the endpoint is down or refusing), so a dead receiver costs one timeout, not one
 * per event.
 */
export class WebhookPublisher implements EventPublisher {
  readonly #options: WebhookPublisherOptions;

  constructor(options: WebhookPublisherOptions) {
    this.#options = options;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    let endpointFailure: string | undefined;
    for (const event of events) {
      if (endpointFailure !== undefined) {
        outcomes.push({
          key: event.key,
          status: 'failed',
          reason: `not sent: an earlier delivery failed (${endpointFailure})`,
        });
        continue;
      }
      const outcome = await this.#deliver(event);
      if (outcome.kind === 'delivered') {
        outcomes.push({ key: event.key, status: 'published' });
      } else {
        endpointFailure = `webhook ${outcome.reason}`;
        outcomes.push({ key: event.key, status: 'failed', reason: endpointFailure });
      }
    }
    return outcomes;
  }

  async #deliver(event: OutgoingEvent): Promise<WebhookSendOutcome> {
    const body = JSON.stringify({
      version: '0',
      id: event.key,
      'detail-type': event.detailType,
      source: this.#options.source,
      time: event.time.toISOString(),
      region: this.#options.region,
      resources: [],
      detail: event.detail,
    });
    const maxAttempts = this.#options.maxAttempts ?? MAX_ATTEMPTS;
    const now = this.#options.now ?? Date.now;
    for (let attempt = 1; ; attempt++) {
      // Signed per attempt: a retry carries a fresh timestamp, the same id.
      const headers = signWebhook({
        id: event.key,
        timestamp: now() / 1000,
        body,
        secret: this.#options.secret,
      });
      const outcome = await sendWebhook(
        { url: this.#options.url, body, headers: { ...headers } },
        this.#options,
      );
      if (outcome.kind !== 'retry' || attempt >= maxAttempts) return outcome;
      const delayMs = outcome.retryAfterMs ?? backoffDelayMs(attempt, RETRY_BACKOFF);
      if (delayMs > MAX_RETRY_AFTER_MS) return outcome;
      await sleep(delayMs);
    }
  }
}
