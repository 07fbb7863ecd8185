import { describe, expect, it } from 'vitest';
import type { EventPublisher, OutgoingEvent, PublishOutcome } from '../ports.js';
import { type DeadLetterQueue, type ParkedEvent, purge, redrive } from './dead-letter-redrive.js';

/** Messages one redrive reads and publishes at a time. */
const REDRIVE_CHUNK = 50;

/** A queue in memory: messages are hidden while read, as in SQS. */
class MemoryQueue implements DeadLetterQueue {
  readonly visible: ParkedEvent[];
  readonly hidden: ParkedEvent[] = [];
  readonly reparked: { key: string | null; reason: string }[] = [];
  undeletable = new Set<string>();

  constructor(messages: ParkedEvent[]) {
    this.visible = [...messages];
  }

  async receive(): Promise<ParkedEvent[]> {
    const page = this.visible.splice(0, 10);
    this.hidden.push(...page);
    return page;
  }

  async release(messages: readonly ParkedEvent[]): Promise<void> {
    for (const message of messages) this.#unhide(message);
    this.visible.push(...messages);
  }

  async remove(messages: readonly ParkedEvent[]) {
    const failed = [];
    for (const message of messages) {
      if (this.undeletable.has(message.messageId)) failed.push({ message, reason: 'gone' });
      else this.#unhide(message);
    }
    return failed;
  }

  async repark(message: ParkedEvent, reason: string): Promise<void> {
    this.#unhide(message);
    this.reparked.push({ key: message.key, reason });
    this.visible.push({ ...message, reason, redriveAttempts: message.redriveAttempts + 1 });
  }

  #unhide(message: ParkedEvent): void {
    const index = this.hidden.indexOf(message);
    if (index >= 0) this.hidden.splice(index, 1);
  }
}

function parked(n: number): ParkedEvent {
  const time = new Date(Date.UTC(2026, 0, 1) + n * 1000);
  const event = { key: `k${n}`, customerId: '1', detailType: 'E', time } as OutgoingEvent;
  return {
    messageId: `m${n}`,
    receiptHandle: `h${n}`,
    parkedAt: time,
    reason: 'rejected',
    customerId: '1',
    eventName: 'E',
    key: `k${n}`,
    eventTime: time,
    event,
    unpublishable: undefined,
    redriveAttempts: 0,
  };
}

const accepting = (rejectKeys: string[] = []): EventPublisher & { published: string[] } => {
  const published: string[] = [];
  return {
    published,
    async publish(events): Promise<PublishOutcome[]> {
      return events.map(({ key }) => {
        if (rejectKeys.includes(key)) return { key, status: 'rejected', reason: 'still bad' };
        published.push(key);
        return { key, status: 'published' };
      });
    },
  };
};

describe('redrive', () => {
  it('publishes oldest first whatever order the queue gives, and empties the queue', async () => {
    const queue = new MemoryQueue([parked(3), parked(1), parked(2)]);
    const publisher = accepting();
    const summary = await redrive(queue, publisher, { dryRun: false });
    expect(publisher.published).toEqual(['k1', 'k2', 'k3']);
    expect(summary).toMatchObject({ found: 3, published: 3, stillParked: 0 });
    expect(queue.visible).toHaveLength(0);
    expect(queue.hidden).toHaveLength(0);
  });

  it('parks a refused event again with its new reason and attempt count', async () => {
    const queue = new MemoryQueue([parked(1), parked(2)]);
    const summary = await redrive(queue, accepting(['k2']), { dryRun: false });
    expect(summary).toMatchObject({ published: 1, stillParked: 1 });
    expect(queue.reparked).toEqual([{ key: 'k2', reason: 'redrive 1 failed: still bad' }]);
    expect(queue.visible.map((message) => message.redriveAttempts)).toEqual([1]);
  });

  it('keeps a published message it could not delete counted as still parked, saying why', async () => {
    const queue = new MemoryQueue([parked(1)]);
    queue.undeletable.add('m1');
    const summary = await redrive(queue, accepting(), { dryRun: false });
    expect(summary.outcomes).toEqual([
      expect.objectContaining({
        status: 'still-parked',
        reason: expect.stringContaining('could not be deleted'),
      }),
    ]);
  });

  it('on Ctrl-C stops between chunks and releases what it did not try, untouched', async () => {
    const messages = Array.from({ length: REDRIVE_CHUNK * 2 }, (_, index) => parked(index));
    const queue = new MemoryQueue(messages);
    const controller = new AbortController();
    const summary = await redrive(queue, accepting(), {
      dryRun: false,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(summary).toMatchObject({
      published: REDRIVE_CHUNK,
      stillParked: REDRIVE_CHUNK,
      interrupted: true,
    });
    expect(queue.visible).toHaveLength(REDRIVE_CHUNK);
    expect(queue.hidden).toHaveLength(0);
    expect(queue.reparked).toHaveLength(0);
  });

  it('--limit takes the oldest publishable events and releases the others at once', async () => {
    const queue = new MemoryQueue([parked(3), parked(1), parked(2)]);
    const publisher = accepting();
    await redrive(queue, publisher, { dryRun: false, limit: 2 });
    expect(publisher.published).toEqual(['k1', 'k2']);
    expect(queue.visible.map((message) => message.key)).toEqual(['k3']);
  });
});

describe('purge', () => {
  it('deletes every message and counts them', async () => {
    const queue = new MemoryQueue(Array.from({ length: 25 }, (_, index) => parked(index)));
    expect(await purge(queue)).toEqual({ deleted: 25, failed: [] });
    expect(queue.visible).toHaveLength(0);
  });
});
