// Running the real Lambda handlers in-process: a fake context, the environment set and restored,
// stdout and stderr captured, and Powertools' EMF blobs read back.
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

/** A Lambda context of `functionName`, each with its own request id. */
export function fakeContext(functionName: string, remainingMs = 50_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `8f5c2b1e-0000-4000-8000-${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/05/08/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * Every variable the poller's scheduler and worker read: a test's `environment(...)` clears them all
 * before it sets its own, so no value leaks in from the shell or an earlier test.
 */
export const POLLER_LAMBDA_VARIABLES = [
  'TABLE_NAME',
  'DYNAMODB_ENDPOINT',
  'EVENT_BUS_NAME',
  'EVENTBRIDGE_ENDPOINT',
  'CAPILLARY_BASE_URL',
  'CAPILLARY_USERNAME',
  'CAPILLARY_PASSWORD',
  'CAPILLARY_MAX_ATTEMPTS',
  'CAPILLARY_TIMEOUT_MS',
  'CAPILLARY_AUTH',
  'CAPILLARY_SECRET_ARN',
  'CAPILLARY_RPS',
  'POLL_INTERVAL_SECONDS',
  'MAX_POLL_INTERVAL_SECONDS',
  'CLAIM_SECONDS',
  'SWEEP_MAX_POLLS',
  'WORK_QUEUE_URL',
  'SQS_ENDPOINT',
  'DLQ_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_SERVICE_NAME',
] as const;

/** Sets exactly `values` among `names` (the others are removed); `restore` puts the saved ones back. */
export function environment(names: readonly string[]) {
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  return {
    set(values: Record<string, string | undefined>): void {
      for (const name of names) delete process.env[name];
      for (const [name, value] of Object.entries(values)) {
        if (value !== undefined) process.env[name] = value;
      }
    },
    restore(): void {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** Runs `action` with stdout and stderr captured; returns what was written and the result. */
export async function captureOutput<T>(
  action: () => Promise<T>,
): Promise<{ result: T; lines: string[]; stderr: string }> {
  const chunks: string[] = [];
  const errors: string[] = [];
  const text = (chunk: unknown) =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(text(chunk));
    return true;
  });
  // Powertools writes WARN and ERROR lines to stderr: kept, to check them too.
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    errors.push(text(chunk));
    return true;
  });
  try {
    const result = await action();
    return { result, lines: chunks.join('').split('\n').filter(Boolean), stderr: errors.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** Invokes a handler as Lambda would (a fresh context of `functionName`), its output captured. */
export async function invoke<E, R>(
  handler: Handler<E, R>,
  event: E,
  functionName: string,
  remainingMs?: number,
): Promise<Awaited<ReturnType<typeof captureOutput<R>>> & { context: Context }> {
  const context = fakeContext(functionName, remainingMs);
  return { ...(await captureOutput(() => handler(event, context))), context };
}

/** The error an invocation throws (a `ConfigErrors` lists its problems), or `undefined`. */
export async function invocationError<E>(
  handler: Handler<E, unknown>,
  event: E,
  functionName: string,
): Promise<(Error & { problems?: { setting: string }[] }) | undefined> {
  const { result } = await invoke(
    (e: E, context) =>
      handler(e, context).then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { problems?: { setting: string }[] },
      ),
    event,
    functionName,
  );
  return result;
}

export interface EmfBlob {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

export function emfBlobs(lines: readonly string[]): EmfBlob[] {
  return lines
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return undefined;
      }
    })
    .filter(
      (value): value is EmfBlob => typeof value === 'object' && value !== null && '_aws' in value,
    );
}

/** The units each metric of a blob declares, by name. */
export function emfUnits(blob: EmfBlob): Record<string, string> {
  return Object.fromEntries(
    (blob._aws.CloudWatchMetrics[0]?.Metrics ?? []).map((metric) => [metric.Name, metric.Unit]),
  );
}
