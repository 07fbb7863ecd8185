import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { changeFeedConfig } from './change-feed-settings.js';
import { SETTING_SCHEMAS, type SettingsEnv, settingProblems } from './setting-schemas.js';

const parse = (env: Record<string, string>) => z.object(SETTING_SCHEMAS).parse(env) as SettingsEnv;

describe('the change feed settings', () => {
  it('default to on, every 30 s, a tenth of the quota, half a tick for hints, a backstop of a day, an hour of look-back', () => {
    const config = changeFeedConfig(parse({}));
    expect(config).toEqual({
      enabled: true,
      hintShare: 0.5,
      backstopMs: 86_400_000,
      eventLog: { path: '/v2/events/logs', dateFormat: 'epoch-ms' },
      feed: {
        intervalMs: 30_000,
        lookBackMs: 3_600_000,
        lagMs: 120_000,
        limit: 100,
        // 0.1 × 10 requests/s × 30 s.
        maxRequests: 30,
        minSliceMs: 1_000,
        // Epoch ms: the rest of a full answer starts at its last instant plus 1 ms.
        instantMs: 1,
        eventNames: [],
        identifierFields: ['customer'],
      },
    });
  });

  it('read lists, the switch and the share', () => {
    const config = changeFeedConfig(
      parse({
        CHANGE_FEED: 'off',
        CAPILLARY_RPS: '1.6',
        CHANGE_FEED_MAX_SHARE: '0.05',
        CHANGE_FEED_HINT_MAX_SHARE: '0.2',
        CHANGE_FEED_EVENT_NAMES: 'Viewed, Bought',
        CHANGE_FEED_IDENTIFIER_FIELDS: 'customer,email',
        CHANGE_FEED_DATE_FORMAT: 'datetime',
      }),
    );
    expect(config.enabled).toBe(false);
    expect(config.hintShare).toBe(0.2);
    expect(config.feed).toMatchObject({
      maxRequests: 2,
      eventNames: ['Viewed', 'Bought'],
      identifierFields: ['customer', 'email'],
      minSliceMs: 1_000,
    });
  });

  it('leave the customer lookup off unless asked, then a few per read, forgotten after a day', () => {
    expect(changeFeedConfig(parse({})).lookup).toBeUndefined();
    expect(changeFeedConfig(parse({ CHANGE_FEED_LOOKUP: 'on' })).lookup).toEqual({
      perRead: 5,
      negativeMs: 86_400_000,
      source: 'INSTORE',
      identifierName: 'auto',
    });
    expect(
      changeFeedConfig(
        parse({
          CHANGE_FEED_LOOKUP: 'on',
          CHANGE_FEED_LOOKUPS_PER_READ: '2',
          CHANGE_FEED_LOOKUP_NEGATIVE_SECONDS: '3600',
          CHANGE_FEED_LOOKUP_SOURCE: 'ALL',
          CHANGE_FEED_LOOKUP_IDENTIFIER: 'email',
        }),
      ).lookup,
    ).toEqual({ perRead: 2, negativeMs: 3_600_000, source: 'ALL', identifierName: 'email' });
    expect(settingProblems('CHANGE_FEED_LOOKUPS_PER_READ', '0')[0]).toMatch(
      /at least 1: a read that may ask nothing is CHANGE_FEED_LOOKUP=off/,
    );
    expect(settingProblems('CHANGE_FEED_LOOKUPS_PER_READ', '500')[0]).toMatch(/at most 50/);
    expect(settingProblems('CHANGE_FEED_LOOKUP_SOURCE', 'instore')).toHaveLength(1);
    expect(settingProblems('CHANGE_FEED_LOOKUP_IDENTIFIER', 'phone')).toHaveLength(1);
  });

  it('refuse what cannot work, saying why', () => {
    expect(settingProblems('CHANGE_FEED_EVENT_NAMES', 'a,,b')).toEqual([
      'an empty name between commas',
    ]);
    expect(settingProblems('CHANGE_FEED_PATH', 'v2/events/logs')).toEqual(['must start with /']);
    expect(settingProblems('CHANGE_FEED_MAX_SHARE', '0.9')[0]).toMatch(
      /at most 0.5: the rest of CAPILLARY_RPS/,
    );
    expect(settingProblems('CHANGE_FEED_HINT_MAX_SHARE', '1')[0]).toMatch(
      /at most 0.9: the schedule must keep a share/,
    );
    expect(settingProblems('CHANGE_FEED', 'yes')).toEqual(['must be one of "on", "off"']);
  });
});
