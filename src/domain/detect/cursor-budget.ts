import type { CustomerState, SeenEvent } from '../customer-state.js';
import { SEEN_ENTRY_BYTES } from './seen-digest.js';

/**
 * The most a customer's cursor item may take, by DynamoDB's item-size rules: well under its
 * 400 KB item limit, so a save never fails on size (a failed save would republish the same events
 * on every poll).
 */
export const MAX_CURSOR_ITEM_BYTES = 350_000;

// ---- DynamoDB item size (documented rules), for the item layout of the cursor store --------------

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number: 1 byte per 2 significant digits, plus 1 (an upper bound: trailing zeros are counted). */
function numberBytes(value: number): number {
  return Math.ceil(String(value).replace(/^-|\.|^0+/g, '').length / 2) + 1;
}

const stringOrNull = (value: string | null) => (value === null ? 1 : utf8(value));

/**
 * The item's size by DynamoDB's rules, for the layout the cursor store writes (names in UTF-8,
 * strings in UTF-8, numbers as above, binary its length, NULL 1 byte): the seen set is one binary
 * attribute of `SEEN_ENTRY_BYTES` an entry. A test holds it equal to the adapter's own count of the
 * item it encodes.
 * @internal the budget tests compare it with the stored item's real size.
 */
export function cursorItemBytes(state: CustomerState): number {
  let size = 0;
  const add = (name: string, bytes: number) => {
    size += utf8(name) + bytes;
  };
  add('customerId', utf8(state.customerId));
  add('scope', utf8(state.scope));
  add('mode', utf8(state.mode));
  add('status', utf8(state.status));
  add('lastSeenId', stringOrNull(state.lastSeenId));
  add('lastSeenDate', stringOrNull(state.lastSeenDate));
  add('seen', state.seen.length * SEEN_ENTRY_BYTES);
  add('seenFloor', state.seenFloor === null ? 1 : numberBytes(state.seenFloor));
  add('windowDigest', stringOrNull(state.windowDigest));
  add('version', numberBytes(state.version));
  add('createdAt', utf8(state.createdAt));
  add('updatedAt', utf8(state.updatedAt));
  return size;
}

// ---- fitting the budget ---------------------------------------------------------------------------

/** A customer whose window alone does not fit: reported, and still emitted at most once. */
export interface CursorOverBudget {
  /** The item's size with every entry of the window kept, before window entries were evicted. */
  itemBytes: number;
  budgetBytes: number;
  /** Entries of events still in the API's window that had to be evicted (the floor rose past them). */
  evictedInWindow: number;
}

export interface FitResult {
  state: CustomerState;
  /** Set when entries of the window had to go: late events dated below the new floor are then not emitted. */
  overBudget: CursorOverBudget | undefined;
}

/**
 * Keeps the item within `budgetBytes`, in two steps, the second only when the first did not suffice:
 * 1. evict the oldest entries no longer in the window, raising the floor (as the count limit does);
 * 2. evict the oldest entries of the window itself and raise the floor just past them: they can
 *    then never be emitted again, so every event is still emitted at most once; the customer is
 *    reported.
 * `inWindow` holds the window's digests (`seenDigestsOf`).
 */
export function fitCursorBudget(
  state: CustomerState,
  inWindow: ReadonlySet<string>,
  budgetBytes: number = MAX_CURSOR_ITEM_BYTES,
): FitResult {
  let size = cursorItemBytes(state);
  if (size <= budgetBytes) return { state, overBudget: undefined };

  // 1. Oldest first (the seen list is sorted oldest first), never an entry still in the window.
  // The floor's number grows as it rises (from NULL's 1 byte to 8): counted as it goes, so no
  // entry of the window goes for want of the bytes of an eviction that could still be made.
  let floor = state.seenFloor;
  const raise = (at: number) => {
    floor = Math.max(floor ?? at, at);
  };
  const over = () => size + floorBytesChange(state.seenFloor, floor) > budgetBytes;
  const seen: SeenEvent[] = [];
  for (const entry of state.seen) {
    if (over() && !inWindow.has(entry.digest)) {
      size -= SEEN_ENTRY_BYTES;
      raise(entry.at);
    } else {
      seen.push(entry);
    }
  }
  size += floorBytesChange(state.seenFloor, floor);
  if (size <= budgetBytes)
    return { state: { ...state, seen, seenFloor: floor }, overBudget: undefined };

  // 2. The window itself does not fit: evict its oldest entries, floor just past the newest of them.
  const itemBytes = size;
  let newestEvicted: number | undefined;
  let first = 0;
  // The floor's own number may grow by a few bytes: keep room for it.
  while (first < seen.length && size + FLOOR_ROOM > budgetBytes) {
    const { at } = seen[first] as SeenEvent;
    newestEvicted = Math.max(newestEvicted ?? at, at);
    size -= SEEN_ENTRY_BYTES;
    first++;
  }
  // Entries of the same date as the newest evicted one go too: the floor must exclude them all.
  while (first < seen.length && (seen[first] as SeenEvent).at === newestEvicted) first++;
  if (newestEvicted !== undefined) floor = Math.max(floor ?? newestEvicted + 1, newestEvicted + 1);
  return {
    state: { ...state, seen: seen.slice(first), seenFloor: floor },
    overBudget: { itemBytes, budgetBytes, evictedInWindow: first },
  };
}

const FLOOR_ROOM = 10;

function floorBytesChange(before: number | null, after: number | null): number {
  const bytes = (value: number | null) => (value === null ? 1 : numberBytes(value));
  return bytes(after) - bytes(before);
}
