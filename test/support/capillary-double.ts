import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeLoopbackServer, readBody, sendJson, startLoopbackServer } from './loopback-server.js';

/** What the next request gets instead of the normal answer. */
export type CapillaryFault =
  /** HTTP 429, optionally with `Retry-After` (seconds or an HTTP-date). */
  | { kind: 'throttle'; retryAfter?: string }
  /** HTTP 5xx (default 503), optionally with `Retry-After`; `errors` for the body's own. */
  | { kind: 'server-error'; status?: number; retryAfter?: string; errors?: unknown[] }
  /** Never answers (the connection stays open until the client gives up or the double closes). */
  | { kind: 'hang' }
  /** Answers normally, after `ms`. */
  | { kind: 'delay'; ms: number }
  /** A body that is not JSON (default an HTML error page), HTTP 200 by default. */
  | { kind: 'malformed'; body?: string; status?: number }
  /** The real envelope with `errors` filled, HTTP 200 by default. */
  | { kind: 'api-errors'; errors: unknown[]; status?: number }
  /** HTTP 401 as for an expired token. */
  | { kind: 'unauthorized'; message?: string }
  /** Anything else. */
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> };

export type DoubleAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth'; clientKey: string; clientSecret: string; ttlSeconds?: number };

export interface RecordedRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** `performance.now()` when the request arrived. */
  at: number;
  endpoint: 'events' | 'event-log' | 'customer-lookup' | 'token' | 'other';
  /** The customer named by `userId=` or `/customers/{id}/`, decoded. */
  customerId: string | undefined;
}

const TOKEN_PATH = '/v3/oauth/token/generate';
const EVENT_LOG_PATH = '/v2/events/logs';
const CUSTOMER_LOOKUP_PATH = '/v2/customers/lookup/customerDetails';
const GLOBAL = Symbol('any customer');

/**
 * A programmable Capillary for tests, on 127.0.0.1 with an ephemeral port. Serves the events
 * endpoint (any GET naming a customer by `userId=` or `/customers/{id}/`), and the OAuth token
 * endpoint; injects faults; records every request.
 */
export class CapillaryDouble {
  readonly requests: RecordedRequest[] = [];
  /** Every token issued, in order (`token-1`, `token-2`, ...). */
  readonly issuedTokens: string[] = [];
  private readonly events = new Map<string, { data: unknown[]; warnings: unknown[] }>();
  private readonly faults = new Map<string | typeof GLOBAL, CapillaryFault[]>();
  private readonly tokenFaults: CapillaryFault[] = [];
  private readonly invalidTokens = new Set<string>();
  private auth: DoubleAuth = { kind: 'none' };
  private tokenTtlSeconds = 300;
  private latencyMs = 0;
  private readonly eventsRequestListeners = new Set<(request: RecordedRequest) => void>();
  /** `undefined`: the org has no event log (404), as by default. */
  private eventLog: unknown[] | undefined;
  private readonly logFaults: CapillaryFault[] = [];
  /** Identifier value → customer id, for the customer lookup. */
  private readonly customers = new Map<string, string>();
  private readonly lookupFaults: CapillaryFault[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: URL,
  ) {}

  static async start(options: { auth?: DoubleAuth } = {}): Promise<CapillaryDouble> {
    let double: CapillaryDouble | undefined;
    const { server, origin } = await startLoopbackServer(() => double?.handle.bind(double));
    double = new CapillaryDouble(server, new URL(origin));
    if (options.auth) double.setAuth(options.auth);
    return double;
  }

  /** Which credentials the events endpoint demands (default none). */
  setAuth(auth: DoubleAuth): void {
    this.auth = auth;
    if (auth.kind === 'oauth' && auth.ttlSeconds !== undefined)
      this.tokenTtlSeconds = auth.ttlSeconds;
  }

  setTokenTtl(seconds: number): void {
    this.tokenTtlSeconds = seconds;
  }

  /** The customer's events (raw JSON, newest first) and optional warnings. */
  setEvents(customerId: string, events: unknown[], warnings: unknown[] = []): void {
    this.events.set(customerId, { data: events, warnings });
  }

  /** Queues `fault` for the next `times` event requests of `customerId` (`undefined`: any customer). */
  failNext(customerId: string | undefined, fault: CapillaryFault, times = 1): void {
    const key = customerId ?? GLOBAL;
    const queue = this.faults.get(key) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(fault);
    this.faults.set(key, queue);
  }

  /**
   * Calls `listener` with each events request as it arrives, before it is answered (a crash test
   * kills the poller there, while it holds the customer). Returns a function that removes it.
   */
  onEventsRequest(listener: (request: RecordedRequest) => void): () => void {
    this.eventsRequestListeners.add(listener);
    return () => this.eventsRequestListeners.delete(listener);
  }

  /** Answers every events request `ms` later, as a distant API would (0: at once). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Serves `GET /v2/events/logs` with these raw records (`startTime` epoch ms), as Capillary does:
   * filtered by `from_date`/`to_date` (epoch ms or ISO, both ends inclusive) and `event_name`,
   * newest first, at most `limit` (default 10), with no page parameter. Records are served as
   * given: duplicates, odd statuses and malformed `inputRequest` included. `undefined`: 404.
   */
  setEventLog(records: unknown[] | undefined): void {
    this.eventLog = records === undefined ? undefined : [...records];
  }

  /** Records that appear now, whatever their `startTime`: a late record is one dated in the past. */
  appendEventLog(records: unknown[]): void {
    this.eventLog = [...(this.eventLog ?? []), ...records];
  }

  /** Queues `fault` for the next `times` event log requests. */
  failNextLog(fault: CapillaryFault, times = 1): void {
    for (let i = 0; i < times; i += 1) this.logFaults.push(fault);
  }

  eventLogRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === 'event-log');
  }

  /**
   * The customer lookup (`GET /v2/customers/lookup/customerDetails`) finds `customerId` by
   * `identifierValue` (whatever `identifierName`), answering a v2 customer object; an unknown value
   * gets HTTP 200 with Capillary's code 8015, "Customer not found for given identifiers".
   */
  setCustomer(identifierValue: string, customerId: string): void {
    this.customers.set(identifierValue, customerId);
  }

  /** Queues `fault` for the next `times` customer lookups. */
  failNextLookup(fault: CapillaryFault, times = 1): void {
    for (let i = 0; i < times; i += 1) this.lookupFaults.push(fault);
  }

  lookupRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === 'customer-lookup');
  }

  /** Queues `fault` for the next `times` token requests. */
  failNextToken(fault: CapillaryFault, times = 1): void {
    for (let i = 0; i < times; i += 1) this.tokenFaults.push(fault);
  }

  /** From now on the events endpoint answers 401 to this token (default: every token issued so far). */
  invalidateToken(token?: string): void {
    for (const value of token === undefined ? this.issuedTokens : [token]) {
      this.invalidTokens.add(value);
    }
  }

  eventRequests(customerId?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.endpoint === 'events' && (customerId === undefined || r.customerId === customerId),
    );
  }

  tokenRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === 'token');
  }

  /** Forgets the recorded requests only. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Back to a fresh double: no requests, faults, events, tokens; no auth; token ttl 300 s. */
  reset(): void {
    this.requests.length = 0;
    this.issuedTokens.length = 0;
    this.events.clear();
    this.faults.clear();
    this.tokenFaults.length = 0;
    this.invalidTokens.clear();
    this.auth = { kind: 'none' };
    this.tokenTtlSeconds = 300;
    this.latencyMs = 0;
    this.eventsRequestListeners.clear();
    this.eventLog = undefined;
    this.logFaults.length = 0;
    this.customers.clear();
    this.lookupFaults.length = 0;
  }

  async close(): Promise<void> {
    await closeLoopbackServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Arrival time before the body is read: the shared-quota proof measures request spacing.
    const at = performance.now();
    const body = await readBody(req);
    const rawUrl = req.url ?? '/';
    const parsed = new URL(rawUrl, 'http://double.invalid');
    const path = parsed.pathname;
    const customerMatch = /\/customers\/([^/]+)\//.exec(path);
    const customerId =
      parsed.searchParams.get('userId') ??
      (customerMatch?.[1] === undefined ? undefined : decodeURIComponent(customerMatch[1]));
    const endpoint =
      req.method === 'POST' && path === TOKEN_PATH
        ? 'token'
        : req.method === 'GET' && path === EVENT_LOG_PATH
          ? 'event-log'
          : req.method === 'GET' && path === CUSTOMER_LOOKUP_PATH
            ? 'customer-lookup'
            : req.method === 'GET' && customerId !== undefined
              ? 'events'
              : 'other';
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: rawUrl,
      path,
      query: parsed.searchParams,
      headers: req.headers,
      body,
      at,
      endpoint,
      customerId,
    };
    this.requests.push(recorded);
    if (endpoint === 'events')
      for (const listener of this.eventsRequestListeners) listener(recorded);

    if (endpoint === 'token') return this.answerToken(req, res, body);
    if (endpoint === 'event-log') return this.answerEventLog(req, res, parsed.searchParams);
    if (endpoint === 'customer-lookup') return this.answerLookup(req, res, parsed.searchParams);
    if (endpoint === 'other' || customerId === undefined) {
      return send(res, 404, envelope([], [{ code: 404, message: `no route for ${path}` }]));
    }
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const fault = this.faults.get(customerId)?.shift() ?? this.faults.get(GLOBAL)?.shift();
    if (fault && fault.kind !== 'delay') return this.answerFault(res, fault);
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    const denied = this.checkAuth(req.headers);
    if (denied) return send(res, 401, envelope([], [{ code: 401, message: denied }]));
    const stored = this.events.get(customerId) ?? { data: [], warnings: [] };
    return send(res, 200, envelope(stored.data, [], stored.warnings));
  }

  private answerEventLog(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const fault = this.logFaults.shift();
    if (fault && fault.kind !== 'delay') {
      this.answerFault(res, fault);
      return;
    }
    const denied = this.checkAuth(req.headers);
    if (denied) {
      send(res, 401, envelope([], [{ code: 401, message: denied }]));
      return;
    }
    if (this.eventLog === undefined) {
      send(res, 404, envelope([], [{ code: 404, message: 'Resource not found' }]));
      return;
    }
    const from = dateParam(query.get('from_date')) ?? Number.NEGATIVE_INFINITY;
    const to = dateParam(query.get('to_date')) ?? Number.POSITIVE_INFINITY;
    const limit = Number(query.get('limit') ?? 10);
    const name = query.get('event_name');
    const startOf = (record: unknown) =>
      Number((record as { startTime?: unknown } | null)?.startTime ?? Number.NaN);
    const data = this.eventLog
      .filter((record) => startOf(record) >= from && startOf(record) <= to)
      .filter((record) => name === null || (record as { eventName?: unknown }).eventName === name)
      .sort((a, b) => startOf(b) - startOf(a))
      .slice(0, limit);
    send(res, 200, envelope(data, []));
  }

  private answerLookup(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const fault = this.lookupFaults.shift();
    if (fault && fault.kind !== 'delay') {
      this.answerFault(res, fault);
      return;
    }
    const denied = this.checkAuth(req.headers);
    if (denied) {
      send(res, 401, { errors: [{ code: 401, message: denied }] });
      return;
    }
    const value = query.get('identifierValue') ?? '';
    const customerId = this.customers.get(value);
    if (customerId === undefined) {
      send(res, 200, {
        warnings: [],
        errors: [
          { status: false, code: 8015, message: 'Customer not found for given identifiers' },
        ],
      });
      return;
    }
    send(res, 200, {
      id: Number(customerId),
      profiles: [
        {
          firstName: 'Test',
          identifiers: [{ type: query.get('identifierName') ?? 'mobile', value }],
          source: query.get('source') ?? 'INSTORE',
        },
      ],
      loyaltyInfo: { loyaltyType: 'loyalty' },
      warnings: [],
      errors: [],
    });
  }

  private answerToken(req: IncomingMessage, res: ServerResponse, body: string): void {
    const fault = this.tokenFaults.shift();
    if (fault) {
      this.answerFault(res, fault);
      return;
    }
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      send(res, 415, { data: null, errors: [{ code: 415, message: 'expected JSON' }] });
      return;
    }
    let credentials: { key?: unknown; secret?: unknown };
    try {
      credentials = JSON.parse(body) as { key?: unknown; secret?: unknown };
    } catch {
      send(res, 400, { data: null, errors: [{ code: 400, message: 'invalid JSON' }] });
      return;
    }
    const auth = this.auth;
    if (
      auth.kind === 'oauth' &&
      (credentials.key !== auth.clientKey || credentials.secret !== auth.clientSecret)
    ) {
      send(res, 401, {
        data: null,
        errors: [{ code: 1001, message: 'Invalid client key or secret' }],
      });
      return;
    }
    const token = `token-${this.issuedTokens.length + 1}`;
    this.issuedTokens.push(token);
    send(res, 200, {
      data: { accessToken: token, ttlSeconds: this.tokenTtlSeconds },
      errors: null,
    });
  }

  /** A reason to refuse the request, or `undefined` when its credentials are right. */
  private checkAuth(headers: IncomingHttpHeaders): string | undefined {
    const auth = this.auth;
    if (auth.kind === 'basic') {
      const md5 = createHash('md5').update(auth.password).digest('hex');
      const expected = `Basic ${Buffer.from(`${auth.username}:${md5}`).toString('base64')}`;
      return headers.authorization === expected ? undefined : 'Invalid till credentials';
    }
    if (auth.kind === 'oauth') {
      const token = headers['x-cap-api-oauth-token'];
      if (typeof token !== 'string' || !this.issuedTokens.includes(token)) return 'Unknown token';
      if (this.invalidTokens.has(token)) return 'Token expired';
    }
    return undefined;
  }

  private answerFault(res: ServerResponse, fault: CapillaryFault): void {
    switch (fault.kind) {
      case 'throttle':
        send(
          res,
          429,
          { errors: [{ code: 429, message: 'Rate limit exceeded' }] },
          fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
        );
        return;
      case 'server-error':
        send(
          res,
          fault.status ?? 503,
          { errors: fault.errors ?? [{ code: 5001, message: 'Service temporarily unavailable' }] },
          fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
        );
        return;
      case 'hang':
        return;
      case 'malformed':
        res.writeHead(fault.status ?? 200, { 'content-type': 'text/html' });
        res.end(fault.body ?? '<html><body>502 Bad Gateway</body></html>');
        return;
      case 'api-errors':
        send(res, fault.status ?? 200, envelope([], fault.errors));
        return;
      case 'unauthorized':
        send(res, 401, envelope([], [{ code: 401, message: fault.message ?? 'Token expired' }]));
        return;
      case 'raw':
        res.writeHead(fault.status, fault.headers ?? {});
        res.end(fault.body);
        return;
      case 'delay':
        throw new Error('delay is not answered as a fault');
    }
  }
}

/** `from_date`/`to_date` as epoch ms, epoch ms text or an ISO date. */
function dateParam(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function envelope(data: unknown[], errors: unknown[], warnings: unknown[] = []) {
  return { data, warnings, errors };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, { 'content-type': 'application/json', ...headers });
}
