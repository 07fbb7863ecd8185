import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  contentFingerprint,
  EventShapeError,
  MAX_EVENT_DEPTH,
} from './event-key.js';

/** The recursive form keys were hashed with before: keys must keep hashing the same. */
function recursiveCanonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        ),
      );
    }
    return inner;
  });
}

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
}

describe('canonicalJson', () => {
  it('writes exactly what the recursive form wrote, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(canonicalJson(value)).toBe(recursiveCanonicalJson(value));
      }),
      { numRuns: 300 },
    );
    const odd = { b: 1, 10: 'x', 9: [undefined, () => 1], a: undefined, date: new Date(0) };
    expect(canonicalJson(odd)).toBe(recursiveCanonicalJson(odd));
  });

  it('accepts the deepest allowed event and refuses one level more, without recursion', () => {
    expect(() => canonicalJson(nested(MAX_EVENT_DEPTH))).not.toThrow();
    expect(() => canonicalJson(nested(MAX_EVENT_DEPTH + 1))).toThrow(EventShapeError);
    const deep = nested(100_000);
    expect(() => canonicalJson(deep)).toThrow(/nested more than 64 levels/);
  });

  it('refuses content larger than the limit', () => {
    expect(() =>
      canonicalJson({ big: 'x'.repeat(2_000) }, { maxDepth: 64, maxBytes: 1_000 }),
    ).toThrow(/larger than 1000 bytes/);
  });
});

describe('contentFingerprint', () => {
  it('hashes content of any depth, the same for the same content whatever the key order', () => {
    const deep = nested(100_000);
    expect(contentFingerprint(deep)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentFingerprint({ a: 1, b: [2] })).toBe(contentFingerprint({ b: [2], a: 1 }));
  });
});
