import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { outgoingEvent } from '../../../test/support/outgoing-event.js';
import type { OutgoingEvent } from '../../domain/ports.js';
import { StdoutPublisher } from './stdout-publisher.js';

function makeEvent(n: number): OutgoingEvent {
  return outgoingEvent({
    key: `key-${n}`,
    customerId: '564590100',
    time: new Date(Date.UTC(2025, 4, 8, 8, 56, 57 + n)),
    uniqueId: null,
    eventId: `event-${n}`,
    attributes: { note: 'line\nbreak', n },
  });
}

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('StdoutPublisher', () => {
  it('writes one JSON line per event, shaped like the PutEvents entry', async () => {
    const { stream, text } = capture();
    const events = [makeEvent(0), makeEvent(1)];
    const publisher = new StdoutPublisher({
      stream,
      busName: 'local-bus',
      source: 'capillary.events',
    });

    const outcomes = await publisher.publish(events);

    expect(outcomes).toEqual([
      { key: 'key-0', status: 'published' },
      { key: 'key-1', status: 'published' },
    ]);
    const lines = text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map((line) => JSON.parse(line))).toEqual(
      events.map((event) => ({
        Source: 'capillary.events',
        DetailType: 'TestingEvent_FE',
        Time: event.time.toISOString(),
        EventBusName: 'local-bus',
        Detail: event.detail,
      })),
    );
  });

  it('reports events as failed instead of throwing when the output fails', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('write EPIPE'));
      },
    });
    const publisher = new StdoutPublisher({ stream: broken, busName: 'b', source: 's' });

    const outcomes = await publisher.publish([makeEvent(0), makeEvent(1)]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'failed']);
    expect(outcomes[0]?.status === 'failed' && outcomes[0].reason).toContain('EPIPE');
  });

  it('returns an empty list for no events and writes nothing', async () => {
    const { stream, text } = capture();
    await expect(
      new StdoutPublisher({ stream, busName: 'b', source: 's' }).publish([]),
    ).resolves.toEqual([]);
    expect(text()).toBe('');
  });
});
