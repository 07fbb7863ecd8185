import { beforeEach, describe, expect, it } from 'vitest';
import { apiEvent } from '../../../test/support/in-memory-ports.js';
import { type PollHarness, pollHarness } from '../../../test/support/poll-harness.js';
import { type CustomerState, newCustomerState } from '../customer-state.js';
import { seenDigest } from '../detect/seen-digest.js';
import { QuotaWaitError } from '../errors.js';
import { pollCustomer } from './poll-customer.js';

/** What a masked field reads as, for subscribers. */
const MASKED_VALUE = '[masked]';

const NOW = new Date('2026-01-01T00:00:00Z');
const options = { psiMode: 'mask' as const, seenCapacity: 50, version: '1.2.3' };
const e1 = apiEvent({ uniqueId: 'e1', date: '2025-05-08T08:37:49Z', eventName: 'First' });
const e2 = apiEvent({ uniqueId: 'e2', date: '2025-05-08T08:40:38Z', eventName: 'Second' });
const e3 = apiEvent({ uniqueId: 'e3', date: '2025-05-08T08:56:57Z', eventName: 'Third' });

describe('pollCustomer', () => {
  let harness: PollHarness<true>;
  const deps = () => harness;
  const watch = async (backfill: boolean) => {
    await harness.store.addCustomer(
      newCustomerState({ customerId: '42', scope: 'default', backfill }, NOW),
    );
    return (await harness.store.getCustomer('42')) as CustomerState;
  };
  const current = async () => (await harness.store.getCustomer('42')) as CustomerState;

  beforeEach(() => {
    harness = pollHarness({ now: NOW.getTime(), deadLetters: true });
  });

  it('baselines a new customer: records the window, emits nothing, then emits only what is new', async () => {
    harness.source.setWindow('42', [e2, e1]);
    const first = await pollCustomer(await watch(false), deps(), options);
    expect(first).toMatchObject({ status: 'ok', baselined: true, published: 0 });
    expect(harness.publisher.published).toEqual([]);

    harness.source.setWindow('42', [e3, e2, e1]);
    const second = await pollCustomer(await current(), deps(), options);
    expect(second).toMatchObject({ status: 'ok', newEvents: 1, published: 1 });
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e3']);
  });

  it('backfills everything present, oldest first, as normalized entries', async () => {
    harness.source.setWindow('42', [e3, e2, e1]);
    await pollCustomer(await watch(true), deps(), options);
    expect(harness.publisher.published.map((event) => event.detailType)).toEqual([
      'First',
      'Second',
      'Third',
    ]);
    const [first] = harness.publisher.published;
    expect(first?.time.toISOString()).toBe('2025-05-08T08:37:49.000Z');
    expect(first?.detail).toMatchObject({
      customerId: '42',
      eventName: 'First',
      uniqueId: 'e1',
      date: '2025-05-08T08:37:49.000Z',
      poller: { eventKey: 'e1', observedAt: NOW.toISOString(), version: '1.2.3', scope: 'default' },
    });
  });

  it('writes nothing when nothing is new', async () => {
    harness.source.setWindow('42', [e2, e1]);
    await pollCustomer(await watch(false), deps(), options);
    const writes = harness.store.writes;
    const again = await pollCustomer(await current(), deps(), options);
    expect(again).toMatchObject({ status: 'ok', newEvents: 0 });
    expect(harness.store.writes).toBe(writes);
  });

  it('leaves the state untouched when the fetch fails, and catches up on the next poll', async () => {
    harness.source.setWindow('42', [e1]);
    await pollCustomer(await watch(false), deps(), options);
    const before = await current();
    harness.source.setWindow('42', [e3, e2, e1]);
    harness.source.fail('42', 'HTTP 503 from Capillary');
    const failed = await pollCustomer(before, deps(), options);
    expect(failed).toMatchObject({ status: 'failed', reason: 'HTTP 503 from Capillary' });
    expect(await current()).toEqual(before);

    await pollCustomer(await current(), deps(), options);
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e2', 'e3']);
  });

  it('defers, touching nothing, when no Capillary budget comes in time; the next poll catches up', async () => {
    harness.source.setWindow('42', [e1]);
    await pollCustomer(await watch(false), deps(), options);
    const before = await current();
    harness.source.setWindow('42', [e2, e1]);
    harness.source.beforeFetch = () => {
      harness.source.beforeFetch = undefined;
      throw new QuotaWaitError(10_000);
    };
    const deferred = await pollCustomer(before, deps(), options);
    expect(deferred).toMatchObject({ status: 'deferred', published: 0 });
    expect(deferred.reason).toContain('no Capillary budget within 10000 ms');
    expect(await current()).toEqual(before);

    await pollCustomer(await current(), deps(), options);
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e2']);
  });

  it('does not move past an event that failed to publish; it goes out on a later poll', async () => {
    harness.source.setWindow('42', [e3, e2, e1]);
    harness.publisher.refuse('e2', 'failed', 'ThrottlingException');
    const result = await pollCustomer(await watch(true), deps(), options);
    expect(result.unpublished).toEqual([
      { key: 'e2', eventName: 'Second', reason: 'ThrottlingException' },
    ]);
    expect((await current()).seen.map((entry) => entry.digest)).toEqual(
      ['e1', 'e3'].map(seenDigest),
    );

    harness.publisher.decide = (event) => ({ key: event.key, status: 'published' });
    await pollCustomer(await current(), deps(), options);
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e1', 'e3', 'e2']);
  });

  it('parks an event that can never be published and moves past it', async () => {
    harness.source.setWindow('42', [e2, e1]);
    harness.publisher.refuse('e1', 'rejected', 'entry too large');
    const result = await pollCustomer(await watch(true), deps(), options);
    expect(result).toMatchObject({ published: 1, parked: 1, unpublished: [] });
    expect(harness.deadLetters.parked.map((item) => [item.event.key, item.reason])).toEqual([
      ['e1', 'entry too large'],
    ]);
    expect((await current()).seen.map((entry) => entry.digest)).toEqual(
      ['e1', 'e2'].map(seenDigest),
    );
  });

  it('without a dead-letter queue, keeps a rejected event unacknowledged and reports it every poll', async () => {
    harness.source.setWindow('42', [e2, e1]);
    harness.publisher.refuse('e1', 'rejected', 'entry too large');
    const noDlq = () => ({ ...deps(), deadLetters: undefined });
    const first = await pollCustomer(await watch(true), noDlq(), options);
    const second = await pollCustomer(await current(), noDlq(), options);
    for (const result of [first, second]) {
      expect(result.unpublished).toEqual([
        { key: 'e1', eventName: 'First', reason: 'entry too large' },
      ]);
    }
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e2']);
  });

  it('keeps an event unacknowledged when parking it fails', async () => {
    harness.source.setWindow('42', [e1]);
    harness.publisher.decide = (event) => ({
      key: event.key,
      status: 'rejected',
      reason: 'invalid',
    });
    harness.deadLetters.failWith = 'AccessDenied';
    const result = await pollCustomer(await watch(true), deps(), options);
    expect(result.unpublished[0]?.reason).toBe('invalid; parking failed: AccessDenied');
    expect((await current()).seen).toEqual([]);
  });

  it('reports a lost race and applies nothing', async () => {
    harness.source.setWindow('42', [e1]);
    const watched = await watch(true);
    // Another poller saves while this one is publishing.
    harness.publisher.decide = (event) => {
      const stored = harness.store.states.get('42');
      if (stored) harness.store.states.set('42', { ...stored, version: stored.version + 1 });
      return { key: event.key, status: 'published' };
    };
    const result = await pollCustomer(watched, deps(), options);
    expect(result.status).toBe('conflict');
    expect((await current()).seen).toEqual([]);
    expect(
      harness.logger.lines.some(
        (line) => line.level === 'warn' && /another poller/.test(line.message),
      ),
    ).toBe(true);
  });

  it('skips reading the seen set when the window is the one it last completed', async () => {
    harness.source.setWindow('42', [e2, e1]);
    await pollCustomer(await watch(true), deps(), options);
    const pollCounting = async () => {
      const state = await current();
      const [reads, writes] = [harness.store.reads, harness.store.writes];
      const result = await pollCustomer(state, deps(), options);
      return { result, reads: harness.store.reads - reads, writes: harness.store.writes - writes };
    };
    // Same window, in another order: the digest ignores order.
    harness.source.setWindow('42', [e1, e2]);
    const same = await pollCounting();
    expect(same).toMatchObject({ result: { status: 'ok', newEvents: 0 }, reads: 0, writes: 0 });

    harness.source.setWindow('42', [e3, e2, e1]);
    const changed = await pollCounting();
    expect(changed).toMatchObject({ result: { newEvents: 1 }, reads: 1, writes: 1 });
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e1', 'e2', 'e3']);
  });

  it('keeps reading the seen set while an event is unacknowledged, so it is retried', async () => {
    harness.source.setWindow('42', [e2, e1]);
    harness.publisher.refuse('e1', 'failed', 'ThrottlingException');
    await pollCustomer(await watch(true), deps(), options);
    expect((await current()).windowDigest).toBeNull();

    harness.publisher.decide = (event) => ({ key: event.key, status: 'published' });
    await pollCustomer(await current(), deps(), options);
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['e2', 'e1']);
    expect((await current()).windowDigest).not.toBeNull();
  });

  it('masks PSI attributes by default', async () => {
    harness.source.setWindow('42', [
      {
        ...e1,
        additonalAttributes: { mobile: '+91 98765 43210', city: 'Pune' },
        psiAttributes: ['mobile'],
      },
    ]);
    await pollCustomer(await watch(true), deps(), options);
    expect(harness.publisher.published[0]?.detail.attributes).toEqual({
      mobile: MASKED_VALUE,
      city: 'Pune',
    });
    expect(JSON.stringify(harness.publisher.published)).not.toContain('98765');
  });

  it('turns a publisher that throws into failed events, not a thrown poll', async () => {
    harness.source.setWindow('42', [e1]);
    harness.publisher.publish = async () => {
      throw new Error('socket hang up');
    };
    const result = await pollCustomer(await watch(true), deps(), options);
    expect(result.unpublished).toEqual([
      { key: 'e1', eventName: 'First', reason: 'socket hang up' },
    ]);
  });
});
