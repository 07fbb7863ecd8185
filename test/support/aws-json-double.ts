// What the AWS doubles (EventBridge, SQS) share: a loopback server speaking the AWS JSON protocol,
// whole requests refused on demand, and entry-level faults matched by position or by a test.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeLoopbackServer, sendAwsJson, startLoopbackServer } from './loopback-server.js';

/** An injected entry failure: which entries, and for how many of the next requests. */
export interface EntryFaultMatch<Entry> {
  /** Entry positions within a request, or a test on the entry. */
  match: readonly number[] | ((entry: Entry, index: number) => boolean);
  /** How many of the next requests in which it matches an entry it applies to (default 1; `Infinity`: all). */
  requests?: number;
}

type Counted<T> = T & { remaining: number };

/** What tells the AWS services the doubles stand in for apart. */
export interface AwsJsonService<Refusal> {
  /** The AWS JSON protocol version the service speaks (`1.0` SQS, `1.1` EventBridge). */
  protocol: '1.0' | '1.1';
  /** Its answer to a request it failed (HTTP 500): `failRequests`' default. */
  internalError: Refusal;
}

/** An SDK client on a double (`createClient`: the poller's factory); destroy it after. */
export function clientOn<Client>(
  double: { url: string },
  createClient: (options: { region: string; endpoint: string; credentials: Credentials }) => Client,
  credentials: Credentials,
): Client {
  return createClient({ region: 'us-east-1', endpoint: double.url, credentials });
}

/** Starts a double and builds an SDK client on it (`createClient`: the poller's factory). */
export async function startWire<Double extends { url: string }, Client>(
  starting: Promise<Double>,
  createClient: (options: { region: string; endpoint: string; credentials: Credentials }) => Client,
  credentials: Credentials,
): Promise<{ double: Double; client: Client }> {
  const double = await starting;
  return { double, client: clientOn(double, createClient, credentials) };
}

type Credentials = { accessKeyId: string; secretAccessKey: string };

/** Ends a double and the SDK client a test built on it. */
export async function closeWire(wire: {
  double: { close(): Promise<void> };
  client: { destroy(): void };
}): Promise<void> {
  wire.client.destroy();
  await wire.double.close();
}

export abstract class AwsJsonDouble<Entry, Fault extends EntryFaultMatch<Entry>, Refusal> {
  #server: Server | undefined;
  #url = '';
  #refusals: Counted<Refusal>[] = [];
  #faults: Counted<Fault>[] = [];

  /** `service`: which service it stands in for. */
  constructor(protected readonly service: AwsJsonService<Refusal>) {}

  /** The endpoint to give the SDK client. */
  get url(): string {
    return this.#url;
  }

  protected abstract handle(request: IncomingMessage, response: ServerResponse): Promise<void>;

  /** Answers in the service's protocol. */
  protected send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    sendAwsJson(response, this.service.protocol, status, body, headers);
  }

  /** Starts serving; the double's `start()` calls it once. */
  protected async listen(): Promise<this> {
    const { server, origin } = await startLoopbackServer(() => this.handle.bind(this));
    this.#server = server;
    this.#url = origin;
    return this;
  }

  async close(): Promise<void> {
    if (this.#server) await closeLoopbackServer(this.#server);
  }

  /**
   * Refuses the next `requests` requests as a whole: by default with the service's internal error;
   * any part can be given instead (e.g. HTTP 400 and the service's access-denied error).
   */
  failRequests(requests = 1, refusal: Partial<Refusal> = {}): void {
    const given = Object.entries(refusal).filter(([, value]) => value !== undefined);
    this.queueRefusal(requests, { ...this.service.internalError, ...Object.fromEntries(given) });
  }

  /** Refuses the next `requests` requests as a whole with `refusal`. */
  protected queueRefusal(requests: number, refusal: Refusal): void {
    this.#refusals.push({ ...refusal, remaining: requests });
  }

  /** The refusal for this request, if one is pending (it counts down). */
  protected nextRefusal(): Refusal | undefined {
    const refusal = this.#refusals[0];
    if (refusal === undefined) return undefined;
    refusal.remaining--;
    if (refusal.remaining <= 0) this.#refusals.shift();
    return refusal;
  }

  /** Fails matching entries for the next `requests` requests in which they match. */
  protected queueEntryFault(fault: Fault): void {
    this.#faults.push({ ...fault, remaining: fault.requests ?? 1 });
  }

  /** The fault for each entry of a request (`undefined`: none); each one applied counts down once. */
  protected entryFaults(entries: readonly Entry[]): (Fault | undefined)[] {
    const applied = new Set<Counted<Fault>>();
    const faults = entries.map((entry, index) => {
      const fault = this.#faults.find((candidate) =>
        typeof candidate.match === 'function'
          ? candidate.match(entry, index)
          : candidate.match.includes(index),
      );
      if (fault) applied.add(fault);
      return fault;
    });
    for (const fault of applied) fault.remaining--;
    this.#faults = this.#faults.filter((fault) => fault.remaining > 0);
    return faults;
  }

  protected clearFaults(): void {
    this.#refusals = [];
    this.#faults = [];
  }
}
