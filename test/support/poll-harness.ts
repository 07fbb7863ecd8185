// The setup the domain's poll, sweep and worker tests share: the in-memory ports of a poll with a
// clock the test moves, and a fleet of watched customers.
import { newCustomerState } from '../../src/domain/customer-state.js';
import {
  apiEvent,
  captureLogger,
  InMemoryCursorStore,
  RecordingDeadLetters,
  RecordingPublisher,
  ScriptedSource,
} from './in-memory-ports.js';

/** 2026-01-01T00:00:00Z: the domain tests' "now". */
const TEST_NOW = Date.parse('2026-01-01T00:00:00Z');

/** Fresh in-memory ports; the clock stands still until the test moves it. */
export function pollHarness<WithDeadLetters extends boolean = false>(
  options: { now?: number; deadLetters?: WithDeadLetters } = {},
) {
  let now = options.now ?? TEST_NOW;
  const deadLetters = options.deadLetters ? new RecordingDeadLetters() : undefined;
  return {
    store: new InMemoryCursorStore(),
    source: new ScriptedSource(),
    publisher: new RecordingPublisher(),
    deadLetters: deadLetters as WithDeadLetters extends true ? RecordingDeadLetters : undefined,
    logger: captureLogger(),
    clock: () => new Date(now),
    /** Epoch ms on the harness clock. */
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    setNow: (ms: number) => {
      now = ms;
    },
  };
}
export type PollHarness<WithDeadLetters extends boolean = false> = ReturnType<
  typeof pollHarness<WithDeadLetters>
>;

/**
 * Customers "1" to `count`, watched with --backfill at the harness's now, each with one event in
 * its window (`uniqueId` names it).
 */
export async function watchFleet(
  harness: Pick<PollHarness, 'store' | 'source' | 'clock'>,
  count: number,
  uniqueId: (customerId: string) => string = (customerId) => `event-of-${customerId}`,
): Promise<void> {
  for (let index = 1; index <= count; index++) {
    const customerId = String(index);
    await harness.store.addCustomer(
      newCustomerState({ customerId, scope: 'default', backfill: true }, harness.clock()),
    );
    harness.source.setWindow(customerId, [
      apiEvent({ uniqueId: uniqueId(customerId), date: '2025-12-31T23:00:00Z' }),
    ]);
  }
}

/** Makes every fetch wait `ms` (real time), so that polls overlap. */
export function slowFetches(source: ScriptedSource, ms: number): void {
  source.beforeFetch = () => new Promise((resolve) => setTimeout(resolve, ms));
}
