/** Shorter strings are not redacted: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 4;
const MASK = '[REDACTED]';

/**
 * Remembers every secret a client handles (passwords, their digests, header values, tokens) and
 * removes them from any text that leaves the client: error messages and log lines.
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
    let result = text;
    // Longest first, so a secret containing another one is removed whole.
    const all = [...this.secrets, ...this.rotating].sort((a, b) => b.length - a.length);
    for (const secret of all) result = result.split(secret).join(MASK);
    return result;
  }
}
