import { describe, expect, it } from 'vitest';
import { PollerError } from '../errors.js';
import type { CustomerLookupAnswer, Logger } from '../ports.js';
import { IdentifierLookup, type IdentifierLookupSettings } from './identifier-lookup.js';

/** How long a failed lookup is not retried. */
const LOOKUP_RETRY_AFTER_FAILURE_MS = 15 * 60_000;

const T = 1_800_000_000_000;
const DAY = 86_400_000;
const MOBILE = '918088369835';
const OTHER = '919970388310';
const EMAIL = 'someone@example.com';

/** Capillary's answers by value; a value with no answer fails the lookup. */
function setUp(
  answers: Record<string, CustomerLookupAnswer>,
  settings: Partial<IdentifierLookupSettings> = {},
) {
  const asked: string[] = [];
  const logged: string[] = [];
  const watched = new Set(['564590100']);
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, attributes) => logged.push(JSON.stringify({ message, attributes })),
    error: (message, attributes) => logged.push(JSON.stringify({ message, attributes })),
  };
  const lookup = new IdentifierLookup(
    {
      lookup: {
        async lookupCustomer(identifier) {
          asked.push(identifier);
          const answer = answers[identifier];
          if (answer === undefined) {
            // An adapter that (wrongly) echoes the value: the step keeps it out of the log.
            throw new PollerError(`lookup of ${identifier} failed (HTTP 503)`, 'retried later');
          }
          return answer;
        },
      },
      watched: { isWatched: async (customerId) => watched.has(customerId) },
      logger,
    },
    { perRead: 2, negativeMs: DAY, ...settings },
  );
  return { lookup, asked, logged, watched };
}

const unmatched = (...values: [string, number][]) =>
  values.map(([identifier, startTime]) => ({ startTime, identifiers: [identifier] }));

describe('the identifier lookup', () => {
  it('learns and hints a value that names a watched customer, with its newest record', async () => {
    const { lookup, asked } = setUp({ [MOBILE]: { kind: 'found', customerId: '564590100' } });
    const outcome = await lookup.resolveUnmatched(
      unmatched([MOBILE, T - 5_000], [MOBILE, T - 1_000]),
      T,
    );
    expect(asked).toEqual([MOBILE]);
    expect(outcome.learned).toEqual([{ customerId: '564590100', identifier: MOBILE }]);
    expect(outcome.hints).toEqual([{ customerId: '564590100', startTime: T - 1_000 }]);
    expect(outcome.counts).toMatchObject({ made: 1, resolved: 1, negative: 0, failed: 0 });
  });

  it('asks at most its budget of distinct values per read, the busiest first', async () => {
    const { lookup, asked } = setUp({
      [MOBILE]: { kind: 'not-found' },
      [OTHER]: { kind: 'not-found' },
      [EMAIL]: { kind: 'not-found' },
    });
    const outcome = await lookup.resolveUnmatched(
      unmatched([EMAIL, T - 9_000], [OTHER, T - 3_000], [MOBILE, T - 2_000], [OTHER, T - 1_000]),
      T,
    );
    // OTHER has two records; MOBILE is newer than EMAIL. Each value once.
    expect(asked).toEqual([OTHER, MOBILE]);
    expect(outcome.counts).toMatchObject({ made: 2, negative: 2, deferred: 1 });
    // The deferred value is asked by the next read that sees it.
    await lookup.resolveUnmatched(unmatched([EMAIL, T + 1_000]), T + 30_000);
    expect(asked).toEqual([OTHER, MOBILE, EMAIL]);
  });

  it('does not ask a negative answer again until it expires, then asks again', async () => {
    const { lookup, asked, watched } = setUp({
      [MOBILE]: { kind: 'found', customerId: '564590999' },
      [OTHER]: { kind: 'not-found' },
    });
    const first = await lookup.resolveUnmatched(unmatched([MOBILE, T], [OTHER, T]), T);
    // A customer that is not watched is a negative answer too: nothing learned, nothing hinted.
    expect(first).toMatchObject({ learned: [], hints: [] });
    expect(first.counts).toMatchObject({ made: 2, negative: 2 });

    const within = await lookup.resolveUnmatched(unmatched([MOBILE, T], [OTHER, T]), T + DAY - 1);
    expect(within.counts).toMatchObject({ made: 0, remembered: 2 });
    expect(asked).toHaveLength(2);

    watched.add('564590999');
    const after = await lookup.resolveUnmatched(unmatched([MOBILE, T + DAY]), T + DAY);
    expect(asked).toEqual([MOBILE, OTHER, MOBILE]);
    expect(after.learned).toEqual([{ customerId: '564590999', identifier: MOBILE }]);
  });

  it('counts a failed lookup, goes on with the others, and keeps the value out of the log', async () => {
    const { lookup, asked, logged } = setUp(
      { [OTHER]: { kind: 'found', customerId: '564590100' } },
      { perRead: 5 },
    );
    const outcome = await lookup.resolveUnmatched(unmatched([MOBILE, T], [OTHER, T - 1]), T);
    expect(outcome.counts).toMatchObject({ made: 2, failed: 1, resolved: 1 });
    expect(outcome.hints).toEqual([{ customerId: '564590100', startTime: T - 1 }]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('HTTP 503');
    expect(logged[0]).not.toContain(MOBILE);

    // A failed value pauses for a while (not a day), then is asked again.
    await lookup.resolveUnmatched(unmatched([MOBILE, T]), T + LOOKUP_RETRY_AFTER_FAILURE_MS - 1);
    expect(asked).toEqual([MOBILE, OTHER]);
    await lookup.resolveUnmatched(unmatched([MOBILE, T]), T + LOOKUP_RETRY_AFTER_FAILURE_MS);
    expect(asked).toEqual([MOBILE, OTHER, MOBILE]);
  });

  it('forgets its oldest answers past its capacity', async () => {
    const { lookup, asked } = setUp(
      { [MOBILE]: { kind: 'not-found' }, [OTHER]: { kind: 'not-found' } },
      { capacity: 1 },
    );
    await lookup.resolveUnmatched(unmatched([MOBILE, T]), T);
    await lookup.resolveUnmatched(unmatched([OTHER, T]), T);
    await lookup.resolveUnmatched(unmatched([OTHER, T]), T);
    expect(asked).toEqual([MOBILE, OTHER]);
    await lookup.resolveUnmatched(unmatched([MOBILE, T]), T);
    expect(asked).toEqual([MOBILE, OTHER, MOBILE]);
  });
});
