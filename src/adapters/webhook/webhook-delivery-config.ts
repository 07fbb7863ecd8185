// What the stack tells one webhook's delivery function (its WEBHOOK_DELIVERY environment variable):
// where to send, how to authenticate and sign, and for how long to retry. Never a secret's value:
// secrets are named here and read at run time.
import * as z from 'zod';
import { ConfigError } from '../../domain/errors.js';

/** A Secrets Manager secret (name or ARN) and, when it holds JSON, the key of the value. */
const SecretRefSchema = z.strictObject({
  secret: z.string().min(1),
  field: z.string().min(1).optional(),
});
export type SecretRef = z.infer<typeof SecretRefSchema>;

const AuthSchema = z.union([
  z.strictObject({ apiKey: SecretRefSchema.extend({ header: z.string().min(1) }) }),
  z.strictObject({ basic: SecretRefSchema.extend({ username: z.string().min(1) }) }),
  z.strictObject({
    oauthClientCredentials: SecretRefSchema.extend({
      tokenUrl: z.url(),
      clientId: z.string().min(1),
      scope: z.string().optional(),
    }),
  }),
]);

/** The delivery function's whole configuration. */
const WebhookDeliveryConfigSchema = z.strictObject({
  name: z.string().min(1),
  /** The endpoint, or the secret holding it (a URL that is its own credential: Slack). */
  url: z.union([z.url({ protocol: /^https?$/ }), SecretRefSchema]),
  auth: AuthSchema.optional(),
  /** PagerDuty: the secret added to every body as `routing_key`. */
  routingKey: SecretRefSchema.optional(),
  /** Standard Webhooks signing: the secret holding the `whsec_…` key. */
  signing: SecretRefSchema.optional(),
  /** How long after it was first queued an event is still tried; then it is parked. */
  maxEventAgeSeconds: z.number().int().positive(),
  /** Requests per second this invocation may start (its share of the webhook's rate limit). */
  requestsPerSecond: z.number().positive(),
  /** Each attempt is aborted after this long. */
  timeoutMs: z.number().int().positive(),
  /** The webhook's queue (the event source), whose messages wait there between attempts. */
  queueUrl: z.url(),
  /** Where undeliverable events are parked, with why. */
  deadLetterQueueUrl: z.url(),
});
export type WebhookDeliveryConfig = z.infer<typeof WebhookDeliveryConfigSchema>;

/** Reads WEBHOOK_DELIVERY; a bad value is a ConfigError naming what is wrong, never a value. */
export function parseWebhookDeliveryConfig(raw: string | undefined): WebhookDeliveryConfig {
  if (raw === undefined) throw new ConfigError('WEBHOOK_DELIVERY', 'not set (the stack sets it)');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError('WEBHOOK_DELIVERY', 'not JSON');
  }
  const parsed = WebhookDeliveryConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new ConfigError('WEBHOOK_DELIVERY', problems);
  }
  return parsed.data;
}
