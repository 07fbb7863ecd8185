import { describe, expect, it } from 'vitest';
import { packBatches } from './batch-packer.js';

describe('packBatches', () => {
  it('packs by count alone when no byte limit is given, in order', () => {
    const batches = packBatches(
      Array.from({ length: 23 }, (_, i) => i),
      { maxCount: 10 },
    );
    expect(batches).toEqual([
      Array.from({ length: 10 }, (_, i) => i),
      Array.from({ length: 10 }, (_, i) => i + 10),
      [20, 21, 22],
    ]);
  });

  it('measures items with the given function', () => {
    const words = ['aaaa', 'bb', 'cccc', 'd', 'eeeee'];
    expect(packBatches(words, { maxCount: 10, maxBytes: 6 }, (word) => word.length)).toEqual([
      ['aaaa', 'bb'],
      ['cccc', 'd'],
      ['eeeee'],
    ]);
  });

  it('lets an item over the byte limit travel alone', () => {
    expect(packBatches([1, 9, 1], { maxCount: 10, maxBytes: 5 }, (n) => n)).toEqual([
      [1],
      [9],
      [1],
    ]);
  });
});
