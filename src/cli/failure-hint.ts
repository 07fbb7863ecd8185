import type { PollCounts } from '../domain/poll/poll-summary.js';

/** Failure shapes that, shared by every customer, point at one setting rather than at customers. */
const COMMON_CAUSES: readonly { matches: RegExp; hint: string }[] = [
  {
    // CapillaryError messages say "no HTTP response" when nothing answered (DNS, refused, timeout).
    matches: /\(no HTTP response\b/,
    hint: 'hint: no customer could reach Capillary: check CAPILLARY_BASE_URL and the network path to it',
  },
  {
    matches: /\(HTTP 401\b/,
    hint: 'hint: Capillary refused the credentials for every customer: check CAPILLARY_USERNAME and CAPILLARY_PASSWORD (or CAPILLARY_CLIENT_KEY and CAPILLARY_CLIENT_SECRET)',
  },
];

/**
 * One plain line when no customer succeeded and every failure has the same cause, since 13
 * identical failures say less than "check CAPILLARY_BASE_URL"; `undefined` otherwise.
 */
export function commonFailureHint(
  summary: Pick<PollCounts, 'polled' | 'failures'>,
): string | undefined {
  if (summary.polled > 0 || summary.failures.length === 0) return undefined;
  return COMMON_CAUSES.find(({ matches }) =>
    summary.failures.every((failure) => matches.test(failure.reason)),
  )?.hint;
}
