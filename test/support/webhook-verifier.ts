// A receiver's check of a Standard Webhooks delivery (https://www.standardwebhooks.com/), written
// from the spec apart from the signer in src/domain/publish/webhook-signature.ts, so the tests do not
// check the signer with itself. Receivers copy the short one in docs/webhooks.md, which the
// tests run too.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's timestamp may be from the receiver's clock, either way (the spec's 5 minutes). */
const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** Why a delivery does not verify. */
type WebhookVerdict =
  | { ok: true }
  | {
      ok: false;
      reason:
        | 'missing-header'
        | 'bad-timestamp'
        | 'timestamp-out-of-tolerance'
        | 'no-matching-signature';
    };

/**
 * Checks a delivery as a receiver would: the timestamp within 5 minutes of `nowSeconds`, and one
 * of the space-separated `v1,` signatures equal (in constant time) to HMAC-SHA256 over
 * `<id>.<timestamp>.<body>`, keyed with the bytes after `whsec_`.
 */
export function verifyWebhook(input: {
  headers: Partial<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>>;
  body: string;
  secret: string;
  nowSeconds?: number;
}): WebhookVerdict {
  const id = input.headers['webhook-id'];
  const timestamp = input.headers['webhook-timestamp'];
  const signatures = input.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing-header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'timestamp-out-of-tolerance' };
  }
  const key = Buffer.from(input.secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.${input.body}`, 'utf8')
    .digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true } : { ok: false, reason: 'no-matching-signature' };
}
