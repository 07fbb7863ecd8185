// The message a webhook's queue holds: EventBridge's rule renders the request body (preset,
// template or the whole event) and wraps it with what the delivery function and `dlq` need.
import * as z from 'zod';

/** The event paths the rule's input transformer fills the envelope from. */
export const WEBHOOK_ENVELOPE_PATHS = {
  id: '$.detail.poller.eventKey',
  time: '$.time',
  eventName: '$.detail-type',
  customerId: '$.detail.customerId',
} as const;

const WebhookEnvelopeSchema = z.looseObject({
  /** The event key: the delivery's `webhook-id`, the same for every attempt and redrive. */
  id: z.string().min(1),
  time: z.string(),
  eventName: z.string(),
  customerId: z.string().nullish(),
  /** The JSON body POSTed to the endpoint. */
  body: z.unknown(),
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelopeSchema>;

/** Why a queue message cannot be delivered as it is; `undefined` when it can. */
export function parseWebhookEnvelope(
  raw: string,
): { envelope: WebhookEnvelope; problem?: undefined } | { envelope?: undefined; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { problem: 'the message is not JSON' };
  }
  const parsed = WebhookEnvelopeSchema.safeParse(json);
  if (parsed.success && parsed.data.body !== undefined) return { envelope: parsed.data };
  if (typeof json === 'object' && json !== null && 'detail-type' in json) {
    // EventBridge parks the event itself when it could not put it on the webhook's queue.
    return {
      problem:
        'the event as EventBridge parked it (the rule could not queue it): replay it from the archive with FilterArns naming the webhook rule',
    };
  }
  return { problem: 'the message is not a webhook delivery (id, time, eventName, body)' };
}
