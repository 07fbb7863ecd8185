import { hintTimeOf, isInLane } from '../../domain/feed/priority-lane.js';
import { stalenessMs } from '../../domain/schedule/schedule.js';
import { type CommandContext, EXIT_CUSTOMER_FAILED, EXIT_OK } from '../cli-io.js';
import { formatAge } from '../format-age.js';

/**
 * Ids are digit strings without leading zeros, up to 19 digits (past a double's precision): the
 * shorter is the smaller, and among equal lengths the order of the digits is the order of the numbers.
 */
function byNumericId(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `watch list`: watched customers with their last seen event and lag. */
export async function runWatchList(
  command: { json: boolean },
  { runtime, io, json, say }: CommandContext,
): Promise<number> {
  const now = Date.now();
  const rows = [];
  let unreadable = 0;
  for await (const stored of runtime.store.listWatched()) {
    if (stored.kind === 'unreadable') {
      unreadable++;
      say(`${stored.customerId}: unreadable state (${stored.reason})`);
      continue;
    }
    const { watch: state, schedule } = stored;
    const lagSeconds =
      state.lastSeenDate === null
        ? null
        : Math.round((now - Date.parse(state.lastSeenDate)) / 1000);
    const iso = (ms: number | null | undefined) =>
      ms === null || ms === undefined ? null : new Date(ms).toISOString();
    rows.push({
      customerId: state.customerId,
      scope: state.scope,
      mode: state.mode,
      status: state.status,
      lastSeenId: state.lastSeenId,
      lastSeenDate: state.lastSeenDate,
      lagSeconds,
      updatedAt: state.updatedAt,
      /** The last successful poll; `null` before the first. */
      lastPolledAt: iso(schedule?.lastPolledAt),
      /**
       * `null` while paused, or when the customer has no schedule yet (run `init`); the time it
       * became due, for a customer the change feed put in the priority lane (`hintedBy`).
       */
      nextPollAt:
        schedule && schedule.status === 'active'
          ? iso(isInLane(schedule.nextPollAt) ? now : schedule.nextPollAt)
          : null,
      /** In the priority lane: the time of the event the change feed saw. */
      hintedBy:
        schedule?.status === 'active' && isInLane(schedule.nextPollAt)
          ? iso(hintTimeOf(schedule.nextPollAt))
          : null,
      stalenessSeconds:
        schedule === undefined
          ? null
          : Math.round(stalenessMs(schedule, Date.parse(state.createdAt), now) / 1000),
      lastError: schedule?.lastError ?? null,
      scheduled: schedule !== undefined,
      /** The change feed knows an identifier of it, so its events in the log hint it. */
      identifierKnown: stored.identifierKnown === true,
    });
  }
  rows.sort((a, b) => byNumericId(a.customerId, b.customerId));
  if (command.json) json(rows);
  else {
    say(`${rows.length} watched customer(s)`);
    for (const row of rows) {
      const polled = row.lastPolledAt === null ? 'never polled' : `polled ${row.lastPolledAt}`;
      const fresh =
        row.stalenessSeconds === null ? '' : ` (${formatAge(row.stalenessSeconds)} stale)`;
      const next = !row.scheduled
        ? 'not scheduled: run init'
        : row.nextPollAt === null
          ? 'no next poll'
          : row.hintedBy !== null
            ? `next: now, hinted by an event at ${row.hintedBy}`
            : `next ${row.nextPollAt}`;
      const feed = row.identifierKnown ? '; identifier known' : '';
      io.stdout.write(
        `${row.customerId.padEnd(20)} ${row.status.padEnd(7)} ${row.mode.padEnd(9)} ${row.scope.padEnd(8)} last seen ${row.lastSeenDate ?? 'never'}${row.lagSeconds === null ? '' : ` (${formatAge(row.lagSeconds)} ago)`}; ${polled}${fresh}; ${next}${feed}${row.lastError === null ? '' : `; last error: ${row.lastError}`}\n`,
      );
    }
  }
  return unreadable > 0 ? EXIT_CUSTOMER_FAILED : EXIT_OK;
}
