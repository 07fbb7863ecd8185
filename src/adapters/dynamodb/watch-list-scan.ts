import type { WatchEntry } from '../../domain/customer-state.js';
import type { WatchedCustomer } from '../../domain/ports.js';
import { decodeWatchEntry, WATCH_ENTRY_ATTRIBUTES } from './cursor-item.js';
import { type CursorTable, scanItems } from './cursor-table.js';
import { identifiedCustomerOf } from './identifier-index.js';
import { type DecodedSchedule, decodeSchedule, itemKind } from './schedule-item.js';

/** Everything `watch list` shows: every attribute of both item kinds but the seen set. */
const LISTED_ATTRIBUTES = [
  ...WATCH_ENTRY_ATTRIBUTES,
  'nextPollAt',
  'idlePolls',
  'lastPolledAt',
  'claimOwner',
  'claimedUntil',
  'lastError',
  'lastFailedAt',
  'watchedCustomerId',
];

/**
 * A Scan of the table that leaves the seen sets out, cursor and schedule items merged in memory:
 * for `watch list`, an occasional human command. Unreadable items come first, then the others.
 */
export async function* listWatched(
  table: CursorTable,
  scanPageLimit: number | undefined,
): AsyncGenerator<WatchedCustomer> {
  const cursors = new Map<string, WatchEntry>();
  const schedules = new Map<string, DecodedSchedule>();
  const unreadable: WatchedCustomer[] = [];
  // The change feed's identifier items name their customer, never the identifier.
  const identified = new Set<string>();
  for await (const item of scanItems(table, LISTED_ATTRIBUTES, scanPageLimit)) {
    const identifiedCustomer = identifiedCustomerOf(item);
    if (identifiedCustomer !== undefined) identified.add(identifiedCustomer);
    const kind = itemKind(item.customerId?.S);
    if (kind.kind === 'other') continue;
    if (kind.kind === 'cursor') {
      const decoded = decodeWatchEntry(item);
      if (decoded.ok) cursors.set(kind.customerId, decoded.value);
      else unreadable.push(unreadableEntry(kind.customerId, decoded.problem));
    } else {
      const decoded = decodeSchedule(item);
      if (decoded.ok) schedules.set(kind.customerId, decoded.value);
      else unreadable.push(unreadableEntry(kind.customerId, `schedule item: ${decoded.problem}`));
    }
  }
  yield* unreadable;
  for (const [customerId, watch] of cursors) {
    const schedule = schedules.get(customerId);
    yield {
      kind: 'ok',
      watch: schedule ? { ...watch, status: schedule.state.status } : watch,
      schedule: schedule?.state,
      identifierKnown: identified.has(customerId),
    };
  }
}

function unreadableEntry(customerId: string, reason: string): WatchedCustomer {
  return { kind: 'unreadable', customerId, reason };
}
