import type {
  EventLogDateFormat,
  LookupIdentifierName,
} from '../adapters/capillary/capillary-requests.js';
import { dateFormatGranularityMs } from '../adapters/capillary/capillary-requests.js';
import type { ChangeFeedSettings } from '../domain/feed/change-feed.js';
import type { IdentifierLookupSettings } from '../domain/feed/identifier-lookup.js';
import { feedRequestBudget } from '../domain/feed/read-change-feed.js';
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
  /** Capillary's customer lookup (`CHANGE_FEED_LOOKUP*`); `undefined` when off. */
  lookup:
    | (IdentifierLookupSettings & { source: string; identifierName: LookupIdentifierName })
    | undefined;
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
      instantMs: dateFormatGranularityMs(dateFormat),
      eventNames: env.CHANGE_FEED_EVENT_NAMES ?? [],
      identifierFields: env.CHANGE_FEED_IDENTIFIER_FIELDS,
    },
    lookup:
      env.CHANGE_FEED_LOOKUP === 'on'
        ? {
            perRead: env.CHANGE_FEED_LOOKUPS_PER_READ,
            negativeMs: env.CHANGE_FEED_LOOKUP_NEGATIVE_SECONDS * 1_000,
            source: env.CHANGE_FEED_LOOKUP_SOURCE,
            identifierName: env.CHANGE_FEED_LOOKUP_IDENTIFIER,
          }
        : undefined,
  };
}
