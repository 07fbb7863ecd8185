import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../../test/support/webhook-verifier.js';
import { signWebhook, WebhookSecretError, webhookSecretKey } from './webhook-signature.js';

// The Standard Webhooks specification's own test vector (as its reference libraries test it).
const SPEC = {
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signWebhook', () => {
  it('signs the specification test vector as the reference libraries do', () => {
    expect(signWebhook(SPEC)).toEqual({
      'webhook-id': SPEC.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': SPEC.signature,
    });
  });

  it('refuses a secret that is not whsec_ + base64 of 24 to 64 bytes, without showing it', () => {
    for (const secret of [
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'whsec_not base64!',
      'whsec_c2hvcnQ=',
    ]) {
      expect(() => webhookSecretKey(secret)).toThrow(WebhookSecretError);
      try {
        webhookSecretKey(secret);
      } catch (error) {
        expect((error as Error).message).not.toContain(secret.slice(6));
      }
    }
  });
});

describe('verifyWebhook', () => {
  const signed = { headers: signWebhook(SPEC), body: SPEC.body, secret: SPEC.secret };

  it('accepts a delivery within 5 minutes either way, among several signatures', () => {
    expect(verifyWebhook({ ...signed, nowSeconds: SPEC.timestamp + 300 }).ok).toBe(true);
    expect(verifyWebhook({ ...signed, nowSeconds: SPEC.timestamp - 300 }).ok).toBe(true);
    const rotated = { ...signed.headers, 'webhook-signature': `v1,AAAA ${SPEC.signature}` };
    expect(verifyWebhook({ ...signed, headers: rotated, nowSeconds: SPEC.timestamp }).ok).toBe(
      true,
    );
  });

  it('refuses a tampered body, a stale or future timestamp, another secret, a missing header', () => {
    const at = SPEC.timestamp;
    expect(verifyWebhook({ ...signed, body: '{"test": 2432232315}', nowSeconds: at })).toEqual({
      ok: false,
      reason: 'no-matching-signature',
    });
    expect(verifyWebhook({ ...signed, nowSeconds: at + 301 }).ok).toBe(false);
    expect(verifyWebhook({ ...signed, nowSeconds: at - 301 }).ok).toBe(false);
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(verifyWebhook({ ...signed, secret: otherSecret, nowSeconds: at }).ok).toBe(false);
    const { 'webhook-id': _, ...noId } = signed.headers;
    expect(verifyWebhook({ ...signed, headers: noId, nowSeconds: at }).ok).toBe(false);
    const v2 = { ...signed.headers, 'webhook-signature': SPEC.signature.replace('v1,', 'v2,') };
    expect(verifyWebhook({ ...signed, headers: v2, nowSeconds: at }).ok).toBe(false);
  });
});
