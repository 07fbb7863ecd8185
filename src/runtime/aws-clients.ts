// The AWS SDK clients the adapters take, with one retry policy each and the reason beside it.
// SDK defaults (standard mode, 3 attempts) are written out so a reader need not know them.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { isLoopbackHost } from '../adapters/capillary/capillary-requests.js';
import { PollerError } from '../domain/errors.js';

/**
 * DynamoDB: the SDK's standard retries (3 attempts, jittered backoff, on throttling, 5xx and
 * network errors). The cursor store and the quota gate have no retry loop of their own, and a
 * refused condition is an answer, not an error the SDK retries. Not adaptive: its client-side
 * rate limiter would slow every customer of the process after one throttled call.
 */
const DYNAMODB_RETRIES = { retryMode: 'standard', maxAttempts: 3 } as const;
/**
 * EventBridge: no SDK retries. `EventBridgePublisher` owns retrying, because only it can retry the
 * failed entries of a partly failed PutEvents (the SDK sees a 200), and two loops would multiply
 * (SDK 3 attempts x publisher 4 = 12 requests per batch under throttling).
 */
const EVENTBRIDGE_RETRIES = { retryMode: 'standard', maxAttempts: 1 } as const;
/**
 * SQS: the SDK's standard retries (3 attempts). The dead-letter sink and queue have no retry loop,
 * and the work queue only sends entries SQS refused one by one once more (the SDK sees a 200), so
 * attempts do not multiply. Not adaptive, for the reason given for DynamoDB.
 */
const SQS_RETRIES = { retryMode: 'standard', maxAttempts: 3 } as const;

/**
 * Each request's timeout, per attempt. The SDK only warns when a request outlives its
 * `requestTimeout` unless `throwOnRequestTimeout` is set (@smithy/node-http-handler): set, the
 * socket is destroyed and the attempt fails with a `TimeoutError` (retried as transient).
 * DynamoDB, SQS and Secrets Manager answer in milliseconds; 5 s is a stalled connection.
 */
const REQUEST_TIMEOUT_MS = 5_000;
const CONNECTION_TIMEOUT_MS = 5_000;
/** EventBridge's default: PutEvents of 10 entries of up to 256 KiB. */
const EVENTBRIDGE_REQUEST_TIMEOUT_MS = 10_000;

type Credentials = EventBridgeClientConfig['credentials'] & SQSClientConfig['credentials'];

interface AwsClientOptions {
  region: string;
  /** Set for a local emulator or double, or a VPC endpoint; the regional endpoint otherwise. */
  endpoint?: URL | string | undefined;
  /** Unset: the SDK's credential chain (`loopbackCredentials` for an emulator). */
  credentials?: Credentials | undefined;
  /**
   * Epoch ms by which every request must be over (a Lambda invocation's, read at each request):
   * each attempt's timeout is cut to it, and none is sent after it. Unset: the timeout alone.
   */
  deadline?: (() => number) | undefined;
}

/** A request not sent: the invocation it belongs to has no time left. Not retried. */
class RequestDeadlineError extends PollerError {
  constructor() {
    super(
      'AWS request not sent: the invocation has no time left',
      'nothing to do: what was not done is done by the next invocation; if it is frequent, give the function more time',
    );
  }
}

/**
 * Emulators on this machine accept any key; real AWS gets the SDK's normal credential chain.
 * `url` is the endpoint, or the queue URL when SQS has no endpoint of its own.
 */
export function loopbackCredentials(url: URL | undefined) {
  if (url && isLoopbackHost(url.hostname) && !process.env.AWS_ACCESS_KEY_ID) {
    return { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return undefined;
}

function clientConfig(options: AwsClientOptions, requestTimeoutMs = REQUEST_TIMEOUT_MS) {
  const { credentials } = options;
  return {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint.toString() }),
    ...(credentials === undefined ? {} : { credentials }),
    requestHandler: {
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
    },
  };
}

interface HandlerOptions {
  requestTimeout?: number;
}

/**
 * Cuts each request of `client` to what is left before `deadline` (the handler's per-request
 * `requestTimeout` option) and refuses one with nothing left. The client's own handler, wrapped in
 * place: the SDK builds it from the options above, and a handler of our own would need
 * @smithy/node-http-handler as a direct dependency.
 */
function boundedBy<T extends { config: { requestHandler: unknown } }>(
  client: T,
  deadline: (() => number) | undefined,
  timeoutMs: number,
): T {
  if (deadline === undefined) return client;
  const handler = client.config.requestHandler as {
    handle(request: unknown, options?: HandlerOptions): Promise<unknown>;
  };
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options = {}) => {
    const left = Math.floor(deadline() - Date.now());
    if (left < 1) return Promise.reject(new RequestDeadlineError());
    return handle(request, { ...options, requestTimeout: Math.min(timeoutMs, left) });
  };
  return client;
}

export function createDynamoDbClient(options: AwsClientOptions): DynamoDBClient {
  const client = new DynamoDBClient({ ...clientConfig(options), ...DYNAMODB_RETRIES });
  return boundedBy(client, options.deadline, REQUEST_TIMEOUT_MS);
}

interface EventBridgeClientOptions extends AwsClientOptions {
  /** Each request's timeout. Default 10 s. */
  requestTimeoutMs?: number;
}

/** The client `EventBridgePublisher` expects: SDK retries off (see `EVENTBRIDGE_RETRIES`). */
export function createEventBridgeClient(options: EventBridgeClientOptions): EventBridgeClient {
  const timeoutMs = options.requestTimeoutMs ?? EVENTBRIDGE_REQUEST_TIMEOUT_MS;
  const client = new EventBridgeClient({
    ...clientConfig(options, timeoutMs),
    ...EVENTBRIDGE_RETRIES,
  });
  return boundedBy(client, options.deadline, timeoutMs);
}

/** The client the SQS adapters expect: the SDK retries requests (see `SQS_RETRIES`). */
export function createSqsClient(options: AwsClientOptions): SQSClient {
  const client = new SQSClient({ ...clientConfig(options), ...SQS_RETRIES });
  return boundedBy(client, options.deadline, REQUEST_TIMEOUT_MS);
}

/** The client the Capillary secret is read with (the SDK's standard retries, 3 attempts). */
export function createSecretsManagerClient(options: AwsClientOptions): SecretsManagerClient {
  const client = new SecretsManagerClient({ ...clientConfig(options), maxAttempts: 3 });
  return boundedBy(client, options.deadline, REQUEST_TIMEOUT_MS);
}
