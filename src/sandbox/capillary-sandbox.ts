import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_SUCCESS } from '../domain/feed/event-log-record.js';
import sample from './sample-response.json' with { type: 'json' };

/** The customer of the sample response: the only one with events in the sandbox. */
export const SANDBOX_CUSTOMER_ID = '564590100';

/** How often the sandbox adds a new event, by default. */
export const DEFAULT_NEW_EVENT_EVERY_MS = 10_000;

/**
 * The identifier (a fake mobile number) the sandbox customer's events are posted with: its log
 * records name it as `customer`, as Capillary's do.
 */
const SANDBOX_CUSTOMER_IDENTIFIER = '919000000001';
/** Another customer of the org, never watched: its log records stay unmatched. */
const OTHER_IDENTIFIER = '919000000002';
/** The other customer's id, for the customer lookup. */
const OTHER_CUSTOMER_ID = '564590199';

const ORG_ID = 100737;
const TILL_CODE = 'rutuja_capillary';
const TILL_ID = 75155373;
const USER_ID = Number(SANDBOX_CUSTOMER_ID);

/**
 * Names of the events the sandbox adds, in turn.
 */
const SANDBOX_EVENT_NAMES = [
  'TestingEvent_FE',
  'Event_Rutuja',
  'CartAbandoned',
  'ProductViewed',
  'TestingEvent_FE_Rutuja',
  'WishlistAdded',
] as const;

export interface CapillarySandboxOptions {
  /** Default 127.0.0.1 (never exposed beyond this machine by default). */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** A new event for the sandbox customer every so often; 0 turns it off. Default 10 000 ms. */
  newEventEveryMs?: number;
  /** Most recent events kept (the API answers a bounded window). Default 50. */
  maxEvents?: number;
}

export interface CapillarySandbox {
  /** Base URL to give the client (`http://127.0.0.1:<port>`). */
  url: URL;
  /** Customers that have events. */
  customerIds: string[];
  /** Adds one new event now (also done by the timer), and its record in the event log; returns it. */
  addEvent(): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * A local stand-in for Capillary's `GET /v2/events/event_data/?userId=` (also
 * `/v2/customers/{id}/events`) in the real envelope, plus the OAuth token endpoint. Authentication
 * is not checked. Customer 564590100 starts with the sample events and gets a new one regularly.
 */
export async function startCapillarySandbox(
  options: CapillarySandboxOptions = {},
): Promise<CapillarySandbox> {
  const maxEvents = options.maxEvents ?? 50;
  const events: Record<string, unknown>[] = structuredClone(sample.data).slice(0, maxEvents);
  // The org-wide log, newest first: a record per event (its id the event's requestId), plus the
  // org's other traffic: another customer's events and refused posts.
  const log: Record<string, unknown>[] = events.map((event) => logRecordOf(event));
  let added = 0;

  const addEvent = (): Record<string, unknown> => {
    const name = SANDBOX_EVENT_NAMES[added % SANDBOX_EVENT_NAMES.length] ?? 'TestingEvent_FE';
    added += 1;
    const now = new Date();
    const event = newEvent(name, added, now);
    events.unshift(event);
    events.length = Math.min(events.length, maxEvents);
    if (added % 2 === 0) log.unshift(otherRecord(name, now, EVENT_SUCCESS));
    if (added % 5 === 0) log.unshift(otherRecord(name, now, 'NO_CUSTOMER_DETAILS_PASSED'));
    log.unshift(logRecordOf(event));
    log.length = Math.min(log.length, MAX_LOG_RECORDS);
    return event;
  };

  const server = createServer((req, res) => {
    handle(req, res, events, log).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const every = options.newEventEveryMs ?? DEFAULT_NEW_EVENT_EVERY_MS;
  const timer = every > 0 ? setInterval(addEvent, every) : undefined;
  timer?.unref();

  return {
    url: new URL(`http://${host}:${address.port}`),
    customerIds: [SANDBOX_CUSTOMER_ID],
    addEvent,
    close: async () => {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  events: readonly Record<string, unknown>[],
  log: readonly Record<string, unknown>[],
): Promise<void> {
  for await (const _ of req) {
    // Drain the body.
  }
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  if (req.method === 'POST' && url.pathname === '/v3/oauth/token/generate') {
    return send(res, 200, {
      data: { accessToken: `sandbox-${randomUUID()}`, ttlSeconds: 3600 },
      errors: null,
    });
  }
  if (req.method === 'GET' && url.pathname === '/v2/events/logs') {
    return send(res, 200, { data: logSlice(log, url.searchParams), warnings: [], errors: [] });
  }
  if (req.method === 'GET' && url.pathname === '/v2/customers/lookup/customerDetails') {
    return answerLookup(res, url.searchParams);
  }
  const byPath = /^\/v2\/customers\/([^/]+)\/events\/?$/.exec(url.pathname)?.[1];
  const customerId =
    /^\/v2\/events\/event_data\/?$/.test(url.pathname) && req.method === 'GET'
      ? url.searchParams.get('userId')
      : byPath !== undefined && req.method === 'GET'
        ? decodeURIComponent(byPath)
        : undefined;
  if (customerId === undefined) {
    return send(res, 404, {
      data: [],
      warnings: [],
      errors: [{ code: 404, message: `no such endpoint: ${req.method} ${url.pathname}` }],
    });
  }
  if (customerId === null || customerId === '') {
    return send(res, 400, {
      data: [],
      warnings: [],
      errors: [{ code: 400, message: 'userId is required' }],
    });
  }
  const data = customerId === SANDBOX_CUSTOMER_ID ? events : [];
  return send(res, 200, { data, warnings: [], errors: [] });
}

/** An event shaped like the sample's: same org, till and attribute spellings (`additonalAttributes`). */
function newEvent(eventName: string, sequence: number, now: Date): Record<string, unknown> {
  const id = randomUUID();
  const seconds = Math.floor(now.getTime() / 1000) * 1000;
  const displayName = sequence % 3 === 0 ? null : eventName;
  const attributes: Record<string, unknown> = {
    accountId: null,
    autoUpdateTimeStamp: now.getTime(),
    customerId: SANDBOX_CUSTOMER_ID,
    displayName,
    eventDateTime: String(seconds),
    eventName,
    isDuplicate: false,
    is_mongo_push: true,
    orgId: ORG_ID,
    requestId: id,
    source: 'INSTORE',
    source_till_id: TILL_ID,
    source_user_id: USER_ID,
    uniqueId: id,
    'x-cap-lineage-id': id,
    'x-cap-lineage-start': String(now.getTime() - 1200),
  };
  const psiAttributes: string[] = [];
  if (eventName === 'CartAbandoned') {
    attributes.cartId = `cart-${sequence}`;
    attributes.cartValue = String(499 + sequence);
    // Flagged as PSI, so `npm start` shows it masked (PSI_MODE=pass shows the fake number).
    attributes.mobile = `+91 90000 ${String(sequence).padStart(5, '0')}`;
    psiAttributes.push('mobile');
  }
  if (eventName === 'ProductViewed') {
    attributes.productname = 'Running shoes';
    attributes.pageurl = 'https://shop.example.com/p/running-shoes';
  }
  return {
    orgId: ORG_ID,
    userId: USER_ID,
    date: new Date(seconds).toISOString().replace('.000Z', 'Z'),
    eventName,
    eventId: id,
    source: 'INSTORE',
    tillCode: TILL_CODE,
    ...(displayName === null ? {} : { displayName }),
    additonalAttributes: attributes,
    psiAttributes,
    uniqueId: id,
  };
}

/** Records the log keeps (newest first); older ones are gone, as a real log's retention. */
const MAX_LOG_RECORDS = 1_000;

/** The log's answer: `from_date`/`to_date` (epoch ms or ISO, inclusive), `event_name`, at most `limit` (default 10). */
function logSlice(
  log: readonly Record<string, unknown>[],
  query: URLSearchParams,
): Record<string, unknown>[] {
  const time = (name: string, fallback: number) => {
    const value = query.get(name);
    if (value === null) return fallback;
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(ms) ? ms : fallback;
  };
  const from = time('from_date', Number.NEGATIVE_INFINITY);
  const to = time('to_date', Number.POSITIVE_INFINITY);
  const limit = Math.max(1, Number(query.get('limit') ?? 10) || 10);
  const name = query.get('event_name');
  return log
    .filter((record) => {
      const start = record.startTime as number;
      return start >= from && start <= to && (name === null || record.eventName === name);
    })
    .slice(0, limit);
}

/**
 * The customer lookup (`CHANGE_FEED_LOOKUP=on`): both customers of the log by their identifier,
 * as a v2 customer object; anyone else as Capillary's 8015, "Customer not found".
 */
function answerLookup(res: ServerResponse, query: URLSearchParams): void {
  const value = query.get('identifierValue');
  const id =
    value === SANDBOX_CUSTOMER_IDENTIFIER
      ? SANDBOX_CUSTOMER_ID
      : value === OTHER_IDENTIFIER
        ? OTHER_CUSTOMER_ID
        : undefined;
  if (id === undefined) {
    send(res, 200, {
      warnings: [],
      errors: [{ status: false, code: 8015, message: 'Customer not found for given identifiers' }],
    });
    return;
  }
  send(res, 200, {
    id: Number(id),
    profiles: [{ firstName: 'Sandbox', identifiers: [{ type: 'mobile', value }] }],
    warnings: [],
    errors: [],
  });
}

/** The log record of an event the sandbox customer posted: its id is the event's requestId. */
function logRecordOf(event: Record<string, unknown>): Record<string, unknown> {
  const attributes = (event.additonalAttributes ?? {}) as Record<string, unknown>;
  const started = Number(attributes['x-cap-lineage-start'] ?? Date.parse(String(event.date)));
  const eventName = String(event.eventName);
  return {
    startTime: started,
    responseTime: 180,
    orgId: ORG_ID,
    status: EVENT_SUCCESS,
    eventName,
    inputRequest: JSON.stringify({ event_name: eventName, customer: SANDBOX_CUSTOMER_IDENTIFIER }),
    id: String(attributes.requestId ?? event.eventId),
    parentOrgId: -1,
    message: 'Event processed successfully',
  };
}

/** A record of the org's other traffic: a customer nobody watches, or a refused post. */
function otherRecord(eventName: string, now: Date, status: string): Record<string, unknown> {
  return {
    startTime: now.getTime() - 1_100,
    responseTime: 120,
    orgId: ORG_ID,
    status,
    eventName,
    inputRequest: JSON.stringify({ event_name: eventName, customer: OTHER_IDENTIFIER }),
    id: randomUUID(),
    parentOrgId: -1,
    message:
      status === EVENT_SUCCESS ? 'Event processed successfully' : 'Customer details not passed',
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
