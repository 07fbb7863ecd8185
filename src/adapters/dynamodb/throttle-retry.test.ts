import { describe, expect, it } from 'vitest';
import { CursorStoreError } from './cursor-store-errors.js';
import { CLAIM_ATTEMPTS, retryThrottled } from './throttle-retry.js';

function named(name: string): Error {
  const error = new Error(`${name} from DynamoDB`);
  error.name = name;
  return error;
}

/** A call that fails with `errors` in turn, then answers 'ok'; counts its attempts. */
function failing(...errors: Error[]) {
  const call = {
    attempts: 0,
    send: async () => {
      const error = errors[call.attempts++];
      if (error) throw error;
      return 'ok';
    },
  };
  return call;
}

describe('retryThrottled', () => {
  it('tries a throttled call again, whichever of the three throttle errors, wrapped or not', async () => {
    const call = failing(
      named('ProvisionedThroughputExceededException'),
      new CursorStoreError('Query', 'table', undefined, named('ThrottlingException')),
      named('RequestLimitExceeded'),
    );
    await expect(retryThrottled(call.send, Date.now() + 60_000)).resolves.toBe('ok');
    expect(call.attempts).toBe(4);
  });

  it('gives up after its attempts, with the last throttle', async () => {
    const throttles = Array.from({ length: 10 }, () => named('ThrottlingException'));
    const claim = failing(...throttles);
    await expect(retryThrottled(claim.send, Date.now() + 60_000, CLAIM_ATTEMPTS)).rejects.toThrow(
      'ThrottlingException',
    );
    expect(claim.attempts).toBe(CLAIM_ATTEMPTS);
    // Without a deadline: a bounded number of attempts too.
    const write = failing(...throttles);
    await expect(retryThrottled(write.send, undefined)).rejects.toThrow('ThrottlingException');
    expect(write.attempts).toBe(4);
  });

  it('never waits past the deadline, and never retries another error', async () => {
    const late = failing(named('ThrottlingException'));
    await expect(retryThrottled(late.send, Date.now())).rejects.toThrow('ThrottlingException');
    expect(late.attempts).toBe(1);
    const refused = failing(named('ConditionalCheckFailedException'));
    await expect(retryThrottled(refused.send, undefined)).rejects.toThrow('Conditional');
    expect(refused.attempts).toBe(1);
  });
});
