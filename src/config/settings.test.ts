import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS_PATH } from '../adapters/capillary/capillary-requests.js';
import { ConfigErrors, IncompleteConfigError } from '../domain/errors.js';
import { type LoadOptions, loadSettings } from './settings.js';

/** Problems of the values alone by default: a command that uses no service. */
const problemsOf = (
  env: NodeJS.ProcessEnv,
  options: LoadOptions = { allowEmbedded: true, uses: [] },
): string[] => {
  try {
    loadSettings(env, options);
  } catch (error) {
    if (error instanceof ConfigErrors) return error.problems.map((problem) => problem.message);
    throw error;
  }
  return [];
};

describe('loadSettings', () => {
  it('falls back to embedded services when nothing is configured (CLI)', () => {
    const settings = loadSettings({}, { allowEmbedded: true, uses: ['capillary', 'table', 'bus'] });
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
      { allowEmbedded: true, uses: ['capillary', 'table', 'bus'] },
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
    expect(problemsOf({}, { allowEmbedded: false })).toEqual([
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
        { allowEmbedded: false },
      ),
    ).toEqual(['TABLE_NAME: is required here', 'EVENT_BUS_NAME: is required here']);
  });

  describe('all or nothing (CLI): real state never meets an embedded stand-in', () => {
    const poll: LoadOptions = {
      allowEmbedded: true,
      uses: ['capillary', 'table', 'bus'],
      command: 'poll',
    };
    const incomplete = (env: NodeJS.ProcessEnv, options: LoadOptions) => {
      try {
        loadSettings(env, options);
      } catch (error) {
        if (!(error instanceof ConfigErrors)) throw error;
        return error.problems.filter((problem) => problem instanceof IncompleteConfigError);
      }
      return [];
    };
    const credentials = { CAPILLARY_USERNAME: 'till', CAPILLARY_PASSWORD: 'pw' };

    it('runs on the embedded defaults when nothing real is set', () => {
      expect(problemsOf({}, poll)).toEqual([]);
    });

    it('refuses a real table with the stdout printer and the sandbox, naming both settings in one problem', () => {
      const [problem, ...rest] = incomplete({ TABLE_NAME: 'cursors' }, poll);
      expect(rest).toEqual([]);
      expect(problem?.missing).toEqual(['CAPILLARY_BASE_URL', 'EVENT_BUS_NAME']);
      expect(problem?.configured).toEqual(['TABLE_NAME']);
      expect(problem?.message).toMatch(
        /^CAPILLARY_BASE_URL, EVENT_BUS_NAME: are required because TABLE_NAME is set: without them, `poll` would poll the built-in sandbox.*print events to stdout.*Set CAPILLARY_BASE_URL and EVENT_BUS_NAME, or unset TABLE_NAME/,
      );
    });

    it('refuses each mix for poll: a forgotten bus, a forgotten Capillary, a forgotten table', () => {
      const missing = (env: NodeJS.ProcessEnv) => incomplete(env, poll)[0]?.missing;
      const url = 'https://eu.api.capillarytech.com';
      expect(missing({ TABLE_NAME: 't-1', CAPILLARY_BASE_URL: url, ...credentials })).toEqual([
        'EVENT_BUS_NAME',
      ]);
      expect(missing({ TABLE_NAME: 't-1', EVENT_BUS_NAME: 'bus' })).toEqual(['CAPILLARY_BASE_URL']);
      expect(missing({ CAPILLARY_BASE_URL: url, ...credentials, EVENT_BUS_NAME: 'bus' })).toEqual([
        'TABLE_NAME',
      ]);
      // An endpoint is real too, and names nothing: the default table or bus would be a guess.
      expect(missing({ DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toEqual([
        'CAPILLARY_BASE_URL',
        'TABLE_NAME',
        'EVENT_BUS_NAME',
      ]);
      expect(
        missing({
          TABLE_NAME: 't-1',
          CAPILLARY_BASE_URL: url,
          ...credentials,
          EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:4010',
        }),
      ).toEqual(['EVENT_BUS_NAME']);
      // A real dead-letter queue would receive the sandbox's events.
      expect(missing({ DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' })).toEqual([
        'CAPILLARY_BASE_URL',
        'TABLE_NAME',
        'EVENT_BUS_NAME',
      ]);
      expect(
        missing({
          TABLE_NAME: 't-1',
          CAPILLARY_BASE_URL: url,
          ...credentials,
          EVENT_BUS_NAME: 'b',
        }),
      ).toBeUndefined();
    });

    it('asks only for what the command uses', () => {
      const table: LoadOptions = { allowEmbedded: true, uses: ['table'] };
      expect(problemsOf({ TABLE_NAME: 'cursors' }, table)).toEqual([]);
      // A real Capillary with the embedded watchlist: the watch would land where no poller looks.
      expect(
        incomplete({ CAPILLARY_BASE_URL: 'https://x.test', ...credentials }, table)[0]?.missing,
      ).toEqual(['TABLE_NAME']);
      const redrive: LoadOptions = { allowEmbedded: true, uses: ['deadLetterQueue', 'bus'] };
      const queue = { DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' };
      expect(incomplete(queue, redrive)[0]?.missing).toEqual(['EVENT_BUS_NAME']);
      expect(problemsOf(queue, { allowEmbedded: true, uses: ['deadLetterQueue'] })).toEqual([]);
    });

    it('reports the mix beside every other problem, in one run', () => {
      expect(problemsOf({ TABLE_NAME: 'cursors', SEEN_CAPACITY: 'lots' }, poll)).toEqual([
        'SEEN_CAPACITY: must be a whole number',
        expect.stringMatching(/^CAPILLARY_BASE_URL, EVENT_BUS_NAME: are required/),
      ]);
    });
  });

  it('refuses an EVENT_SOURCE starting with "aws." whatever its case', () => {
    for (const source of ['aws.capillary', 'AWS.capillary', 'Aws.capillary', 'aWs.x']) {
      expect(problemsOf({ EVENT_SOURCE: source })).toEqual([
        'EVENT_SOURCE: must not start with "aws." (reserved by AWS)',
      ]);
    }
    expect(problemsOf({ EVENT_SOURCE: 'awsome.capillary' })).toEqual([]);
  });

  it("refuses a bus ARN of another region than the client's, naming both regions", () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/capillary';
    expect(problemsOf({ EVENT_BUS_NAME: arn, AWS_REGION: 'us-east-1' })).toEqual([
      "EVENT_BUS_NAME: is a bus in eu-west-1, but AWS_REGION is us-east-1: PutEvents only reaches a bus in the client's region. Set AWS_REGION=eu-west-1, or use a bus in us-east-1",
    ]);
    // Unset AWS_REGION is us-east-1 too.
    expect(problemsOf({ EVENT_BUS_NAME: arn })).toHaveLength(1);
    expect(problemsOf({ EVENT_BUS_NAME: arn, AWS_REGION: 'eu-west-1' })).toEqual([]);
    expect(problemsOf({ EVENT_BUS_NAME: 'capillary', AWS_REGION: 'eu-west-1' })).toEqual([]);
    // The Lambda alike (AWS_REGION is its own region there).
    expect(
      problemsOf(
        {
          CAPILLARY_BASE_URL: 'https://x.test',
          CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:c',
          TABLE_NAME: 'cursors',
          EVENT_BUS_NAME: arn,
          AWS_REGION: 'ap-south-1',
        },
        { allowEmbedded: false },
      ),
    ).toEqual([
      expect.stringMatching(/^EVENT_BUS_NAME: is a bus in eu-west-1, but AWS_REGION is ap-south-1/),
    ]);
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
