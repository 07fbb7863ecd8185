import type { EventLogDateFormat } from '../adapters/capillary/capillary-requests.js';
import { dateFormatGranularityMs } from '../adapters/capillary/capillary-requests.js';
import type { ChangeFeedSettings } from '../domain/change-feed.js';
import { feedRequestBudget } from '../domain/read-change-feed.js';
import type { SettingsEnv } from './setting-schemas.js';

/** The narrowest slice split: a second, or the date format's step if coarser. */
const MIN_SLICE_MS = 1_000;

export interface ChangeFeedConfig {
  enabled: boolean;
  /** `CHANGE_FEED_HINT_MAX_SHARE`: for `laneLimit`. */
  hintShare: number;
  /** `CHANGE_FEED_BACKSTOP_SECONDS` in ms: for `currentBackstop`. */
  backstopMs: number;
  /** For the Capillary client's `eventLog` option. */
  eventLog: { path: string; dateFormat: EventLogDateFormat };
  /** For `ChangeFeed`. */
  feed: ChangeFeedSettings;
}

/** The change feed's settings, from the parsed environment. */
export function changeFeedConfig(env: SettingsEnv): ChangeFeedConfig {
  const dateFormat = env.CHANGE_FEED_DATE_FORMAT;
  return {
    enabled: env.CHANGE_FEED === 'on',
    hintShare: env.CHANGE_FEED_HINT_MAX_SHARE,
    backstopMs: env.CHANGE_FEED_BACKSTOP_SECONDS * 1_000,
    eventLog: { path: env.CHANGE_FEED_PATH, dateFormat },
    feed: {
      intervalMs: env.CHANGE_FEED_INTERVAL_SECONDS * 1_000,
      lookBackMs: env.CHANGE_FEED_LOOK_BACK_SECONDS * 1_000,
      lagMs: env.CHANGE_FEED_LAG_SECONDS * 1_000,
      limit: env.CHANGE_FEED_LIMIT,
      maxRequests: feedRequestBudget(
        env.CHANGE_FEED_MAX_SHARE,
        env.CAPILLARY_RPS,
        env.CHANGE_FEED_INTERVAL_SECONDS,
      ),
      minSliceMs: Math.max(MIN_SLICE_MS, dateFormatGranularityMs(dateFormat)),
      eventNames: env.CHANGE_FEED_EVENT_NAMES ?? [],
      identifierFields: env.CHANGE_FEED_IDENTIFIER_FIELDS,
    },
  };
}
