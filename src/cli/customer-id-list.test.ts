import { describe, expect, it } from 'vitest';
import { parseCustomerIdentifiers, parseCustomerIdList } from './customer-id-list.js';
import { UsageError } from './parse-command.js';

describe('parseCustomerIdList', () => {
  it('reads one id per line, skipping blanks and comments, counting repeats once', () => {
    const text = '# watchlist\n564590100\n\n  12  # vip\r\n564590100\n';
    expect(parseCustomerIdList(text, 'ids.txt')).toEqual(['564590100', '12']);
  });

  it.each([
    {
      title: 'names every bad line with its number',
      text: '1\nabc\n2\n-3\n',
      problems: [
        'ids.txt:2: invalid customer id "abc": a customer id is 1 to 19 digits (0-9) and nothing else',
        'ids.txt:4: invalid customer id "-3": a customer id is 1 to 19 digits (0-9) and nothing else',
      ],
    },
    {
      title: 'refuses padded ids and ids above the int64 maximum, as the command line does',
      text: '7\n007\n0007\n9999999999999999999\n',
      problems: [
        'ids.txt:2: invalid customer id "007": a customer id has no leading zeros: write 7 (007 and 7 would be two customers)',
        'ids.txt:3: invalid customer id "0007": a customer id has no leading zeros: write 7 (007 and 7 would be two customers)',
        'ids.txt:4: invalid customer id "9999999999999999999": a customer id is at most 9223372036854775807 (the int64 maximum)',
      ],
    },
  ])('$title', ({ text, problems }) => {
    const attempt = () => parseCustomerIdList(text, 'ids.txt');
    expect(attempt).toThrow(UsageError);
    try {
      attempt();
    } catch (error) {
      expect((error as UsageError).problems).toEqual(problems);
    }
  });
});

describe('identifiers in the id file', () => {
  it('are read beside their customer id, the id list unchanged', () => {
    const text = '# id identifier\n564590100 918088369835\n12\n13\tana@example.com # vip\n';
    expect(parseCustomerIdList(text, 'ids.txt')).toEqual(['564590100', '12', '13']);
    expect(parseCustomerIdentifiers(text, 'ids.txt')).toEqual([
      { customerId: '564590100', identifier: '918088369835' },
      { customerId: '13', identifier: 'ana@example.com' },
    ]);
  });

  it('are refused when a line has more, or too long, without showing the identifier', () => {
    const long = `9${'1'.repeat(300)}`;
    const attempt = () => parseCustomerIdentifiers(`1 918088369835 extra\n2 ${long}\n`, 'ids.txt');
    expect(attempt).toThrow(UsageError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('ids.txt:1: expected a customer id and at most one identifier');
    expect(message).toContain('ids.txt:2: the identifier is longer than 256 characters');
    expect(message).not.toContain('918088369835');
    expect(message).not.toContain(long);
  });
});
