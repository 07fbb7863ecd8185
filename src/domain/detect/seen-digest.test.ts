import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  legacySeenDigests,
  MAX_SEEN_AT,
  MIN_SEEN_AT,
  seenDigest,
  seenEntry,
  seenLookup,
} from './seen-digest.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('seenDigest', () => {
  it('is the first 8 bytes of the SHA-256 of the key, as 16 hex characters', () => {
    const key = '0b1d7f0e-3f5c-4d8a-9a6e-2c1b5e7d9f00';
    expect(seenDigest(key)).toBe(sha256(key).slice(0, 16));
    expect(seenDigest(key)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('tells apart keys that UTF-8 would merge (lone surrogates become U+FFFD)', () => {
    const keys = ['id-\uD800', 'id-\uDC00', 'id-\uFFFD', 'id-\uD83D\uDE00'];
    expect(new Set(keys.map(seenDigest)).size).toBe(keys.length);
    // A well-formed key, a surrogate pair included, is hashed as its UTF-8.
    expect(seenDigest('id-\uD83D\uDE00')).toBe(sha256('id-😀').slice(0, 16));
  });
});

describe('seenEntry', () => {
  it('keeps the date, within what 6 signed bytes hold', () => {
    const at = Date.parse('2025-05-08T08:20:00.123Z');
    expect(seenEntry('k', at)).toEqual({ digest: seenDigest('k'), at });
    expect(seenEntry('k', 8.64e15).at).toBe(MAX_SEEN_AT);
    expect(seenEntry('k', -8.64e15).at).toBe(MIN_SEEN_AT);
    expect(MAX_SEEN_AT).toBe(2 ** 47 - 1);
  });
});

describe('seenLookup', () => {
  it('finds a key by its digest', () => {
    const isSeen = seenLookup([seenEntry('a', 1), seenEntry('sha256:ab12', 2)]);
    expect(isSeen('a')).toBe(true);
    expect(isSeen('sha256:ab12')).toBe(true);
    expect(isSeen('b')).toBe(false);
  });
});

describe('legacySeenDigests', () => {
  it('turns a key of the lists layout into its digest', () => {
    expect(legacySeenDigests('evt-1')).toEqual([seenDigest('evt-1')]);
  });

  it('turns a fingerprint into the digest of the key it was taken from', () => {
    const key = `1-`.padEnd(1_000, 'z');
    expect(legacySeenDigests(fingerprintOf(key))).toContain(seenDigest(key));
  });

  it('remembers a key that only looks like a fingerprint as itself too', () => {
    const key = '~AAAAAAAAAAAAAAAA';
    expect(legacySeenDigests(key)).toEqual(['0000000000000000', seenDigest(key)]);
  });
});
