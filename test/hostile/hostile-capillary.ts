// A Capillary that misbehaves on purpose, per customer: huge, endless, slow, compressed, broken
// or redirecting answers, next to healthy customers served normally. Loopback only.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeLoopbackServer, readBody, startLoopbackServer } from '../support/loopback-server.js';

/** How one customer's events request is answered. */
export type Behaviour = (
  request: IncomingMessage,
  response: ServerResponse,
) => Promise<void> | void;

const TOKEN_PATH = '/v3/oauth/token/generate';
const EVENT_LOG_PATH = '/v2/events/logs';

export class HostileCapillary {
  /** Customer id of every events request, in order. */
  readonly eventRequests: string[] = [];
  readonly tokenRequests: string[] = [];
  /** Every OAuth token issued, in order (random, so no piece of one occurs by chance). */
  readonly issuedTokens: string[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private tokenBehaviour: Behaviour | undefined;
  /** Query of every event log request, in order. */
  readonly eventLogRequests: string[] = [];
  private eventLogBehaviour: Behaviour = json(404, { data: [], errors: [{ code: 404 }] });
  /** Query of every customer lookup, in order. */
  readonly customerLookupRequests: string[] = [];
  private customerLookupBehaviour: Behaviour = json(200, { errors: [{ code: 8015 }] });

  private constructor(
    private readonly server: Server,
    readonly url: URL,
  ) {}

  static async start(): Promise<HostileCapillary> {
    let double: HostileCapillary | undefined;
    const { server, origin } = await startLoopbackServer(() => double?.handle.bind(double));
    double = new HostileCapillary(server, new URL(origin));
    return double;
  }

  /** From now on, `customerId`'s events requests get `behaviour`. */
  on(customerId: string, behaviour: Behaviour): void {
    this.behaviours.set(customerId, behaviour);
  }

  /** The events of a healthy customer, newest first. */
  serve(customerId: string, events: unknown[]): void {
    this.on(customerId, json(200, { data: events, warnings: [], errors: [] }));
  }

  /** From now on, `GET /v2/events/logs` gets `behaviour` (default: 404, an org without the log). */
  onEventLog(behaviour: Behaviour): void {
    this.eventLogBehaviour = behaviour;
  }

  /** From now on, `GET /v2/customers/lookup/customerDetails` gets `behaviour` (default: 8015). */
  onCustomerLookup(behaviour: Behaviour): void {
    this.customerLookupBehaviour = behaviour;
  }

  /** The token endpoint's next answers (default: a new token each time). */
  onToken(behaviour: Behaviour | undefined): void {
    this.tokenBehaviour = behaviour;
  }

  async close(): Promise<void> {
    await closeLoopbackServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A client that stops reading is expected here: never crash on the broken pipe.
    response.on('error', () => {});
    request.on('error', () => {});
    const url = new URL(request.url ?? '/', 'http://hostile.invalid');
    if (request.method === 'POST' && url.pathname === TOKEN_PATH) {
      this.tokenRequests.push(await readBody(request));
      if (this.tokenBehaviour) return this.tokenBehaviour(request, response);
      const token = `eyJ${randomBytes(24).toString('base64url')}`;
      this.issuedTokens.push(token);
      return json(200, { data: { accessToken: token, ttlSeconds: 300 }, errors: null })(
        request,
        response,
      );
    }
    if (request.method === 'GET' && url.pathname === EVENT_LOG_PATH) {
      this.eventLogRequests.push(url.search);
      return this.eventLogBehaviour(request, response);
    }
    if (request.method === 'GET' && url.pathname === '/v2/customers/lookup/customerDetails') {
      this.customerLookupRequests.push(url.search);
      return this.customerLookupBehaviour(request, response);
    }
    const customerId = url.searchParams.get('userId') ?? '';
    this.eventRequests.push(customerId);
    const behaviour = this.behaviours.get(customerId) ?? json(200, { data: [], errors: [] });
    await behaviour(request, response);
  }
}

/** Answers `body` as JSON with `status`. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Behaviour {
  return (_request, response) =>
    raw(status, JSON.stringify(body), {
      'content-type': 'application/json',
      ...headers,
    })(_request, response);
}

/** Answers `body` (text or bytes) as it is, with a Content-Length. */
export function raw(
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Behaviour {
  return (_request, response) => {
    response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
    response.end(body);
  };
}

/** Writes `chunk` again and again (honouring back-pressure) until `totalBytes`, or forever. */
export function stream(options: {
  chunk: Buffer;
  totalBytes?: number;
  announce?: boolean;
  prefix?: string;
}): Behaviour {
  return async (_request, response) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.announce && options.totalBytes !== undefined) {
      headers['content-length'] = String(options.totalBytes);
    }
    response.writeHead(200, headers);
    let sent = 0;
    if (options.prefix) {
      response.write(options.prefix);
      sent += options.prefix.length;
    }
    while (!response.destroyed && (options.totalBytes === undefined || sent < options.totalBytes)) {
      const more = response.write(options.chunk);
      sent += options.chunk.length;
      if (!more) {
        await new Promise<void>((resolve) => {
          const done = () => {
            response.off('drain', done);
            response.off('close', done);
            resolve();
          };
          response.on('drain', done);
          response.on('close', done);
        });
      }
    }
    if (!response.destroyed) response.end();
  };
}

/** Sends the headers and a start, then one byte every `everyMs` until the client gives up. */
export function drip(everyMs: number): Behaviour {
  return (_request, response) =>
    new Promise<void>((resolve) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"data":[');
      const timer = setInterval(() => {
        if (response.destroyed) return;
        response.write(' ');
      }, everyMs);
      response.once('close', () => {
        clearInterval(timer);
        resolve();
      });
    });
}

/** The request's own headers, echoed back in an HTML page with HTTP 200 (a misconfigured proxy). */
export function echoHeadersAsHtml(extra = ''): Behaviour {
  return (request, response) => {
    const lines = Object.entries(request.headers)
      .map(([name, value]) => `<li>${name}: ${String(value)}</li>`)
      .join('');
    raw(200, `<html><body><h1>Debug</h1><ul>${lines}</ul>${extra}</body></html>`, {
      'content-type': 'text/html',
    })(request, response);
  };
}

/** A recorder of requests to an address that must never be contacted. */
export async function startForbiddenHost(): Promise<{
  url: URL;
  requests: string[];
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const { server, origin } = await startLoopbackServer(() => async (request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    response.end('stolen');
  });
  return { url: new URL(origin), requests, close: () => closeLoopbackServer(server) };
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
