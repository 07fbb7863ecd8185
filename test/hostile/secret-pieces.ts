import { createHash } from 'node:crypto';
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

/** One form a secret can take on the wire: what a server echoes, and what must never be shown. */
export interface WireForm {
  name: string;
  /** The text echoed back (for base64, a longer text the secret is embedded in). */
  echo: string;
  /** The characters of `echo` that only the secret determines. */
  secretPart: string;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * The forms of `secret` a server can echo, computed here from their definitions: raw, URL-encoded,
 * JSON-escaped, embedded in base64 at each of the three byte alignments (as `username:password`
 * sits in a Basic header), and its MD5 in lower and upper case.
 */
export function wireForms(label: string, secret: string): WireForm[] {
  const plain = (name: string, text: string) => ({
    name: `${label} ${name}`,
    echo: text,
    secretPart: text,
  });
  const forms = [
    plain('raw', secret),
    plain('URL-encoded', encodeURIComponent(secret)),
    plain('JSON-escaped', JSON.stringify(secret).slice(1, -1)),
    plain('MD5', md5(secret)),
    plain('MD5 upper case', md5(secret).toUpperCase()),
  ];
  const bytes = Buffer.byteLength(secret, 'utf8');
  for (const before of [0, 1, 2]) {
    const echo = Buffer.from(`${'#'.repeat(before)}${secret}#tail`, 'utf8').toString('base64');
    // A base64 character holds 6 bits: the first one wholly after the `before` bytes, up to the
    // last one wholly within the secret's bytes.
    const first = Math.ceil((before * 8) / 6);
    const last = Math.floor(((before + bytes) * 8) / 6);
    forms.push({
      name: `${label} base64 after ${before} bytes`,
      echo,
      secretPart: echo.slice(first, last),
    });
  }
  return forms;
}

/** The forms whose secret part `text` shows, by name. */
export function shownForms(text: string, forms: readonly WireForm[]): string[] {
  return forms.filter((form) => text.includes(form.secretPart)).map((form) => form.name);
}
