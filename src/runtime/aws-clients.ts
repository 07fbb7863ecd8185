// The AWS SDK clients the adapters take, with one retry policy each and the reason beside it.
// SDK defaults (standard mode, 3 attempts) are written out so a reader need not know them.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { isLoopbackHost } from '../adapters/capillary/capillary-urls.js';

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

type Credentials = EventBridgeClientConfig['credentials'] & SQSClientConfig['credentials'];

interface AwsClientOptions {
  region: string;
  /** Set for a local emulator or double, or a VPC endpoint; the regional endpoint otherwise. */
  endpoint?: URL | string | undefined;
  /** Unset: the SDK's credential chain (`loopbackCredentials` for an emulator). */
  credentials?: Credentials | undefined;
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

function clientConfig(options: AwsClientOptions) {
  const { credentials } = options;
  return {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint.toString() }),
    ...(credentials === undefined ? {} : { credentials }),
  };
}

export function createDynamoDbClient(options: AwsClientOptions): DynamoDBClient {
  return new DynamoDBClient({ ...clientConfig(options), ...DYNAMODB_RETRIES });
}

interface EventBridgeClientOptions extends AwsClientOptions {
  /** Per request socket timeout. */
  requestTimeoutMs?: number;
}

/** The client `EventBridgePublisher` expects: SDK retries off (see `EVENTBRIDGE_RETRIES`). */
export function createEventBridgeClient(options: EventBridgeClientOptions): EventBridgeClient {
  return new EventBridgeClient({
    ...clientConfig(options),
    ...EVENTBRIDGE_RETRIES,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: 5_000,
    },
  });
}

/** The client the SQS adapters expect: the SDK retries requests (see `SQS_RETRIES`). */
export function createSqsClient(options: AwsClientOptions): SQSClient {
  return new SQSClient({ ...clientConfig(options), ...SQS_RETRIES });
}
