// A loopback proxy in front of DynamoDB Local that speaks its wire protocol (AWS JSON 1.0, the
// operation in `X-Amz-Target`) and answers chosen requests as a throttled DynamoDB does (HTTP 400,
// `ProvisionedThroughputExceededException`); every other request goes through unchanged. Point a
// poller at it with `DYNAMODB_ENDPOINT` to throttle DynamoDB without mocking anything.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsJsonDouble } from './aws-json-double.js';
import { header, readBody } from './loopback-server.js';

/** One DynamoDB request as the proxy sees it. */
export interface DynamoDbCall {
  /** `Query`, `UpdateItem`, `GetItem`, ... */
  operation: string;
  /** The request's JSON body (`TableName`, `Key`, `UpdateExpression`, ...). */
  body: Record<string, unknown>;
}

interface Refusal {
  status: number;
  type: string;
  message: string;
}

const THROTTLE: Refusal = {
  status: 400,
  type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
};

/** The `customerId` key of an item request (`schedule#<id>` for a schedule item). */
export function keyOf(call: DynamoDbCall): string | undefined {
  const key = call.body.Key as { customerId?: { S?: string } } | undefined;
  return key?.customerId?.S;
}

/** A claim: the conditional UpdateItem that sets `claimOwner` on a schedule item. */
export function isClaim(call: DynamoDbCall): boolean {
  return (
    call.operation === 'UpdateItem' &&
    String(call.body.UpdateExpression).includes('#claimOwner = :claimOwner')
  );
}

/** Throttles `share` of the calls `rule` picks, drawn from a seeded generator (repeatable runs). */
export function throttleShare(
  share: number,
  seed: number,
  rule: (call: DynamoDbCall) => boolean = () => true,
): (call: DynamoDbCall) => boolean {
  let state = seed >>> 0;
  return (call) => {
    if (!rule(call)) return false;
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296 < share;
  };
}

export class DynamoDbFaultProxy extends AwsJsonDouble<never, never, Refusal> {
  /** Every request, in order, and whether it was throttled. */
  readonly calls: (DynamoDbCall & { throttled: boolean })[] = [];
  #throttle: (call: DynamoDbCall) => boolean = () => false;

  private constructor(private readonly upstream: string) {
    super({ protocol: '1.0', internalError: THROTTLE });
  }

  /** A proxy forwarding to `upstream` (DynamoDB Local's endpoint). */
  static async start(upstream: string): Promise<DynamoDbFaultProxy> {
    return new DynamoDbFaultProxy(upstream).listen();
  }

  /** From now on, throttles the calls `rule` picks (replacing the rule before). */
  throttleWhen(rule: (call: DynamoDbCall) => boolean): void {
    this.#throttle = rule;
  }

  /** Throttles nothing any more. */
  stopThrottling(): void {
    this.#throttle = () => false;
  }

  throttled(): (DynamoDbCall & { throttled: boolean })[] {
    return this.calls.filter((call) => call.throttled);
  }

  protected async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const target = header(request, 'x-amz-target') ?? '';
    const call: DynamoDbCall = {
      operation: target.slice(target.indexOf('.') + 1),
      body: raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>),
    };
    const throttled = this.#throttle(call);
    this.calls.push({ ...call, throttled });
    if (throttled) {
      const type = THROTTLE.type.slice(THROTTLE.type.indexOf('#') + 1);
      this.send(
        response,
        THROTTLE.status,
        { __type: THROTTLE.type, message: THROTTLE.message },
        { 'x-amzn-ErrorType': type },
      );
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length'].includes(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const answer = await fetch(this.upstream, { method: 'POST', headers, body: raw });
    const body = Buffer.from(await answer.arrayBuffer());
    const forwarded: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name)) {
        forwarded[name] = value;
      }
    });
    response.writeHead(answer.status, { ...forwarded, 'content-length': body.length });
    response.end(body);
  }
}
