import { expect } from 'vitest';
import { MIN_SECRET_PIECE } from '../../src/domain/redaction.js';

/** Every piece of `MIN_SECRET_PIECE` (6) characters of each secret that occurs in `text`. */
function secretPiecesIn(text: string, secrets: readonly string[]): string[] {
  const found = new Set<string>();
  for (const secret of secrets) {
    for (let start = 0; start + MIN_SECRET_PIECE <= secret.length; start++) {
      const piece = secret.slice(start, start + MIN_SECRET_PIECE);
      if (text.includes(piece)) found.add(piece);
    }
  }
  return [...found];
}

export function expectNoSecretPieces(text: string, secrets: readonly string[]): void {
  expect(secretPiecesIn(text, secrets)).toEqual([]);
}
