/**
 * A local stand-in for Amazon EventBridge's PutEvents that speaks the wire protocol the AWS SDK
 * uses (AWS JSON 1.1: `POST /`, `Content-Type: application/x-amz-json-1.1`,
 * `X-Amz-Target: AWSEvents.PutEvents`), so the real `EventBridgeClient` talks to it:
 *
 *   const double = await EventBridgeDouble.start();
 *   const client = createEventBridgeClient({ region: 'us-east-1', endpoint: double.url,
 *     credentials: DUMMY_CREDENTIALS });
 *
 * It enforces the real request limits (10 entries, 256 KiB by the documented entry size) with the
 * real error shapes, validates each entry like the service (Source, DetailType, Detail as a JSON
 * object), records every request and accepted entry, and takes injected faults.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createEventBridgeClient } from '../../src/runtime/aws-clients.js';
import { AwsJsonDouble, clientOn, type EntryFaultMatch, startWire } from './aws-json-double.js';
import { header, readBody } from './loopback-server.js';

export const DUMMY_CREDENTIALS = {
  accessKeyId: 'AKIDLOCALDOUBLE',
  secretAccessKey: 'local-secret',
};

/** The bus and source the publisher tests put events on (the double takes any). */
export const TEST_BUS = 'capillary-events';
export const TEST_SOURCE = 'capillary.events';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 262_144;
const TIME_BYTES = 14;

/** One entry as it travels on the wire (`Time` is epoch seconds, as the SDK sends it). */
export interface WirePutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number | string;
  EventBusName?: string;
  Resources?: string[];
  TraceHeader?: string;
}

export interface RecordedPutEventsRequest {
  target: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  entries: WirePutEventsEntry[];
  /** HTTP status answered. */
  status: number;
  /** Error type for a refused request. */
  errorType?: string;
}

export interface AcceptedEntry extends WirePutEventsEntry {
  EventId: string;
  /** Index in `requests` of the request that carried it. */
  requestIndex: number;
}

export interface EntryFault extends EntryFaultMatch<WirePutEventsEntry> {
  errorCode: string;
  errorMessage?: string;
}

interface RequestRefusal {
  status: number;
  type: string;
  message: string;
}

/** The service it stands in for: its protocol and its answer to a request it failed. */
const EVENTBRIDGE = {
  protocol: '1.1' as const,
  internalError: { status: 500, type: 'InternalException', message: 'An internal error occurred.' },
};

/** The entry size as AWS documents it, computed independently of the adapter under test. */
export function wireEntrySize(entry: WirePutEventsEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text));
  let size = entry.Time === undefined ? 0 : TIME_BYTES;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

/** The parsed `Detail` of a wire entry. */
export function detailOf(entry: WirePutEventsEntry): Record<string, unknown> {
  return JSON.parse(entry.Detail ?? 'null') as Record<string, unknown>;
}

/** The poller's key of the event a wire entry carries (`detail.poller.eventKey`). */
export function eventKeyOf(entry: WirePutEventsEntry): string {
  return (detailOf(entry).poller as { eventKey: string }).eventKey;
}

/** The poller's EventBridge client on a started double. */
export const eventBridgeClientOn = (double: { url: string }) =>
  clientOn(double, createEventBridgeClient, DUMMY_CREDENTIALS);

/** A started double and the poller's EventBridge client on it; `closeWire` ends both. */
export const startEventBridgeWire = () =>
  startWire(EventBridgeDouble.start(), createEventBridgeClient, DUMMY_CREDENTIALS);

export class EventBridgeDouble extends AwsJsonDouble<
  WirePutEventsEntry,
  EntryFault,
  RequestRefusal
> {
  readonly requests: RecordedPutEventsRequest[] = [];
  readonly accepted: AcceptedEntry[] = [];
  #answeredListeners = new Set<(request: RecordedPutEventsRequest) => void>();

  private constructor() {
    super(EVENTBRIDGE);
  }

  static async start(): Promise<EventBridgeDouble> {
    return new EventBridgeDouble().listen();
  }

  /** Fails matching entries with an entry-level error code for the next `requests` requests. */
  failEntries(fault: EntryFault): void {
    this.queueEntryFault(fault);
  }

  /** Answers the next `requests` requests with a whole-request ThrottlingException (HTTP 400). */
  throttleRequests(requests = 1): void {
    this.failRequests(requests, {
      status: 400,
      type: 'ThrottlingException',
      message: 'Rate exceeded',
    });
  }

  /**
   * Calls `listener` once each PutEvents answer has been handed to the network, before the caller
   * can act on it (a crash test kills the poller there: events out, cursor not yet written).
   * Returns a function that removes it.
   */
  onAnswered(listener: (request: RecordedPutEventsRequest) => void): () => void {
    this.#answeredListeners.add(listener);
    return () => this.#answeredListeners.delete(listener);
  }

  /** Forgets recorded requests, entries and pending faults. */
  reset(): void {
    this.requests.length = 0;
    this.accepted.length = 0;
    this.clearFaults();
  }

  protected async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const target = header(request, 'x-amz-target');
    const contentType = header(request, 'content-type');
    const record: RecordedPutEventsRequest = {
      target,
      contentType,
      authorization: header(request, 'authorization'),
      entries: [],
      status: 0,
    };
    this.requests.push(record);
    const requestIndex = this.requests.length - 1;
    response.once('finish', () => {
      for (const listener of this.#answeredListeners) listener(record);
    });
    const fail = (status: number, type: string, message: string) => {
      record.status = status;
      record.errorType = type;
      this.send(response, status, { __type: type, message }, { 'x-amzn-ErrorType': type });
    };

    if (request.method !== 'POST' || contentType !== 'application/x-amz-json-1.1') {
      return fail(400, 'SerializationException', 'expected POST with application/x-amz-json-1.1');
    }
    if (target !== 'AWSEvents.PutEvents') {
      return fail(400, 'UnknownOperationException', `unsupported target ${String(target)}`);
    }
    let body: { Entries?: unknown };
    try {
      body = JSON.parse(raw) as { Entries?: unknown };
    } catch {
      return fail(
        400,
        'SerializationException',
        'Start of structure or map found where not expected.',
      );
    }
    const entries = Array.isArray(body.Entries) ? (body.Entries as WirePutEventsEntry[]) : [];
    record.entries = entries;

    const refusal = this.nextRefusal();
    if (refusal) return fail(refusal.status, refusal.type, refusal.message);
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound =
        entries.length < 1
          ? 'greater than or equal to 1'
          : `less than or equal to ${String(MAX_ENTRIES)}`;
      return fail(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const total = entries.reduce((sum, entry) => sum + wireEntrySize(entry), 0);
    if (total > MAX_REQUEST_BYTES) {
      return fail(
        400,
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }

    const faults = this.entryFaults(entries);
    const results = entries.map((entry, index) => {
      const fault = faults[index];
      if (fault) {
        return {
          ErrorCode: fault.errorCode,
          ErrorMessage: fault.errorMessage ?? `injected ${fault.errorCode}`,
        };
      }
      const invalid = validateEntry(entry);
      if (invalid) return invalid;
      const EventId = randomUUID();
      this.accepted.push({ ...entry, EventId, requestIndex });
      return { EventId };
    });

    record.status = 200;
    this.send(response, 200, {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    });
  }
}

function validateEntry(
  entry: WirePutEventsEntry,
): { ErrorCode: string; ErrorMessage: string } | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid.` };
    }
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail ?? '');
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) throw new Error();
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}
