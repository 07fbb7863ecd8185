import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS_PATH } from '../adapters/capillary/capillary-urls.js';
import { ConfigErrors } from '../domain/errors.js';
import { loadSettings } from './settings.js';

const problemsOf = (env: NodeJS.ProcessEnv, allowEmbedded = true): string[] => {
  try {
    loadSettings(env, { allowEmbedded });
  } catch (error) {
    if (error instanceof ConfigErrors) return error.problems.map((problem) => problem.message);
    throw error;
  }
  return [];
};

describe('loadSettings', () => {
  it('falls back to embedded services when nothing is configured (CLI)', () => {
    const settings = loadSettings({}, { allowEmbedded: true });
    expect(settings.capillary.baseUrl).toBeUndefined();
    expect(settings.table).toEqual({ name: 'capillary-event-poller', endpoint: 'embedded' });
    expect(settings.events).toMatchObject({ sink: 'stdout', source: 'capillary.events' });
    expect(settings.capillary.eventsPath).toBe(DEFAULT_EVENTS_PATH);
    expect(settings.poll).toMatchObject({ concurrency: 8, seenCapacity: 200, psiMode: 'mask' });
    expect(settings.poll.maxConcurrency).toBeUndefined();
    expect(settings.events.deadLetterMaxMessageBytes).toBe(262_144);
  });

  it('uses each configured service in place of its default', () => {
    const settings = loadSettings(
      {
        CAPILLARY_BASE_URL: 'https://eu.api.capillarytech.com',
        CAPILLARY_USERNAME: 'till',
        CAPILLARY_PASSWORD: 'pw',
        TABLE_NAME: 'cursors',
        EVENT_BUS_NAME: 'capillary',
        POLL_CONCURRENCY: '16',
        CAPILLARY_RPS: '1.5',
      },
      { allowEmbedded: true },
    );
    expect(settings.capillary.baseUrl?.host).toBe('eu.api.capillarytech.com');
    expect(settings.capillary.credentials).toEqual({
      kind: 'basic',
      username: 'till',
      password: 'pw',
    });
    expect(settings.table).toEqual({ name: 'cursors', endpoint: undefined });
    expect(settings.events).toMatchObject({ sink: 'eventbridge', busName: 'capillary' });
    expect(settings.poll.concurrency).toBe(16);
    expect(settings.poll.maxConcurrency).toBe(16);
    expect(settings.capillary.requestsPerSecond).toBe(1.5);
  });

  it('reports every bad value at once, one line each, naming the setting', () => {
    expect(
      problemsOf({
        CAPILLARY_BASE_URL: 'http://eu.api.capillarytech.com',
        EVENT_SOURCE: 'aws.capillary',
        POLL_CONCURRENCY: '0',
        PSI_MODE: 'hide',
        CAPILLARY_EVENTS_PATH: '/v2/events/',
      }),
    ).toEqual([
      'CAPILLARY_BASE_URL: plain http:// is refused for eu.api.capillarytech.com: use https:// (http is allowed for loopback hosts only)',
      'CAPILLARY_EVENTS_PATH: must contain {customerId}',
      'POLL_CONCURRENCY: must be at least 1: at least one customer must be polled at a time',
      'PSI_MODE: must be one of "mask", "drop", "pass"',
      'EVENT_SOURCE: must not start with "aws." (reserved by AWS)',
      // A wrong URL is still a URL given: the credentials it needs are reported too.
      'CAPILLARY_USERNAME: is required with CAPILLARY_AUTH=basic',
      'CAPILLARY_PASSWORD: is required with CAPILLARY_AUTH=basic',
    ]);
  });

  it('allows plain http only to loopback hosts', () => {
    expect(
      problemsOf({
        CAPILLARY_BASE_URL: 'http://127.0.0.1:8080',
        CAPILLARY_USERNAME: 'u',
        CAPILLARY_PASSWORD: 'p',
      }),
    ).toEqual([]);
    expect(problemsOf({ DYNAMODB_ENDPOINT: 'http://10.0.0.5:8000' })[0]).toMatch(
      /^DYNAMODB_ENDPOINT: plain http/,
    );
  });

  it('names the credentials each auth kind needs', () => {
    expect(problemsOf({ CAPILLARY_BASE_URL: 'https://x.test', CAPILLARY_AUTH: 'oauth' })).toEqual([
      'CAPILLARY_CLIENT_KEY: is required with CAPILLARY_AUTH=oauth',
      'CAPILLARY_CLIENT_SECRET: is required with CAPILLARY_AUTH=oauth',
    ]);
    expect(
      problemsOf({
        CAPILLARY_BASE_URL: 'https://x.test',
        CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:c',
      }),
    ).toEqual([]);
    // An unknown kind is reported, and its credentials are checked as oauth's.
    expect(problemsOf({ CAPILLARY_BASE_URL: 'https://x.test', CAPILLARY_AUTH: 'token' })).toEqual([
      'CAPILLARY_AUTH: must be one of "basic", "oauth"',
      'CAPILLARY_CLIENT_KEY: is required with CAPILLARY_AUTH=oauth',
      'CAPILLARY_CLIENT_SECRET: is required with CAPILLARY_AUTH=oauth',
    ]);
  });

  it('requires real services in Lambda, where nothing is embedded', () => {
    expect(problemsOf({}, false)).toEqual([
      'CAPILLARY_BASE_URL: is required here (no sandbox in Lambda)',
      'TABLE_NAME: is required here',
      'EVENT_BUS_NAME: is required here',
    ]);
    // An endpoint is not a name: falling back to a default table or bus would fail later.
    expect(
      problemsOf(
        {
          CAPILLARY_BASE_URL: 'https://x.test',
          CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:c',
          DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
          EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:4010',
        },
        false,
      ),
    ).toEqual(['TABLE_NAME: is required here', 'EVENT_BUS_NAME: is required here']);
  });

  it('never puts a secret value in a problem', () => {
    const problems = problemsOf({
      CAPILLARY_BASE_URL: 'https://x.test',
      CAPILLARY_PASSWORD: 'hunter22',
      SEEN_CAPACITY: 'lots',
    });
    expect(problems.join('\n')).not.toContain('hunter22');
    expect(problems).toContain('SEEN_CAPACITY: must be a whole number');
  });
});
