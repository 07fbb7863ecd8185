/**
 * Secret removal for any text that leaves the poller (errors, logs, summaries): the one marker and
 * the one implementation, used by the Capillary client (`SecretRedactor`) and the CLI's logger.
 * A secret is registered once and every form it can take on the wire is removed (`secretForms`).
 */
import { createHash } from 'node:crypto';
import type { Logger } from './ports.js';

/**
 * What every removed secret becomes, everywhere.
 */
const REDACTION_MARKER = '[REDACTED]';

/** Shorter secrets are not redacted: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 4;

/**
 * The shortest piece of a secret that is removed where a text was cut: a cut can leave the start
 * of a secret at the very end, and 6 characters is where a piece starts to help a guess.
 */
export const MIN_SECRET_PIECE = 6;

/** What a secret is known by before its wire forms: a till's password or an OAuth client's secret. */
export type SecretCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth'; clientSecret: string };

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The inside of a JSON string holding `value`, as `JSON.stringify` writes it. */
function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * The base64 characters that depend only on `value`'s bytes, for each of the three alignments it
 * can have inside a longer base64 text (`username:password` in a Basic header starts wherever the
 * username ends), in the standard and URL-safe alphabets.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const cores: string[] = [];
  for (const [offset, skip] of [
    [0, 0],
    [1, 2],
    [2, 3],
  ] as const) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const core = padded.toString('base64').slice(skip, Math.floor((padded.length * 8) / 6));
    cores.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return cores;
}

/** The ways `value` can be written into a body, a URL, a header or a log line. */
function wireEncodings(value: string): string[] {
  const url = encodeURIComponent(value);
  const json = jsonEscaped(value);
  return [
    value,
    url,
    url.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase()),
    new URLSearchParams({ s: value }).toString().slice('s='.length),
    json,
    json.replaceAll('/', '\\/'),
    json.replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ),
    jsonEscaped(json),
    ...base64Cores(value),
  ];
}

/**
 * Every form of `secret` that is removed: raw, URL-encoded, JSON-escaped (once and twice), base64
 * at each alignment, and the same for its MD5 hex digest in lower and upper case (Capillary's Basic
 * authentication sends the password's MD5). Forms shorter than 4 characters are left out.
 */
function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const digest = md5Hex(secret);
  const forms = new Set<string>();
  for (const value of [secret, digest, digest.toUpperCase()]) {
    for (const form of wireEncodings(value)) {
      if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
    }
  }
  return [...forms];
}

/**
 * The secrets of a set of credentials, before their forms: the password, `username:password` and
 * `username:md5hex(password)` (what the Basic header encodes), or the OAuth client secret.
 */
function credentialSecrets(credentials: SecretCredentials): string[] {
  if (credentials.kind === 'oauth') return [credentials.clientSecret];
  const { username, password } = credentials;
  return [password, `${username}:${password}`, `${username}:${md5Hex(password)}`];
}

/**
 * `text` with every secret replaced by the marker, longest secret first (a secret containing another goes whole).
 */
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
function redactThenCut(text: string, secrets: Iterable<string>, maxChars: number): string {
  const list = [...secrets].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const redacted = redactSecrets(text, list);
  if (redacted.length <= maxChars) return redacted;
  return `${withoutTrailingSecretPiece(redacted.slice(0, maxChars), list)}…`;
}

/**
 * Replaces the longest trailing piece (≥ 6 characters) that starts one of `secrets` with the marker.
 */
function withoutTrailingSecretPiece(text: string, secrets: Iterable<string>): string {
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
 * The one registry of secrets of a process: remembers every secret it handles (passwords, client
 * secrets, tokens) with all their wire forms (`secretForms`) and removes them from any text that
 * leaves it: error messages, log lines, CLI output. Text that is shortened is redacted whole first,
 * then cut, then cleared of any secret's start left at the cut.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private readonly rotating: { secret: string; forms: string[] }[] = [];

  constructor(private readonly maxRotating = 16) {}

  /** A secret that lives as long as the process (password, client secret), with all its forms. */
  add(...secrets: readonly (string | undefined)[]): void {
    for (const secret of secrets) {
      if (secret) for (const form of secretForms(secret)) this.secrets.add(form);
    }
  }

  /** Every secret of `credentials` (see `credentialSecrets`), with all their forms. */
  addCredentials(credentials: SecretCredentials): void {
    this.add(...credentialSecrets(credentials));
  }

  /** A short-lived secret (OAuth token): only the most recent few are remembered. */
  addRotating(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.rotating.some((known) => known.secret === secret))
      return;
    this.rotating.push({ secret, forms: secretForms(secret) });
    if (this.rotating.length > this.maxRotating) this.rotating.shift();
  }

  redact(text: string): string {
    return redactSecrets(text, this.all());
  }

  /** Redacted, then at most `maxChars` characters (plus `…`), with no piece of a secret at the cut. */
  redactAndCut(text: string, maxChars: number): string {
    return redactThenCut(text, this.all(), maxChars);
  }

  /**
   * `logger` with the message and every string attribute redacted, in nested lists and objects too
   * (a summary's failures), undefined attributes dropped.
   */
  logger(logger: Logger): Logger {
    const at =
      (level: keyof Logger) =>
      (message: string, attributes: Record<string, unknown> = {}): void => {
        const clean: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(attributes)) {
          if (value !== undefined) clean[name] = this.redactValue(value, 0);
        }
        logger[level](this.redact(message), clean);
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  /** `value` with its strings redacted, through plain objects and arrays up to 8 levels down. */
  private redactValue(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (depth >= 8 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item, depth + 1));
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name, this.redactValue(item, depth + 1)]),
    );
  }

  private all(): string[] {
    return [...this.secrets, ...this.rotating.flatMap((known) => known.forms)];
  }
}
