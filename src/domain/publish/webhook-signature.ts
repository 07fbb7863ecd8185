// Standard Webhooks signatures (https://www.standardwebhooks.com/, the scheme Svix signs with):
// `webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`, the key being the
// bytes of a `whsec_<base64>` secret.
import { createHmac } from 'node:crypto';
import { PollerError } from '../errors.js';

/** The three headers a signed delivery carries. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';
/** The spec's range for a secret's key: 24 to 64 bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/**
 * A signing secret that is not `whsec_` + the base64 of 24 to 64 bytes. Never shows the secret.
 */
export class WebhookSecretError extends PollerError {
  constructor(problem: string) {
    super(
      `webhook signing secret: ${problem}`,
      'store the secret as whsec_ followed by the base64 of 24 to 64 random bytes (e.g. `echo "whsec_$(openssl rand -base64 32)"`)',
    );
  }
}

/**
 * The HMAC key a `whsec_<base64>` secret holds.
 */
export function webhookSecretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new WebhookSecretError('does not start with whsec_');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new WebhookSecretError('the part after whsec_ is not base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw new WebhookSecretError(
      `holds ${key.length} bytes, not ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES}`,
    );
  }
  return key;
}

function signature(key: Buffer, id: string, timestamp: string, body: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest();
}

/**
 * The headers that sign `body` as message `id` sent at `timestamp` (Unix seconds). The body must
 * be sent byte for byte as signed.
 */
export function signWebhook(input: {
  id: string;
  timestamp: number;
  body: string;
  secret: string;
}): WebhookSignatureHeaders {
  const timestamp = String(Math.floor(input.timestamp));
  const digest = signature(webhookSecretKey(input.secret), input.id, timestamp, input.body);
  return {
    'webhook-id': input.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${digest.toString('base64')}`,
  };
}
