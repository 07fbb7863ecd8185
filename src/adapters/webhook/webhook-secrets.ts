// Every secret a delivery function reads (signing secret, Slack URL, PagerDuty routing key, auth)
// goes through one cache, so a rotated value is used within its age and never needs a deploy.
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { PollerError } from '../../domain/errors.js';
import type { SecretRef } from './webhook-delivery-config.js';

/** How long a secret's value is reused before it is read again: a rotation lands within this. */
export const WEBHOOK_SECRET_MAX_AGE_SECONDS = 300;

/** A secret that cannot be read, or has no such field. Names the secret, never a value. */
class WebhookSecretReadError extends PollerError {
  constructor(ref: SecretRef, problem: string, cause?: unknown) {
    super(
      `secret ${ref.secret}${ref.field === undefined ? '' : ` (field ${ref.field})`}: ${problem}`,
      'check the secret exists, holds what the webhook expects, and the delivery function may read it',
      { cause },
    );
  }
}

export type SecretReader = (ref: SecretRef) => Promise<string>;

/** Reads secret references through `provider`'s cache (one per process). */
export function secretReader(provider: Pick<SecretsProvider, 'get'>): SecretReader {
  return async (ref) => {
    let raw: unknown;
    try {
      raw = await provider.get(ref.secret, { maxAge: WEBHOOK_SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'error';
      throw new WebhookSecretReadError(ref, `not readable (${name})`, error);
    }
    if (typeof raw !== 'string' || raw === '') {
      throw new WebhookSecretReadError(ref, 'holds no text');
    }
    if (ref.field === undefined) return raw;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new WebhookSecretReadError(ref, 'is not JSON, so it has no field');
    }
    const value = (json as Record<string, unknown> | null)?.[ref.field];
    if (typeof value !== 'string' || value === '') {
      throw new WebhookSecretReadError(ref, 'has no such non-empty text field');
    }
    return value;
  };
}
