import {
  MIN_SECRET_LENGTH,
  REDACTION_MARKER,
  redactSecrets,
  redactThenCut,
} from '../../domain/redaction.js';

export { REDACTION_MARKER };

/**
 * Remembers every secret a client handles (passwords, their digests, header values, tokens) and
 * removes them from any text that leaves the client: error messages and log lines. Text that is
 * shortened is redacted whole first, then cut, then cleared of any secret's start left at the cut.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private readonly rotating: string[] = [];

  constructor(private readonly maxRotating = 16) {}

  /** A secret that lives as long as the client (password, its digest, client secret). */
  add(...secrets: readonly (string | undefined)[]): void {
    for (const secret of secrets) {
      if (secret && secret.length >= MIN_SECRET_LENGTH) this.secrets.add(secret);
    }
  }

  /** A short-lived secret (OAuth token): only the most recent few are remembered. */
  addRotating(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.rotating.includes(secret)) return;
    this.rotating.push(secret);
    if (this.rotating.length > this.maxRotating) this.rotating.shift();
  }

  redact(text: string): string {
    return redactSecrets(text, this.all());
  }

  /** Redacted, then at most `maxChars` characters (plus `…`), with no piece of a secret at the cut. */
  redactAndCut(text: string, maxChars: number): string {
    return redactThenCut(text, this.all(), maxChars);
  }

  private all(): string[] {
    return [...this.secrets, ...this.rotating];
  }
}
