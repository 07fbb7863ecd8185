import { beforeEach, describe, expect, it } from 'vitest';
import { apiEvent } from '../../../test/support/in-memory-ports.js';
import { type PollHarness, pollHarness } from '../../../test/support/poll-harness.js';
import { claimDue } from '../claim/claim-due.js';
import { ClaimedCustomerSchema } from '../claim/claimed-customer.js';
import { newCustomerState } from '../customer-state.js';
import { QuotaWaitError } from '../errors.js';
import type { SchedulePolicy } from '../schedule/schedule.js';
import { claimPublishMargin, pollClaimed } from './poll-claimed.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const policy: SchedulePolicy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };
const options = { psiMode: 'mask' as const, seenCapacity: 200, version: 't', policy };

/** Event `n` of customer 42, `n` seconds after a fixed date. */
function event(n: number) {
  return apiEvent({
    uniqueId: `e${n}`,
    date: new Date(Date.parse('2025-05-08T08:00:00Z') + n * 1000).toISOString(),
  });
}
/** Events `from..to`, newest first as the API sends them. */
function events(from: number, to: number) {
  const list = [];
  for (let n = to; n >= from; n--) list.push(event(n));
  return list;
}

describe('claimPublishMargin', () => {
  it('stops publishing in the last quarter of what remains of a claim, at most 10 s before its end', () => {
    expect(claimPublishMargin(40_000)).toBe(10_000);
    expect(claimPublishMargin(20_000)).toBe(5_000);
    expect(claimPublishMargin(600_000)).toBe(10_000);
    expect(claimPublishMargin(-1)).toBe(0);
  });
});

describe('claimDue and pollClaimed', () => {
  let harness: PollHarness;
  const deps = () => harness;
  const claimOne = async (claimMs = 120_000, owner = 'poller-a') => {
    const claims = [];
    const now = harness.now();
    for await (const claimed of claimDue(deps(), { owner, now, policy, claimMs })) {
      claims.push(claimed);
    }
    return claims;
  };
  const schedule = () => harness.store.schedules.get('42');
  /** Polls a window of events 1 to 50, then `later` an hour on; the second poll's result. */
  const pollAnHourAfterEvents1To50 = async (later: Record<string, unknown>[]) => {
    harness.source.setWindow('42', events(1, 50));
    await pollClaimed((await claimOne())[0]!, deps(), options);
    harness.advance(3_600_000);
    harness.source.setWindow('42', later);
    return pollClaimed((await claimOne())[0]!, deps(), options);
  };

  beforeEach(async () => {
    harness = pollHarness({ now: T0 });
    await harness.store.addCustomer(
      newCustomerState({ customerId: '42', scope: 'child', backfill: false }, new Date(T0)),
    );
  });

  it('hands a customer back due at once when no quota budget came in time, and does not call it a lost claim', async () => {
    harness.source.setWindow('42', events(1, 3));
    const [claimed] = await claimOne();
    harness.source.beforeFetch = () => {
      throw new QuotaWaitError(10_000);
    };
    const result = await pollClaimed(claimed!, deps(), options);
    expect(result).toMatchObject({ status: 'deferred', claimLost: false, outcome: undefined });
    expect(result.reason).toContain('no Capillary budget');
    expect(schedule()?.nextPollAt).toBe(harness.now());
    expect(schedule()?.claimedUntil ?? null).toBeNull();
    expect(harness.publisher.published).toEqual([]);
  });

  it('polls under the delivery’s own claim once taken over, and records the outcome with it', async () => {
    harness.source.setWindow('42', events(1, 3));
    const [queued] = await claimOne();
    const result = await pollClaimed(queued!, deps(), { ...options, takeOverAs: 'delivery-1' });
    expect(result).toMatchObject({ status: 'ok', claimLost: false, baselined: true });
    expect(harness.store.takeovers).toBe(1);
    // The baseline changed the mode, recorded under the delivery's token: the claim is released.
    expect(schedule()).toMatchObject({ claimOwner: undefined, claimedUntil: undefined });
  });

  it('fails a customer whose takeover write fails, fetching nothing, and leaves the tick’s claim to expire', async () => {
    const [queued] = await claimOne();
    harness.store.takeOver = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const result = await pollClaimed(queued!, deps(), { ...options, takeOverAs: 'delivery-1' });
    expect(result).toMatchObject({ status: 'failed', claimLost: false });
    expect(result.reason).toContain('claim not taken over: ');
    expect(harness.source.calls).toBe(0);
    expect(schedule()).toMatchObject({
      claimOwner: 'poller-a',
      claimedUntil: queued!.claimedUntil,
    });
  });

  it('schedules by the bound its claim chose: the backstop of a customer the feed covers', async () => {
    const [queued] = await claimOne();
    harness.source.beforeFetch = () => {
      throw new Error('HTTP 503 from Capillary');
    };
    const backstop = { ...queued!, idlePolls: 20, maxIntervalMs: 21_600_000 };
    expect(ClaimedCustomerSchema.parse(JSON.parse(JSON.stringify(backstop)))).toEqual(backstop);
    const result = await pollClaimed(backstop, deps(), options);
    expect(result).toMatchObject({ status: 'failed', outcome: 'failed' });
    // The same tier, after its interval under the backstop (6 h), not the staleness bound (1 h).
    expect(schedule()?.nextPollAt).toBe(harness.now() + 21_600_000);
  });

  it('claims a due customer once, with what the poll needs, and the claim crosses a queue intact', async () => {
    const [claimed] = await claimOne();
    expect(claimed).toEqual({
      customerId: '42',
      scope: 'child',
      mode: 'baseline',
      windowDigest: null,
      idlePolls: 0,
      lastPolledAt: null,
      nextPollAt: T0 + 120_000,
      claimOwner: 'poller-a',
      claimedUntil: T0 + 120_000,
    });
    expect(ClaimedCustomerSchema.parse(JSON.parse(JSON.stringify(claimed)))).toEqual(claimed);
    // Held: no second claim, by anyone, while the claim lasts.
    expect(await claimOne(120_000, 'poller-b')).toEqual([]);
  });

  it('records the baseline, then an idle poll of the same window reads nothing and writes nothing', async () => {
    harness.source.setWindow('42', events(1, 3));
    const [first] = await claimOne();
    const baselined = await pollClaimed(first!, deps(), options);
    expect(baselined).toMatchObject({ status: 'ok', baselined: true, outcome: 'idle' });
    expect(schedule()).toMatchObject({ mode: 'tracking', idlePolls: 1, lastPolledAt: T0 });
    expect(schedule()?.windowDigest).not.toBeNull();

    // Due again after its (doubled) interval; a claim shorter than the interval needs no release.
    harness.setNow(schedule()!.nextPollAt);
    const [second] = await claimOne(30_000);
    const [reads, writes, completions] = [
      harness.store.reads,
      harness.store.writes,
      harness.store.completions,
    ];
    const idle = await pollClaimed(second!, deps(), options);
    expect(idle).toMatchObject({ status: 'ok', newEvents: 0, outcome: 'idle', claimLost: false });
    expect([
      harness.store.reads - reads,
      harness.store.writes - writes,
      harness.store.completions - completions,
    ]).toEqual([0, 0, 0]);
    // The claim's tentative schedule stands: the next tier.
    expect(schedule()).toMatchObject({
      idlePolls: 2,
      nextPollAt: harness.now() + 240_000,
      lastPolledAt: harness.now(),
    });
  });

  it('brings a customer with new events back to the shortest interval', async () => {
    harness.source.setWindow('42', events(1, 3));
    await pollClaimed((await claimOne())[0]!, deps(), options);
    harness.advance(10 * 60_000);
    harness.source.setWindow('42', events(1, 5));
    const result = await pollClaimed((await claimOne())[0]!, deps(), options);
    expect(result).toMatchObject({ newEvents: 2, published: 2, outcome: 'active' });
    expect(schedule()).toMatchObject({
      idlePolls: 0,
      nextPollAt: harness.now() + 60_000,
      lastPolledAt: harness.now(),
    });
    expect(schedule()?.claimedUntil).toBeUndefined();
  });

  it('keeps the tier after a failed poll, records why, and tries again after its interval', async () => {
    harness.source.fail('42', 'HTTP 503 from Capillary');
    const result = await pollClaimed((await claimOne())[0]!, deps(), options);
    expect(result).toMatchObject({ status: 'failed', outcome: 'failed' });
    expect(schedule()).toMatchObject({
      idlePolls: 0,
      lastPolledAt: null,
      nextPollAt: T0 + 60_000,
      lastError: 'HTTP 503 from Capillary',
      lastFailedAt: T0,
    });
  });

  it('publishes nothing once its claim is about to expire, and counts the claim as lost', async () => {
    harness.source.setWindow('42', events(1, 3));
    await pollClaimed((await claimOne())[0]!, deps(), options);
    harness.advance(10 * 60_000);
    harness.source.setWindow('42', events(1, 4));
    const [claimed] = await claimOne(60_000);
    // A slow answer: within 10 s of the claim's end.
    harness.source.beforeFetch = () => harness.advance(55_000);
    const result = await pollClaimed(claimed!, deps(), options);
    expect(result).toMatchObject({ status: 'deferred', claimLost: true, published: 0 });
    expect(harness.publisher.published).toEqual([]);
    // Due again at once for whoever has time; the event goes out then.
    expect(schedule()).toMatchObject({ nextPollAt: harness.now() });
  });

  it('skips a claim that has already expired (a late redelivery) without fetching', async () => {
    const [claimed] = await claimOne(60_000);
    harness.advance(61_000);
    const result = await pollClaimed(claimed!, deps(), options);
    expect(result).toMatchObject({ status: 'deferred', claimLost: true });
    expect(harness.source.calls).toBe(0);
  });

  it('does not let a poll whose claim was taken over record its schedule', async () => {
    harness.source.setWindow('42', events(1, 3));
    const [stale] = await claimOne(60_000);
    // The holder died: the customer is due again at its tentative time, after the claim expired.
    harness.setNow(stale!.nextPollAt);
    const [fresh] = await claimOne(60_000, 'poller-b');
    expect(fresh?.claimOwner).toBe('poller-b');
    expect(
      await harness.store.completePoll(stale!, {
        schedule: { nextPollAt: 1, idlePolls: 0, lastPolledAt: 1 },
      }),
    ).toBe('lost');
    expect(schedule()).toMatchObject({ claimOwner: 'poller-b' });
  });

  it('counts a coverage gap: 60 new events against a window of 50 publishes the 50 still visible', async () => {
    // 60 events since: the API shows the newest 50, the first 10 scrolled out unseen.
    const result = await pollAnHourAfterEvents1To50(events(61, 110));
    expect(result).toMatchObject({
      coverageGap: true,
      newEvents: 50,
      published: 50,
      outcome: 'active',
    });
    expect(harness.publisher.published.map((published) => published.key)).toEqual(
      Array.from({ length: 50 }, (_, index) => `e${61 + index}`),
    );
    expect(schedule()).toMatchObject({ idlePolls: 0, nextPollAt: harness.now() + 60_000 });
    const warning = harness.logger.lines.find((line) => /coverage gap/i.test(line.message));
    expect(warning).toMatchObject({ level: 'warn', attributes: { customerId: '42' } });
  });

  it('sees no coverage gap when the window still overlaps the seen set', async () => {
    const result = await pollAnHourAfterEvents1To50(events(50, 99));
    expect(result).toMatchObject({ coverageGap: false, published: 49 });
  });
});
