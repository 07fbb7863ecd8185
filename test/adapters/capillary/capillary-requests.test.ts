import { describe, expect, it } from 'vitest';
import { InsecureCapillaryUrlError } from '../../../src/adapters/capillary/capillary-errors.js';
import {
  checkBaseUrl,
  checkEventsPath,
  eventLogUrl,
  eventsUrl,
  tokenUrl,
} from '../../../src/adapters/capillary/capillary-requests.js';
import { ConfigError } from '../../../src/domain/errors.js';

const base = new URL('https://eu.api.capillarytech.com');
const DEFAULT = '/v2/events/event_data/?userId={customerId}';

describe('eventsUrl', () => {
  it('builds the default request', () => {
    expect(eventsUrl(base, DEFAULT, '564590100', 'default').href).toBe(
      'https://eu.api.capillarytech.com/v2/events/event_data/?userId=564590100',
    );
  });

  it('appends scope=child only for child customers', () => {
    expect(eventsUrl(base, DEFAULT, '1', 'child').search).toBe('?userId=1&scope=child');
    expect(eventsUrl(base, '/v2/customers/{customerId}/events', '1', 'child').href).toBe(
      'https://eu.api.capillarytech.com/v2/customers/1/events?scope=child',
    );
    expect(eventsUrl(base, '/x?', '1', 'child').search).toBe('?scope=child');
  });

  it('URL-encodes the substituted value in the query and in the path', () => {
    const nasty = 'a b/c?d&e=f#g%';
    const encoded = 'a%20b%2Fc%3Fd%26e%3Df%23g%25';
    expect(eventsUrl(base, DEFAULT, nasty, 'default').search).toBe(`?userId=${encoded}`);
    const inPath = eventsUrl(base, '/v2/customers/{customerId}/events', nasty, 'child');
    expect(inPath.pathname).toBe(`/v2/customers/${encoded}/events`);
    expect(inPath.search).toBe('?scope=child');
    expect(inPath.hash).toBe('');
  });

  it('keeps a path prefix of the base URL', () => {
    const prefixed = new URL('https://gateway.example.com/capillary/');
    expect(eventsUrl(prefixed, DEFAULT, '7', 'default').href).toBe(
      'https://gateway.example.com/capillary/v2/events/event_data/?userId=7',
    );
    expect(tokenUrl(prefixed).href).toBe(
      'https://gateway.example.com/capillary/v3/oauth/token/generate',
    );
  });
});

describe('checkBaseUrl / checkEventsPath', () => {
  it('allows https anywhere and http on loopback only', () => {
    expect(checkBaseUrl(base)).toBe(base);
    expect(() => checkBaseUrl(new URL('http://127.0.0.1:8080'))).not.toThrow();
    expect(() => checkBaseUrl(new URL('http://localhost:8080'))).not.toThrow();
    expect(() => checkBaseUrl(new URL('http://[::1]:8080'))).not.toThrow();
    expect(() => checkBaseUrl(new URL('http://eu.api.capillarytech.com'))).toThrow(
      InsecureCapillaryUrlError,
    );
    expect(() => checkBaseUrl(new URL('ftp://eu.api.capillarytech.com'))).toThrow(ConfigError);
    expect(() => checkBaseUrl(new URL('https://till:pw@eu.api.capillarytech.com'))).toThrow(
      /must not contain a user name or password/,
    );
  });

  it('requires a path template with {customerId}', () => {
    expect(() => checkEventsPath('/v2/events')).toThrow(ConfigError);
    expect(() => checkEventsPath('v2/{customerId}')).toThrow(ConfigError);
    expect(checkEventsPath(DEFAULT)).toBe(DEFAULT);
  });
});

const logBase = new URL('https://eu.api.capillarytech.com/prefix/');
const query = { fromMs: 1_758_171_830_945, toMs: 1_758_171_890_001, limit: 100 };

describe('the event log URL', () => {
  it('writes epoch ms by default, after the base path, every value encoded', () => {
    const url = eventLogUrl(
      logBase,
      '/v2/events/logs',
      { ...query, eventName: 'Cart & Co' },
      'epoch-ms',
    );
    expect(url.href).toBe(
      'https://eu.api.capillarytech.com/prefix/v2/events/logs?event_name=Cart%20%26%20Co&from_date=1758171830945&to_date=1758171890001&limit=100',
    );
  });

  it('widens a slice to what a coarser format can say', () => {
    const at = (format: Parameters<typeof eventLogUrl>[3]) => {
      const params = eventLogUrl(logBase, '/v2/events/logs?org=1', query, format).searchParams;
      return [params.get('org'), params.get('from_date'), params.get('to_date')];
    };
    expect(at('epoch-seconds')).toEqual(['1', '1758171830', '1758171891']);
    expect(at('iso')).toEqual(['1', '2025-09-18T05:03:50.945Z', '2025-09-18T05:04:50.001Z']);
    expect(at('datetime')).toEqual(['1', '2025-09-18 05:03:50', '2025-09-18 05:04:51']);
  });
});
