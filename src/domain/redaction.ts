/**
 * Secret removal for any text that leaves the poller (errors, logs, summaries). Pure: the
 * Capillary client's `SecretRedactor` and the CLI's logger both build on it, so there is one marker.
 */

/** What every removed secret becomes, everywhere. */
export const REDACTION_MARKER = '[REDACTED]';

/** Shorter secrets are not redacted: they would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/**
 * The shortest piece of a secret that is removed where a text was cut: a cut can leave the start
 * of a secret at the very end, and 6 characters is where a piece starts to help a guess.
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
 */
export function redactThenCut(text: string, secrets: Iterable<string>, maxChars: number): string {
  const list = [...secrets].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const redacted = redactSecrets(text, list);
  if (redacted.length <= maxChars) return redacted;
  return `${withoutTrailingSecretPiece(redacted.slice(0, maxChars), list)}…`;
}

/** Replaces the longest trailing piece (≥ 6 characters) that starts one of `secrets` with the marker. */
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
