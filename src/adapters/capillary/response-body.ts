import type { IncomingHttpHeaders } from 'node:http';

/**
 * The largest response body read, in bytes. A longer one is not read to its end: the connection
 * is dropped at this many bytes (an endless chunked body stops here too), and the poll fails.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** What reading a body gave: all of it, or why it stopped. */
export type BodyRead =
  | { kind: 'complete'; bytes: Buffer }
  /** More than `maxBytes` was announced or sent; reading stopped there. */
  | { kind: 'too-large'; receivedBytes: number; announcedBytes: number | undefined }
  /** Compressed though nobody asked for it: refused unread (no gzip bomb is ever inflated). */
  | { kind: 'encoded'; encoding: string };

/** A body stream as undici gives it. */
export interface BodyStream extends AsyncIterable<unknown> {
  destroy(error?: Error): unknown;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
}

/**
 * Drops a body unread, closing its connection (a huge or endless body is never drained). undici
 * reports the abort as an 'error' event: it is expected, so it is listened to and ignored.
 */
export function discardBody(body: BodyStream): void {
  body.on?.('error', () => {});
  body.destroy();
}

/**
 * Reads a response body up to `maxBytes`. Stops (and drops the connection) as soon as the body
 * is announced or found to be larger, or is compressed: the client never sends Accept-Encoding,
 * so a Content-Encoding other than `identity` is the server's mistake. A deadline is the caller's
 * abort signal: the iteration throws, and the caller knows the headers had arrived.
 */
export async function readCappedBody(
  body: BodyStream,
  headers: IncomingHttpHeaders,
  maxBytes: number,
  onProgress?: (receivedBytes: number) => void,
): Promise<BodyRead> {
  const encoding = headerText(headers['content-encoding']).trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    discardBody(body);
    return { kind: 'encoded', encoding: encoding.slice(0, 40) };
  }
  const announced = Number(headerText(headers['content-length']));
  const announcedBytes = headerText(headers['content-length']) === '' ? undefined : announced;
  if (announcedBytes !== undefined && announcedBytes > maxBytes) {
    discardBody(body);
    return { kind: 'too-large', receivedBytes: 0, announcedBytes };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    onProgress?.(size);
    if (size > maxBytes) {
      discardBody(body);
      return { kind: 'too-large', receivedBytes: size, announcedBytes };
    }
    chunks.push(buffer);
  }
  return { kind: 'complete', bytes: Buffer.concat(chunks) };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or `undefined` when it is not valid UTF-8 (a BOM is dropped). */
export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    const text = STRICT_UTF8.decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return undefined;
  }
}

export function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}
