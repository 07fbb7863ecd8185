/**
 * Secret removal for any text that leaves the poller (errors, logs, summaries): the one marker and
 * the one implementation, used by the Capillary client (`SecretRedactor`) and the CLI's logger.
 */
import type { Logger } from './ports.js';

/**
 * What every removed secret becomes, everywhere.
 * @internal its test asserts redacted text reads as it.
 */
export const REDACTION_MARKER = '[REDACTED]';

/** Shorter secrets are not redacted: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 4;

/**
 * The shortest piece of a secret that is removed where a text was cut: a cut can leave the start
 * of a secret at the very end, and 6 characters is where a piece starts to help a guess.
 * @internal test/docs/stated-numbers.test.ts checks the docs' number against it.
 */
export const MIN_SECRET_PIECE = 6;

/** `text` with every secret replaced by the marker, longest secret first (a secret containing another goes whole). */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const ordered = [...secrets]
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of ordered) result = result.split(secret).join(REDACTION_MARKER);
  return result;
}

/**
 * Redacts the whole text first, then cuts it to `maxChars` (plus `…`), and finally removes any
 * piece of a secret (its first 6 characters or more) that the cut left at the end: a secret that
 * straddles the cut is neither matched whole nor shown in part.
 * @internal its test checks the cut never leaves a secret piece.
 */
export function redactThenCut(text: string, secrets: Iterable<string>, maxChars: number): string {
  const list = [...secrets].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const redacted = redactSecrets(text, list);
  if (redacted.length <= maxChars) return redacted;
  return `${withoutTrailingSecretPiece(redacted.slice(0, maxChars), list)}…`;
}

/**
 * Replaces the longest trailing piece (≥ 6 characters) that starts one of `secrets` with the marker.
 * @internal its test checks the cut never leaves a secret piece.
 */
export function withoutTrailingSecretPiece(text: string, secrets: Iterable<string>): string {
  let longest = 0;
  for (const secret of secrets) {
    const most = Math.min(secret.length, text.length);
    for (let length = most; length >= MIN_SECRET_PIECE && length > longest; length--) {
      if (text.endsWith(secret.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest === 0 ? text : `${text.slice(0, text.length - longest)}${REDACTION_MARKER}`;
}

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

  /** `logger` with the message and every string attribute redacted (undefined attributes dropped). */
  logger(logger: Logger): Logger {
    const at =
      (level: keyof Logger) =>
      (message: string, attributes: Record<string, unknown> = {}): void => {
        const clean: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(attributes)) {
          if (value !== undefined) {
            clean[name] = typeof value === 'string' ? this.redact(value) : value;
          }
        }
        logger[level](this.redact(message), clean);
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  private all(): string[] {
    return [...this.secrets, ...this.rotating];
  }
}
