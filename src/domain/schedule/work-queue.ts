import * as z from 'zod';
import { type ClaimedCustomer, ClaimedCustomerSchema } from '../claim/claimed-customer.js';
import { PollerError } from '../errors.js';

/**
 * Claimed customers per work message: one worker invocation's share of a tick. Small enough that
 * a worker finishes it well inside its timeout at a modest share of the quota, large enough that
 * a tick of thousands of claims takes few messages (SQS sends 10 per request).
 */
export const CUSTOMERS_PER_MESSAGE = 25;

/** What crosses SQS from the scheduler to a worker. */
const WorkMessageSchema = z.object({
  customers: z.array(ClaimedCustomerSchema).min(1).max(CUSTOMERS_PER_MESSAGE),
});
export type WorkMessage = z.infer<typeof WorkMessageSchema>;

/**
 * A work message no worker can read: it can never succeed as it is.
 */
class MalformedWorkMessageError extends PollerError {
  constructor(problem: string) {
    super(
      `malformed work message: ${problem}`,
      'the scheduler and the worker disagree on the message format: deploy them together, then delete the message from the work dead-letter queue',
    );
  }
}

/** Splits claimed customers into messages of at most `CUSTOMERS_PER_MESSAGE`, in claim order. */
export function workMessages(claimed: readonly ClaimedCustomer[]): WorkMessage[] {
  const messages: WorkMessage[] = [];
  for (let start = 0; start < claimed.length; start += CUSTOMERS_PER_MESSAGE) {
    messages.push({ customers: claimed.slice(start, start + CUSTOMERS_PER_MESSAGE) });
  }
  return messages;
}

/** Reads a message body; throws `MalformedWorkMessageError` naming what is wrong. */
export function parseWorkMessage(body: string): WorkMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedWorkMessageError('the body is not JSON');
  }
  const parsed = WorkMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the body';
    throw new MalformedWorkMessageError(`${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * The claim token of one delivery of a work message: the message, which receive of it, and the
 * invocation that got it. Two deliveries never share one (SQS may hand one receive to two
 * workers), so only one of them can hold a customer.
 */
export function deliveryClaimToken(delivery: {
  messageId: string;
  receiveCount: string | number;
  invocationId: string;
}): string {
  return `work-${delivery.messageId}-r${delivery.receiveCount}-${delivery.invocationId}`;
}

export type WorkSendOutcome = { sent: true } | { sent: false; reason: string };

/** Hands work messages to the workers (an SQS queue); one outcome per message, in order. */
export interface WorkQueue {
  send(messages: readonly WorkMessage[]): Promise<WorkSendOutcome[]>;
}
