import type { CustomerState } from '../customer-state.js';
import type { CursorOverBudget } from '../detect/cursor-budget.js';
import { type AdvanceInput, advanceCursor } from '../detect/detect-new-events.js';
import { describeError } from '../errors.js';
import type { CursorStore, Logger } from '../ports.js';

/** What the poll got out: the cursor moves past these (see `advanceCursor`). */
export type CursorProgress = Pick<
  AdvanceInput,
  'window' | 'acknowledged' | 'setAside' | 'capacity' | 'windowDigest'
>;

export interface SavedCursor {
  /**
   * `saved`: written, or nothing to write; `conflict`: another writer changed the cursor since it
   * was read, so this poll is not applied; `failed`: not written, `reason` says why.
   */
  status: 'saved' | 'conflict' | 'failed';
  reason?: string;
  /** Set when even the window's ids did not fit the cursor's byte budget (see `fitCursorBudget`). */
  cursorOverBudget?: CursorOverBudget;
}

/**
 * Moves the cursor past what was acknowledged and writes it only if nobody changed it since it was
 * read (optimistic: `state.version`), so two pollers of one customer cannot both apply a poll.
 * Never throws.
 */
export async function saveCursor(
  state: CustomerState,
  progress: CursorProgress,
  deps: { store: CursorStore; logger: Logger; clock: () => Date },
): Promise<SavedCursor> {
  const log = { customerId: state.customerId };
  const saved: SavedCursor = { status: 'saved' };
  const next = advanceCursor(state, {
    ...progress,
    now: deps.clock(),
    onOverBudget: (report) => {
      saved.cursorOverBudget = report;
      deps.logger.error('Cursor over its byte budget: the window alone does not fit', {
        ...log,
        ...report,
      });
    },
  });
  if (!next) return saved;
  try {
    if ((await deps.store.saveState(next, state.version)) === 'conflict') {
      deps.logger.warn('Cursor changed by another poller; this poll is not applied', log);
      return { ...saved, status: 'conflict', reason: 'cursor changed by another poller' };
    }
  } catch (error) {
    return { ...saved, status: 'failed', reason: `cursor not saved: ${describeError(error)}` };
  }
  return saved;
}
