import { describe, expect, it } from 'vitest';
import type { CapillaryEvent } from '../capillary-event.js';
import { type CustomerState, newCustomerState } from '../customer-state.js';
import {
  type CursorOverBudget,
  cursorItemBytes,
  fitCursorBudget,
  MAX_CURSOR_ITEM_BYTES,
} from './cursor-budget.js';
import { advanceCursor, detectNewEvents, type KeyedEvent } from './detect-new-events.js';
import { SEEN_ENTRY_BYTES, seenDigestsOf, seenEntry, seenLookup } from './seen-digest.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const BASE = Date.parse('2025-01-01T00:00:00Z');

/** A distinct id of exactly `length` characters (1 character: a CJK ideograph, 3 UTF-8 bytes). */
function idOf(n: number, length: number): string {
  if (length === 1) return String.fromCodePoint(0x4e00 + n);
  return `${n.toString(36)}-`.padEnd(length, 'x');
}

function keyed(n: number, length: number): KeyedEvent {
  const at = BASE + n * 1_000;
  const date = new Date(at).toISOString();
  return { key: idOf(n, length), at, event: { date } as CapillaryEvent };
}

function windowOf(first: number, size: number, length: number): KeyedEvent[] {
  return Array.from({ length: size }, (_, index) => keyed(first + index, length));
}

interface Poll {
  emitted: string[];
  overBudget: CursorOverBudget | undefined;
}

/** One poll, everything published: what was emitted, and the cursor after it. */
function poll(state: CustomerState, window: KeyedEvent[], capacity: number) {
  const { fresh } = detectNewEvents(state, window);
  let overBudget: CursorOverBudget | undefined;
  const next = advanceCursor(state, {
    window,
    acknowledged: fresh,
    capacity,
    now: NOW,
    windowDigest: null,
    onOverBudget: (report) => {
      overBudget = report;
    },
  });
  const result: Poll = { emitted: fresh.map((event) => event.key), overBudget };
  return { result, state: next ?? state };
}

describe('the cursor item stays within its byte budget whatever the ids look like', () => {
  const cases: [number, number][] = [];
  for (const length of [1, 36, 100, 1_000]) {
    for (const size of [50, 1_000, 20_000, 30_000]) cases.push([length, size]);
  }

  it.each(cases)('ids of %i characters, a window of %i events', (length, size) => {
    let state: CustomerState = {
      ...newCustomerState({ customerId: '7', scope: 'default', backfill: true }, NOW),
    };
    const emitted = new Map<string, number>();
    const reports: CursorOverBudget[] = [];
    const step = Math.max(1, Math.floor(size / 10));
    const windows = [
      windowOf(0, size, length),
      windowOf(0, size, length),
      windowOf(step, size, length),
      windowOf(2 * step, size, length),
    ];
    for (const [index, window] of windows.entries()) {
      const after = poll(state, window, 4_000);
      state = after.state;
      if (after.result.overBudget) reports.push(after.result.overBudget);
      for (const key of after.result.emitted) emitted.set(key, (emitted.get(key) ?? 0) + 1);
      expect(cursorItemBytes(state), `poll ${index}`).toBeLessThanOrEqual(MAX_CURSOR_ITEM_BYTES);
      // A repeated window emits nothing: at most once, not on every poll.
      if (index === 1) expect(after.result.emitted).toEqual([]);
      // A slide emits exactly the new events.
      if (index >= 2) {
        expect(after.result.emitted).toEqual(window.slice(-step).map((event) => event.key));
      }
    }
    expect([...emitted.values()].every((count) => count === 1)).toBe(true);
    expect(emitted.size).toBe(size + 2 * step);

    // Every entry takes 14 bytes whatever its id: up to ~24,900 window entries fit in 350 KB.
    if (size * SEEN_ENTRY_BYTES < MAX_CURSOR_ITEM_BYTES - 1_000) {
      expect(reports).toEqual([]);
      const isSeen = seenLookup(state.seen);
      expect(windows[3]?.every((event) => isSeen(event.key))).toBe(true);
    } else {
      expect(reports.length).toBeGreaterThan(0);
      expect(reports[0]?.evictedInWindow).toBeGreaterThan(0);
      expect(reports[0]?.itemBytes).toBeGreaterThan(MAX_CURSOR_ITEM_BYTES);
    }
  });
});

describe('fitCursorBudget', () => {
  const state = (keys: string[], at = (index: number) => BASE + index): CustomerState => ({
    ...newCustomerState({ customerId: '7', scope: 'default', backfill: false }, NOW),
    mode: 'tracking',
    seen: keys.map((key, index) => seenEntry(key, at(index))),
  });

  it('leaves an item within the budget as it is', () => {
    const small = state(['a', 'b']);
    expect(fitCursorBudget(small, new Set(), 10_000).state).toBe(small);
  });

  it('counts 14 bytes an entry, whatever the key it stands for', () => {
    const short = state(Array.from({ length: 200 }, (_, index) => String(index)));
    const long = state(Array.from({ length: 200 }, (_, index) => `${index}-`.padEnd(1_000, 'z')));
    expect(cursorItemBytes(long)).toBe(cursorItemBytes(short));
    expect(cursorItemBytes(short) - cursorItemBytes(state([]))).toBe(200 * SEEN_ENTRY_BYTES);
  });

  it('evicts the oldest entries outside the window first and raises the floor to the newest evicted', () => {
    const keys = Array.from({ length: 100 }, (_, index) => `id-${index}`);
    const inWindow = seenDigestsOf(keys.slice(0, 10));
    // Room for 50 entries less, and for the floor's number (8 bytes where NULL took 1).
    const budget = cursorItemBytes(state(keys)) - 50 * SEEN_ENTRY_BYTES + 7;
    const { state: fitted, overBudget } = fitCursorBudget(state(keys), inWindow, budget);
    expect(overBudget).toBeUndefined();
    expect(cursorItemBytes(fitted)).toBeLessThanOrEqual(budget);
    const isKept = seenLookup(fitted.seen);
    for (const key of keys.slice(0, 10)) expect(isKept(key)).toBe(true);
    expect(isKept(keys[10] as string)).toBe(false);
    expect(fitted.seen).toHaveLength(50);
    expect(fitted.seenFloor).toBe(
      BASE + Math.max(...[...Array(100).keys()].filter((i) => !isKept(keys[i] as string))),
    );
  });

  it('counts the bytes of the floor it raises, so no window entry goes while an older one can', () => {
    const keys = Array.from({ length: 100 }, (_, index) => `id-${index}`);
    const inWindow = seenDigestsOf(keys.slice(60));
    // 50 entries less would fit but for the floor's 7 more bytes: a 51st old entry goes instead.
    const budget = cursorItemBytes(state(keys)) - 50 * SEEN_ENTRY_BYTES + 3;
    const { state: fitted, overBudget } = fitCursorBudget(state(keys), inWindow, budget);
    expect(overBudget).toBeUndefined();
    expect(cursorItemBytes(fitted)).toBeLessThanOrEqual(budget);
    expect(fitted.seen).toHaveLength(49);
    expect(fitted.seenFloor).toBe(BASE + 50);
  });

  it('when the window cannot fit, evicts its oldest entries with every entry of the same date, floor just past them', () => {
    const keys = Array.from({ length: 1_000 }, (_, index) => `${index}`);
    // Two entries per millisecond: the cut must not split a date.
    const full = state(keys, (index) => BASE + Math.floor(index / 2));
    const { state: fitted, overBudget } = fitCursorBudget(full, seenDigestsOf(keys), 10_000);
    expect(overBudget?.evictedInWindow).toBeGreaterThan(0);
    expect(overBudget?.itemBytes).toBe(cursorItemBytes(full));
    expect(cursorItemBytes(fitted)).toBeLessThanOrEqual(10_000);
    const oldestKept = fitted.seen[0]?.at as number;
    expect(fitted.seenFloor).toBe(oldestKept);
    expect(overBudget?.evictedInWindow).toBe(1_000 - fitted.seen.length);
    expect((overBudget?.evictedInWindow ?? 0) % 2).toBe(0);
  });
});
