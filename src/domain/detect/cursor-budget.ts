import { createHash } from 'node:crypto';
import type { CustomerState, SeenEvent } from '../customer-state.js';

/**
 * The most a customer's cursor item may take, by DynamoDB's item-size rules: well under its
 * 400 KB item limit, so a save never fails on size (a failed save would republish the same events
 * on every poll).
 */
export const MAX_CURSOR_ITEM_BYTES = 350_000;

/**
 * A seen id kept in compact form: `~` and 16 base64url characters (96 bits) of its SHA-256. Used
 * only when the window's own ids do not fit the budget; a collision among one customer's ids
 * (about 1 in 10^20 for 20,000 ids) would hide one event.
 */
const FINGERPRINT_PREFIX = '~';
const FINGERPRINT_CHARS = 16;
const FINGERPRINT_LENGTH = FINGERPRINT_PREFIX.length + FINGERPRINT_CHARS;

export function fingerprintOf(id: string): string {
  return `${FINGERPRINT_PREFIX}${createHash('sha256').update(id).digest('base64url').slice(0, FINGERPRINT_CHARS)}`;
}

/** Membership in the seen set, whether an id is kept whole or as its fingerprint. */
export function seenLookup(seen: readonly SeenEvent[]): (key: string) => boolean {
  const ids = new Set(seen.map((entry) => entry.id));
  if (!seen.some(isFingerprint)) return (key) => ids.has(key);
  return (key) => ids.has(key) || ids.has(fingerprintOf(key));
}

/**
 * The ids of the window as the seen set may hold them: whole, and (once the set holds compact
 * ids) as fingerprints too, so an id of the window is recognised and never evicted in either form.
 */
export function windowIds(keys: readonly string[], seen: readonly SeenEvent[]): Set<string> {
  const ids = new Set(keys);
  if (seen.some(isFingerprint)) {
    for (const key of keys) if (key.length > FINGERPRINT_LENGTH) ids.add(fingerprintOf(key));
  }
  return ids;
}

function isFingerprint(entry: SeenEvent): boolean {
  return entry.id.length === FINGERPRINT_LENGTH && entry.id.startsWith(FINGERPRINT_PREFIX);
}

// ---- DynamoDB item size (documented rules), for the item layout of the cursor store --------------

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number: 1 byte per 2 significant digits, plus 1 (an upper bound: trailing zeros are counted). */
function numberBytes(value: number): number {
  return Math.ceil(String(value).replace(/^-|\.|^0+/g, '').length / 2) + 1;
}

const stringOrNull = (value: string | null) => (value === null ? 1 : utf8(value));

/** What one seen entry adds: an element of `seenIds` (S) and one of `seenAt` (N), 1 byte each for the list. */
function seenEntryBytes(entry: SeenEvent): number {
  return 1 + utf8(entry.id) + 1 + numberBytes(entry.at);
}

/**
 * The item's size by DynamoDB's rules, for the layout the cursor store writes (names in UTF-8,
 * strings in UTF-8, numbers as above, 3 bytes per list, NULL 1 byte). A test holds it equal to
 * the adapter's own count of the item it encodes.
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
  let ids = 3;
  let ats = 3;
  for (const entry of state.seen) {
    ids += 1 + utf8(entry.id);
    ats += 1 + numberBytes(entry.at);
  }
  add('seenIds', ids);
  add('seenAt', ats);
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
  /** The item's size with every id of the window kept (compact form), before window ids were evicted. */
  itemBytes: number;
  budgetBytes: number;
  /** Ids still in the API's window that had to be evicted (the floor rose past them). */
  evictedInWindow: number;
}

export interface FitResult {
  state: CustomerState;
  /** Set when ids of the window had to go: late events dated below the new floor are then not emitted. */
  overBudget: CursorOverBudget | undefined;
}

/**
 * Keeps the item within `budgetBytes`, in three steps, each only when the one before did not suffice:
 * 1. evict the oldest ids no longer in the window, raising the floor (as the count limit does);
 * 2. keep long ids as 17-character fingerprints;
 * 3. evict the oldest ids of the window itself and raise the floor just past them: they can then
 *    never be emitted again, so every event is still emitted at most once; the customer is reported.
 */
export function fitCursorBudget(
  state: CustomerState,
  inWindow: ReadonlySet<string>,
  budgetBytes: number = MAX_CURSOR_ITEM_BYTES,
): FitResult {
  let size = cursorItemBytes(state);
  if (size <= budgetBytes) return { state, overBudget: undefined };

  // 1. Oldest first (the seen list is sorted oldest first), never an id still in the window.
  // The floor's number grows as it rises (from NULL's 1 byte to 8): counted as it goes, so no id
  // of the window goes for want of the bytes of an eviction that could still be made.
  let floor = state.seenFloor;
  const raise = (at: number) => {
    floor = Math.max(floor ?? at, at);
  };
  const over = () => size + floorBytesChange(state.seenFloor, floor) > budgetBytes;
  const seen: SeenEvent[] = [];
  for (const entry of state.seen) {
    if (over() && !inWindow.has(entry.id)) {
      size -= seenEntryBytes(entry);
      raise(entry.at);
    } else {
      seen.push(entry);
    }
  }
  size += floorBytesChange(state.seenFloor, floor);
  if (size <= budgetBytes)
    return { state: { ...state, seen, seenFloor: floor }, overBudget: undefined };

  // 2. Compact form for ids longer than a fingerprint.
  const compact = seen.map((entry) => {
    if (entry.id.length <= FINGERPRINT_LENGTH) return entry;
    const smaller = { id: fingerprintOf(entry.id), at: entry.at };
    size -= seenEntryBytes(entry) - seenEntryBytes(smaller);
    return smaller;
  });
  if (size <= budgetBytes) {
    return { state: { ...state, seen: compact, seenFloor: floor }, overBudget: undefined };
  }

  // 3. The window itself does not fit: evict its oldest ids, floor just past the newest of them.
  const itemBytes = size;
  let evictedInWindow = 0;
  let newestEvicted: number | undefined;
  let first = 0;
  // The floor's own number may grow by a few bytes: keep room for it.
  while (first < compact.length && size + FLOOR_ROOM > budgetBytes) {
    const entry = compact[first] as SeenEvent;
    size -= seenEntryBytes(entry);
    newestEvicted = Math.max(newestEvicted ?? entry.at, entry.at);
    evictedInWindow++;
    first++;
  }
  // Ids of the same date as the newest evicted one go too: the floor must exclude them all.
  while (first < compact.length && (compact[first] as SeenEvent).at === newestEvicted) {
    size -= seenEntryBytes(compact[first] as SeenEvent);
    evictedInWindow++;
    first++;
  }
  if (newestEvicted !== undefined) floor = Math.max(floor ?? newestEvicted + 1, newestEvicted + 1);
  return {
    state: { ...state, seen: compact.slice(first), seenFloor: floor },
    overBudget: { itemBytes, budgetBytes, evictedInWindow },
  };
}

const FLOOR_ROOM = 10;

function floorBytesChange(before: number | null, after: number | null): number {
  const bytes = (value: number | null) => (value === null ? 1 : numberBytes(value));
  return bytes(after) - bytes(before);
}
