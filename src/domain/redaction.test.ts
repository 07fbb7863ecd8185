import { describe, expect, it } from 'vitest';
import { MIN_SECRET_PIECE, redactSecrets, SecretRedactor } from './redaction.js';

/** What a redacted secret reads as in logs and messages. */
const REDACTION_MARKER = '[REDACTED]';

const SECRET = 'Tr0ub4dor&3-horse'; // 17 characters

/** Every substring of `secret` of `MIN_SECRET_PIECE` characters: none may appear in `text`. */
function leakedPieces(text: string, secret: string): string[] {
  const pieces: string[] = [];
  for (let start = 0; start + MIN_SECRET_PIECE <= secret.length; start++) {
    const piece = secret.slice(start, start + MIN_SECRET_PIECE);
    if (text.includes(piece)) pieces.push(piece);
  }
  return pieces;
}

/** A redactor that knows `secrets`, as the client's is told of them. */
function redactorOf(...secrets: string[]): SecretRedactor {
  const redactor = new SecretRedactor();
  redactor.add(...secrets);
  return redactor;
}

describe('SecretRedactor.redactAndCut', () => {
  it('never shows 6 characters of a secret, wherever the cut falls across it', () => {
    const redactor = redactorOf(SECRET);
    for (let before = 0; before <= 60; before++) {
      const text = `${'a'.repeat(before)}${SECRET} and more text after it`;
      for (const maxChars of [20, 40, 50]) {
        const shown = redactor.redactAndCut(text, maxChars);
        expect(leakedPieces(shown, SECRET), `${before} chars before, cut at ${maxChars}`).toEqual(
          [],
        );
        expect(shown.length).toBeLessThanOrEqual(maxChars + 1);
      }
    }
  });

  it('redacts the whole text before cutting, so the marker is what gets cut, not the secret', () => {
    const text = `${'a'.repeat(195)}${SECRET}`;
    expect(redactorOf(SECRET).redactAndCut(text, 200)).toBe(`${'a'.repeat(195)}[REDA…`);
  });

  it('leaves short texts and texts without secrets as they are', () => {
    expect(redactorOf(SECRET).redactAndCut('short', 200)).toBe('short');
    expect(redactorOf(SECRET).redactAndCut('abcdefghij', 5)).toBe('abcde…');
  });

  it('replaces the longest start of any secret (6 characters or more) the cut leaves at the end', () => {
    // Not the whole secret, so not redacted before the cut: only its start shows at the cut.
    expect(redactorOf(SECRET).redactAndCut('error: Tr0ub4 and more', 13)).toBe(
      `error: ${REDACTION_MARKER}…`,
    );
    expect(redactorOf(SECRET).redactAndCut('error: Tr0ub and more', 12)).toBe('error: Tr0ub…');
    // Both secrets start at the end; the longer start goes.
    expect(redactorOf('123456789', '345678QQ').redactAndCut('abc123456780', 11)).toBe(
      `abc${REDACTION_MARKER}…`,
    );
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence with the one marker', () => {
    expect(redactSecrets(`${SECRET}/${SECRET}`, [SECRET, 'abc'])).toBe(
      `${REDACTION_MARKER}/${REDACTION_MARKER}`,
    );
  });
});

describe('SecretRedactor', () => {
  it('removes every known secret, longest first', () => {
    const redactor = new SecretRedactor();
    redactor.add('hunter2-pass', 'pass', undefined);
    redactor.addRotating('tok-abc');
    expect(redactor.redact('bad secret hunter2-pass, token tok-abc, pass')).toBe(
      'bad secret [REDACTED], token [REDACTED], [REDACTED]',
    );
  });

  it('ignores very short strings and forgets old rotating secrets', () => {
    const redactor = new SecretRedactor(2);
    redactor.add('abc');
    for (const token of ['tok-1', 'tok-2', 'tok-3']) redactor.addRotating(token);
    expect(redactor.redact('abc tok-1 tok-2 tok-3')).toBe('abc tok-1 [REDACTED] [REDACTED]');
  });

  it('cuts after redacting, and removes the start of a rotating token left at the cut', () => {
    const redactor = new SecretRedactor();
    redactor.addRotating('eyJhbGciOiJIUzI1NiJ9.token');
    const text = `${'x'.repeat(20)}eyJhbGciOiJIUzI1NiJ9.token`;
    for (let cut = 20; cut <= text.length; cut++) {
      const shown = redactor.redactAndCut(text, cut);
      expect(shown).not.toContain('eyJhbG');
    }
  });
});

describe('SecretRedactor.logger', () => {
  it('redacts the message and string attributes, and drops undefined ones', () => {
    const redactor = new SecretRedactor();
    redactor.add('hunter2-pass');
    const lines: unknown[][] = [];
    const logger = redactor.logger({
      debug: (...line) => lines.push(['debug', ...line]),
      info: (...line) => lines.push(['info', ...line]),
      warn: (...line) => lines.push(['warn', ...line]),
      error: (...line) => lines.push(['error', ...line]),
    });
    logger.warn('sent hunter2-pass', {
      problem: 'echo hunter2-pass',
      attempt: 2,
      status: undefined,
      summary: { failures: [{ reason: 'echo hunter2-pass' }] },
    });
    logger.debug('plain');
    expect(lines).toEqual([
      [
        'warn',
        'sent [REDACTED]',
        {
          problem: 'echo [REDACTED]',
          attempt: 2,
          summary: { failures: [{ reason: 'echo [REDACTED]' }] },
        },
      ],
      ['debug', 'plain', {}],
    ]);
  });
});
