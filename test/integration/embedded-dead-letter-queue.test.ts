// The embedded dead-letter queue of a local run (files under .data/dead-letters/), driven through
// the same domain functions as the SQS queue: park, list, redrive, re-park with a new reason, purge.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDeadLetterQueue } from '../../src/adapters/embedded/embedded-dead-letter-queue.js';
import { purge, readParked, redrive } from '../../src/domain/publish/dead-letter-redrive.js';
import { RecordingPublisher } from '../support/in-memory-ports.js';
import { outgoingEvent } from '../support/outgoing-event.js';

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(
    directories.map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

async function freshQueue() {
  const directory = path.join(await mkdtemp(path.join(os.tmpdir(), 'dead-letters-')), 'dlq');
  directories.push(path.dirname(directory));
  return { directory, queue: new EmbeddedDeadLetterQueue({ directory }) };
}

const event = (n: number) =>
  outgoingEvent({
    key: `key-${n}`,
    customerId: `10${n}`,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    attributes: { n },
    uniqueId: `unique-${n}`,
    eventId: `event-${n}`,
  });

describe('EmbeddedDeadLetterQueue', () => {
  it('parks events as files and reads them back whole, oldest first, hiding what one run read', async () => {
    const { directory, queue } = await freshQueue();
    expect(await readParked(queue)).toEqual([]);
    const outcomes = await queue.park([
      { event: event(2), reason: 'too large' },
      { event: event(1), reason: 'invalid' },
    ]);
    expect(outcomes).toEqual([
      { key: 'key-2', parked: true },
      { key: 'key-1', parked: true },
    ]);
    expect((await readdir(directory)).filter((file) => file.endsWith('.json'))).toHaveLength(2);

    const parked = await readParked(queue);
    expect(parked.map((message) => [message.key, message.reason])).toEqual([
      ['key-1', 'invalid'],
      ['key-2', 'too large'],
    ]);
    expect(parked[0]?.event).toEqual(event(1));
    // Read once: hidden from this reader until released.
    expect(await queue.receive(600)).toEqual([]);
    await queue.release(parked);
    expect(await queue.receive(600)).toHaveLength(2);
  });

  it('redrives through the publisher: deletes what was published, re-parks what is refused again', async () => {
    const { directory, queue } = await freshQueue();
    await queue.park([1, 2, 3].map((n) => ({ event: event(n), reason: 'rejected by the bus' })));
    const publisher = new RecordingPublisher();
    publisher.refuse('key-2', 'rejected', 'still too large');

    const summary = await redrive(queue, publisher, { dryRun: false });

    expect(summary).toMatchObject({ found: 3, published: 2, stillParked: 1 });
    expect(publisher.published.map((published) => published.key)).toEqual(['key-1', 'key-3']);
    // The next `dlq list`, a process of its own, sees the new reason.
    const left = await readParked(new EmbeddedDeadLetterQueue({ directory }));
    expect(left.map((message) => [message.key, message.reason, message.redriveAttempts])).toEqual([
      ['key-2', 'redrive 1 failed: still too large', 1],
    ]);
  });

  it('lists a file it cannot read as not redrivable, and purge deletes everything', async () => {
    const { directory, queue } = await freshQueue();
    await queue.park([{ event: event(1), reason: 'invalid' }]);
    await writeFile(path.join(directory, '000000000000001-broken.json'), '{"reason":');
    const parked = await readParked(queue);
    expect(parked.map((message) => message.event === undefined)).toEqual([true, false]);
    expect(parked[0]?.unpublishable).toMatch(/^the file is not one the poller wrote: /);
    await queue.release(parked);

    expect(await purge(queue)).toEqual({ deleted: 2, failed: [] });
    expect(await readdir(directory)).toEqual([]);
  });
});
