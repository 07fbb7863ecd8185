// deliverWebhooks on a fake clock: the per-function pace (its share of rateLimitPerSecond), the
// exponential backoff when the endpoint gives no Retry-After, and the invocation's deadline.
import { describe, expect, it } from 'vitest';
import { ClientCredentialsTokens } from '../../src/adapters/webhook/oauth-client-credentials.js';
import type { WebhookSendOutcome } from '../../src/adapters/webhook/webhook-sender.js';
import type { Logger } from '../../src/domain/ports.js';
import { deliverWebhooks, type QueuedDelivery } from '../../src/runtime/webhook-delivery.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');

function setup(outcome: WebhookSendOutcome, requestsPerSecond = 2) {
  let now = T0;
  const starts: number[] = [];
  const retried: { receiptHandle: string; delaySeconds: number }[] = [];
  const parked: string[] = [];
  const deps = {
    config: {
      name: 'orders',
      url: 'https://orders.example.com/hook',
      maxEventAgeSeconds: 86_400,
      requestsPerSecond,
      timeoutMs: 10_000,
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
    },
    secrets: async () => 'unused',
    tokens: new ClientCredentialsTokens(),
    queues: {
      retryLater: async (entries: readonly { receiptHandle: string; delaySeconds: number }[]) => {
        retried.push(...entries);
      },
      park: async (body: string) => {
        parked.push(body);
      },
    },
    send: async () => {
      starts.push(now);
      now += 100; // each request takes 100 ms
      return outcome;
    },
    logger: silent,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    random: () => 1,
  };
  return { deps, starts, retried, parked, clock: () => now };
}

const record = (n: number, receiveCount = 1): QueuedDelivery => ({
  messageId: `m${n}`,
  receiptHandle: `r${n}`,
  body: JSON.stringify({
    id: `k${n}`,
    time: '2026-01-01T00:00:00Z',
    eventName: 'Purchase',
    body: { n },
  }),
  sentAt: T0,
  receiveCount,
});

describe('deliverWebhooks', () => {
  it('starts at most requestsPerSecond requests a second', async () => {
    const { deps, starts } = setup({ kind: 'delivered', status: 200 }, 2);
    const left = await deliverWebhooks(
      [1, 2, 3, 4].map((n) => record(n)),
      deps,
      T0 + 60_000,
    );
    expect(left).toEqual([]);
    expect(starts.map((at) => at - T0)).toEqual([0, 500, 1000, 1500]);
  });

  it('backs off exponentially from 5 s (at most 15 minutes) when the endpoint says nothing', async () => {
    const { deps, retried } = setup({ kind: 'retry', reason: 'HTTP 503', status: 503 }, 100);
    const left = await deliverWebhooks(
      [record(1, 1), record(2, 3), record(3, 20)],
      deps,
      T0 + 60_000,
    );
    expect(left).toEqual(['m1', 'm2', 'm3']);
    expect(retried).toEqual([
      { receiptHandle: 'r1', delaySeconds: 5 },
      { receiptHandle: 'r2', delaySeconds: 20 },
      { receiptHandle: 'r3', delaySeconds: 900 },
    ]);
  });

  it('leaves what it cannot send before the invocation ends for a retry at once', async () => {
    const { deps, starts, retried } = setup({ kind: 'delivered', status: 200 }, 1);
    // Room for one request (10 s timeout + 1 s margin) and not for a second one a second later.
    const left = await deliverWebhooks([record(1), record(2)], deps, T0 + 11_500);
    expect(starts).toHaveLength(1);
    expect(left).toEqual(['m2']);
    expect(retried).toEqual([{ receiptHandle: 'r2', delaySeconds: 0 }]);
  });
});
