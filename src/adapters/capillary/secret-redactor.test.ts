import { describe, expect, it } from 'vitest';
import { SecretRedactor } from './secret-redactor.js';

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
