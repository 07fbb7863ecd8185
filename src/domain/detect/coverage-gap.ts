import type { CustomerState } from '../customer-state.js';
import type { KeyedEvent } from './detect-new-events.js';
import { seenLookup } from './seen-digest.js';

/**
 * A tracked customer whose window shares no id with its seen set and is entirely newer than the
 * newest seen event: more events came than the API's window shows, so some may have scrolled out
 * before anyone saw them. Nothing can bring those back; the poller publishes what is there, counts
 * the gap and polls the customer at the shortest interval.
 */
export function isCoverageGap(state: CustomerState, window: readonly KeyedEvent[]): boolean {
  if (state.mode !== 'tracking' || state.seen.length === 0 || window.length === 0) return false;
  const isSeen = seenLookup(state.seen);
  if (window.some((candidate) => isSeen(candidate.key))) return false;
  const newestSeen = Math.max(...state.seen.map((entry) => entry.at));
  return window.every((candidate) => candidate.at > newestSeen);
}
