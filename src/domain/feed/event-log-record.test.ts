import { describe, expect, it } from 'vitest';
import { EVENT_SUCCESS, parseEventLogPage, readRecord } from './event-log-record.js';

/** The deepest `inputRequest` parsed. */
const MAX_INPUT_REQUEST_DEPTH = 16;

/** The longest `inputRequest` parsed. */
const MAX_INPUT_REQUEST_CHARS = 65_536;

// The two records the reference documents, as Capillary sends them.
const stored = {
  startTime: 1758171830945,
  responseTime: 408,
  orgId: 100737,
  status: 'EVENT_SUCCESS',
  eventName: 'TestBE-Rutuja',
  inputRequest: '{"event_name":"TestBE-Rutuja","String":"naman_doc","customer":"918088369835"}',
  id: 'ff972d37-9c47-4fdd-b956-f57890479305',
  webhookId: '67b62dffb7f5337f8a8237970bd0a467',
  parentOrgId: -1,
  message: 'Event processed successfully',
};
const refused = {
  startTime: 1758113374367,
  responseTime: 163,
  orgId: 100737,
  status: 'NO_CUSTOMER_DETAILS_PASSED',
  eventName: 'Group_User_Event',
  inputRequest:
    '{"event_name":"Group_User_Event","String":"rutuja_capillary","enum":"customerUserGroup","customer":"919970388310"}',
  id: '604c79d5-0be4-4363-b16a-7761fcd51959',
  webhookId: '67b62dffb7f5337f8a8237970bd0a467',
  parentOrgId: -1,
  message: 'Customer details not passed ,User does not belong to group customerUserGroup',
};

describe('a log record', () => {
  it('reads the documented records, extra fields kept', () => {
    const { records, rejected } = parseEventLogPage([stored, refused]);
    expect(rejected).toBe(0);
    expect(records.map((r) => [r.id, r.startTime, r.status])).toEqual([
      [stored.id, stored.startTime, EVENT_SUCCESS],
      [refused.id, refused.startTime, 'NO_CUSTOMER_DETAILS_PASSED'],
    ]);
    expect(records[0]?.webhookId).toBe(stored.webhookId);
  });

  it('gives the customer identifier of a stored event, and nothing for one not stored', () => {
    const [good, bad] = parseEventLogPage([stored, refused]).records;
    expect(readRecord(good as never, ['customer'])).toEqual({
      kind: 'identified',
      identifiers: ['918088369835'],
    });
    expect(readRecord(bad as never, ['customer'])).toEqual({ kind: 'not-stored' });
  });

  it('takes every configured identifier field, numbers as digits, each value once', () => {
    const [record] = parseEventLogPage([
      {
        ...stored,
        inputRequest: JSON.stringify({
          customer: 918088369835,
          email: ' a@b.example ',
          mobile: '918088369835',
        }),
      },
    ]).records;
    expect(readRecord(record as never, ['customer', 'email', 'mobile', 'absent'])).toEqual({
      kind: 'identified',
      identifiers: ['918088369835', 'a@b.example'],
    });
  });

  it('skips an entry without id or startTime on its own, keeping the others', () => {
    const { records, rejected } = parseEventLogPage([
      { ...stored, id: undefined },
      { ...stored, startTime: 'yesterday' },
      null,
      'text',
      { ...stored, id: 'x'.repeat(201) },
      { ...stored, startTime: '1758171830945' },
    ]);
    expect(rejected).toBe(5);
    expect(records.map((r) => r.startTime)).toEqual([1758171830945]);
  });
});

/** A record of a stored event whose POSTed body was `inputRequest`, as the page parser leaves it. */
const storedWith = (inputRequest: unknown) =>
  ({ status: 'EVENT_SUCCESS', inputRequest }) as Parameters<typeof readRecord>[0];

describe('inputRequest, hostile', () => {
  it.each([
    ['missing', undefined, 'missing'],
    ['not JSON', '{"customer": "91', 'not-json'],
    ['a list', '["customer"]', 'not-an-object'],
    ['a number', 42, 'not-an-object'],
    ['too large', `{"customer":"${'9'.repeat(MAX_INPUT_REQUEST_CHARS)}"}`, 'too-large'],
    [
      'too deep',
      `${'['.repeat(MAX_INPUT_REQUEST_DEPTH + 1)}${']'.repeat(MAX_INPUT_REQUEST_DEPTH + 1)}`,
      'too-deep',
    ],
    ['a million brackets', '['.repeat(1_000_000), 'too-large'],
  ])('%s is a problem, never a throw', (_, value, problem) => {
    expect(readRecord(storedWith(value), ['customer'])).toEqual({ kind: 'unidentified', problem });
  });

  it('counts no bracket inside a string toward the depth', () => {
    const input = JSON.stringify({ customer: '9', note: '[[[[[[[[[[[[[[[[[[[[[[[[[[' });
    expect(readRecord(storedWith(input), ['customer', 'note'])).toEqual({
      kind: 'identified',
      identifiers: ['9', '[[[[[[[[[[[[[[[[[[[[[[[[[['],
    });
  });

  it('takes an object as it is (a log that sends the body unencoded)', () => {
    expect(readRecord(storedWith({ customer: '1' }), ['customer'])).toEqual({
      kind: 'identified',
      identifiers: ['1'],
    });
  });

  it('gives no identifier from a value that is an object, empty or too long', () => {
    const [record] = parseEventLogPage([
      {
        ...stored,
        inputRequest: JSON.stringify({ customer: { mobile: '1' }, a: '', b: 'x'.repeat(257) }),
      },
    ]).records;
    expect(readRecord(record as never, ['customer', 'a', 'b'])).toEqual({
      kind: 'unidentified',
      problem: 'no-identifier',
    });
  });
});
