import { createHash } from 'node:crypto';
import type { CapillaryEvent } from '../capillary-event.js';
import { PollerError } from '../errors.js';

/**
 * The deepest nesting of objects and arrays an event may have (the event itself is level 1).
 * JSON.stringify, the AWS SDK and EventBridge recurse: a deeper event could overflow their stack
 * while the rest of its customer's events wait behind it.
 */
export const MAX_EVENT_DEPTH = 64;
/**
 * The largest canonical JSON of one event, in UTF-8 bytes (four times what EventBridge takes).
 */
export const MAX_EVENT_JSON_BYTES = 1_048_576;

export interface CanonicalLimits {
  maxDepth: number;
  maxBytes: number;
}

const EVENT_LIMITS: CanonicalLimits = {
  maxDepth: MAX_EVENT_DEPTH,
  maxBytes: MAX_EVENT_JSON_BYTES,
};

/** One event cannot be serialized within the limits: it is set aside, its customer is not. */
export class EventShapeError extends PollerError {
  constructor(
    readonly problem: 'too-deep' | 'too-large' | 'unserializable',
    detail: string,
  ) {
    super(
      detail,
      'the event is set aside (dead-letter queue, or reported every poll); the other events are published',
    );
  }
}

type Work = { value: unknown; depth: number } | string;

/** Array-index keys come first in a JS object, ascending: kept so keys hash as they always did. */
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
function isArrayIndex(key: string): boolean {
  return ARRAY_INDEX.test(key) && Number(key) < 4_294_967_295;
}
function compareKeys(a: string, b: string): number {
  const aIndex = isArrayIndex(a);
  const bIndex = isArrayIndex(b);
  if (aIndex && bIndex) return Number(a) - Number(b);
  if (aIndex !== bIndex) return aIndex ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes the canonical JSON of `value` (object keys sorted at every depth; otherwise exactly what
 * JSON.stringify writes) piece by piece to `emit`. Iterative, with an explicit stack, so no body
 * can exhaust the call stack; throws `EventShapeError` past `maxDepth`.
 */
function writeCanonicalJson(value: unknown, emit: (piece: string) => void, maxDepth: number): void {
  const work: Work[] = [{ value, depth: 0 }];
  while (work.length > 0) {
    const item = work.pop() as Work;
    if (typeof item === 'string') {
      emit(item);
      continue;
    }
    let inner = item.value;
    if (inner !== null && typeof inner === 'object' && 'toJSON' in inner) {
      const toJson = (inner as { toJSON?: unknown }).toJSON;
      if (typeof toJson === 'function') inner = toJson.call(inner);
    }
    switch (typeof inner) {
      case 'string':
        emit(JSON.stringify(inner));
        continue;
      case 'number':
      case 'boolean':
        emit(JSON.stringify(inner));
        continue;
      case 'bigint':
        throw new EventShapeError('unserializable', 'a BigInt value cannot be written as JSON');
      case 'undefined':
      case 'function':
      case 'symbol':
        // Only reachable at the root or in arrays (object members are filtered below).
        emit('null');
        continue;
    }
    if (inner === null) {
      emit('null');
      continue;
    }
    const depth = item.depth + 1;
    if (depth > maxDepth) {
      throw new EventShapeError(
        'too-deep',
        `nested more than ${maxDepth} levels deep (the limit of one event)`,
      );
    }
    if (Array.isArray(inner)) {
      work.push(']');
      for (let index = inner.length - 1; index >= 0; index--) {
        work.push({ value: inner[index], depth });
        if (index > 0) work.push(',');
      }
      emit('[');
      continue;
    }
    const entries = Object.entries(inner as Record<string, unknown>)
      .filter(([, member]) => {
        const kind = typeof member;
        return kind !== 'undefined' && kind !== 'function' && kind !== 'symbol';
      })
      .sort(([a], [b]) => compareKeys(a, b));
    work.push('}');
    for (let index = entries.length - 1; index >= 0; index--) {
      const [name, member] = entries[index] as [string, unknown];
      work.push({ value: member, depth });
      work.push(`${JSON.stringify(name)}:`);
      if (index > 0) work.push(',');
    }
    emit('{');
  }
}

/**
 * JSON with object keys sorted at every depth, so equal content always hashes the same; bounded
 * in depth and size (`EventShapeError` past either).
 */
export function canonicalJson(value: unknown, limits: CanonicalLimits = EVENT_LIMITS): string {
  const pieces: string[] = [];
  let bytes = 0;
  writeCanonicalJson(
    value,
    (piece) => {
      bytes += Buffer.byteLength(piece, 'utf8');
      if (bytes > limits.maxBytes) {
        throw new EventShapeError(
          'too-large',
          `larger than ${limits.maxBytes} bytes as JSON (the limit of one event)`,
        );
      }
      pieces.push(piece);
    },
    limits.maxDepth,
  );
  return pieces.join('');
}

/**
 * A stable identity for content that cannot be keyed within the limits (too deep, too large):
 * a SHA-256 of its canonical JSON, streamed, with no depth limit (the walk is iterative and the
 * body it came from is bounded).
 */
export function contentFingerprint(value: unknown): string {
  const hash = createHash('sha256');
  writeCanonicalJson(value, (piece) => hash.update(piece), Number.POSITIVE_INFINITY);
  return hash.digest('hex');
}

/**
 * An event's identity: `uniqueId`, else `eventId`, else a hash of its content. Throws
 * `EventShapeError` when an id-less event is too deep or too large to hash.
 */
export function eventKey(event: CapillaryEvent): string {
  if (event.uniqueId) return event.uniqueId;
  if (event.eventId) return event.eventId;
  return `sha256:${createHash('sha256').update(canonicalJson(event)).digest('hex')}`;
}
