// What the CapillaryClient tests share: one CapillaryDouble per test file, reset after each test,
// a client for it with instant, recorded retry waits, and readers of what a call gave.
import { afterAll, afterEach, expect } from 'vitest';
import {
  CapillaryClient,
  type CapillaryClientOptions,
} from '../../src/adapters/capillary/capillary-client.js';
import { CapillaryRequestError } from '../../src/adapters/capillary/capillary-errors.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { CapillaryDouble } from './capillary-double.js';

export const CUSTOMER = '564590100';

/**
 * Starts the file's double (reset after each test, closed after the file) and gives a client
 * factory for it.
 */
export async function useCapillaryDouble(): Promise<{
  double: CapillaryDouble;
  client: ReturnType<typeof clientFactory>;
}> {
  const double = await CapillaryDouble.start();
  afterEach(() => {
    double.reset();
  });
  afterAll(async () => {
    await double.close();
    await closeSharedDispatcher();
  });
  return { double, client: clientFactory(double) };
}

/** A client for `double` with instant retry waits (recorded in `delays`). */
function clientFactory(double: CapillaryDouble) {
  return (
    overrides: Partial<CapillaryClientOptions> = {},
  ): { client: CapillaryClient; delays: number[] } => {
    const delays: number[] = [];
    const instance = new CapillaryClient({
      baseUrl: double.url,
      credentials: undefined,
      timeoutMs: 2_000,
      maxAttempts: 4,
      requestsPerSecond: 1_000,
      retry: { baseDelayMs: 10, maxDelayMs: 100 },
      random: () => 1,
      sleep: async (ms) => {
        delays.push(ms);
      },
      ...overrides,
    });
    return { client: instance, delays };
  };
}

/** The error a call must fail with. */
export async function failure(promise: Promise<unknown>): Promise<CapillaryRequestError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CapillaryRequestError);
  return error as CapillaryRequestError;
}
