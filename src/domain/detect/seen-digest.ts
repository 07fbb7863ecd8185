import { createHash } from 'node:crypto';
import type { SeenEvent } from '../customer-state.js';

/*
 * The seen set remembers an event by a digest of its identity (`eventKey`), never by the key
 * itself: 8 bytes whatever the key looks like (a uuid, a 71-character `sha256:` key, a 1,000-
 * character id), so the cursor item is small and its size known in advance. Detection digests the
 * keys of the window it just fetched and compares digest with digest.
 *
 * 64 bits: a new event is taken for one of the n remembered when its digest equals one of theirs,
 * a chance of n / 2^64 per event: about 1 in 10^17 with the 200 a customer usually keeps, 1 in
 * 10^15 with the most a cursor item holds (about 25,000); a billion new events checked against
 * 200 digests each hide one with a chance of about 1 in 10^8.
 */

/** Bytes of a digest: the first 8 of the key's SHA-256. */
export const SEEN_DIGEST_BYTES = 8;
/** Bytes of an entry's date in the cursor item: a signed 48-bit number of epoch milliseconds. */
export const SEEN_AT_BYTES = 6;
/** Bytes one remembered event takes in the cursor item (see `cursor-item.ts`). */
export const SEEN_ENTRY_BYTES = SEEN_DIGEST_BYTES + SEEN_AT_BYTES;

/**
 * The dates an entry keeps (epoch ms, years -2492 to 6429): what 6 signed bytes hold. An event may
 * be dated up to year 275760; its entry keeps the nearest bound. `at` only orders eviction, raises
 * the floor and dates the newest seen event (coverage gaps), and an event dated strictly within
 * the bounds compares with a kept bound as it would with the date itself, so detection is
 * unchanged for every such event.
 */
export const MIN_SEEN_AT = -(2 ** 47);
export const MAX_SEEN_AT = 2 ** 47 - 1;

/** UTF-8 turns a lone surrogate into U+FFFD, so two keys would share their bytes: see `seenDigest`. */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** A byte UTF-8 never holds: a key hashed as UTF-16 never shares its input with one hashed as UTF-8. */
const UTF16_TAG = Buffer.from([0xff]);

/**
 * The digest of an event's key, as the seen set holds it (and the feed cursor a record id's): 16
 * hex characters.
 */
export function seenDigest(key: string): string {
  const hash = createHash('sha256');
  if (LONE_SURROGATE.test(key)) hash.update(UTF16_TAG).update(key, 'utf16le');
  else hash.update(key, 'utf8');
  return hash.digest().toString('hex', 0, SEEN_DIGEST_BYTES);
}

/** The date an entry keeps for an event dated `at` (epoch ms): the nearest bound beyond them. */
export function clampSeenAt(at: number): number {
  return Math.min(Math.max(at, MIN_SEEN_AT), MAX_SEEN_AT);
}

/** What the seen set remembers of an event with key `key` dated `at` (epoch ms). */
export function seenEntry(key: string, at: number): SeenEvent {
  return { digest: seenDigest(key), at: clampSeenAt(at) };
}

/** Membership in the seen set, by key. */
export function seenLookup(seen: readonly SeenEvent[]): (key: string) => boolean {
  const digests = new Set(seen.map((entry) => entry.digest));
  return (key) => digests.has(seenDigest(key));
}

/** The digests of `keys`: the window's events as the seen set holds them. */
export function seenDigestsOf(keys: readonly string[]): Set<string> {
  return new Set(keys.map(seenDigest));
}

/**
 * A long id kept in short form (for `lastSeenId`, which is for people): `~` and 16 base64url
 * characters, the first 96 bits of its SHA-256 (of its UTF-8).
 */
const FINGERPRINT = /^~[A-Za-z0-9_-]{16}$/;

export function fingerprintOf(id: string): string {
  return `~${createHash('sha256').update(id).digest('base64url').slice(0, 16)}`;
}

/**
 * The digests an id of a seen set written before digests existed stands for. Such a set held keys,
 * or, in a cursor that had outgrown its byte budget, their fingerprints (`fingerprintOf`): the
 * first 8 bytes of a fingerprint are the key's digest (of any key without a lone surrogate). A key
 * that merely looks like a fingerprint is remembered both ways: one extra entry, and no event
 * missed or emitted twice.
 */
export function legacySeenDigests(id: string): string[] {
  const digest = seenDigest(id);
  if (!FINGERPRINT.test(id)) return [digest];
  const fromFingerprint = Buffer.from(id.slice(1), 'base64url').toString(
    'hex',
    0,
    SEEN_DIGEST_BYTES,
  );
  return [fromFingerprint, digest];
}
