import { describe, expect, it } from 'vitest';
import { MissingCommandError, parseCommand, UsageError } from './parse-command.js';

const problems = (argv: string[]): string[] => {
  try {
    parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('parseCommand', () => {
  it('reads watch add with its options, de-duplicating ids', () => {
    expect(
      parseCommand(['watch', 'add', '12', '34', '12', '--backfill', '--scope', 'child']),
    ).toEqual({
      name: 'watch-add',
      customerIds: ['12', '34'],
      backfill: true,
      scope: 'child',
      json: false,
    });
  });

  it('reads poll, once or repeating', () => {
    expect(parseCommand(['poll', '--once', '--json'])).toEqual({
      name: 'poll',
      customerIds: [],
      once: true,
      json: true,
    });
    expect(parseCommand(['poll'])).toEqual({
      name: 'poll',
      customerIds: [],
      once: false,
      json: false,
    });
  });

  it('reads poll with customer ids: those customers, once', () => {
    expect(parseCommand(['poll', '12', '34', '12'])).toEqual({
      name: 'poll',
      customerIds: ['12', '34'],
      once: true,
      json: false,
    });
    expect(problems(['poll', '12', 'abc'])).toEqual([
      'invalid customer id "abc": a customer id is 1 to 19 digits (0-9) and nothing else',
    ]);
  });

  it('reads poll --webhook: https anywhere, plain http to this machine only', () => {
    const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    for (const url of [
      'http://127.0.0.1:8080/in',
      'http://localhost/in',
      'http://[::1]:9/in',
      'https://hooks.example.com/in',
    ]) {
      expect(parseCommand(['poll', '--webhook', url, '--signing-secret', secret])).toMatchObject({
        name: 'poll',
        webhook: { url: new URL(url), secret },
      });
    }
    expect(parseCommand(['poll', '--webhook', 'http://127.0.0.1/in'])).toMatchObject({
      webhook: { secret: undefined },
    });
    expect(problems(['poll', '--webhook', 'http://10.0.0.5/in'])).toEqual([
      '--webhook: plain http:// is refused for 10.0.0.5: use https:// (http is allowed for loopback hosts only)',
    ]);
    expect(problems(['poll', '--webhook', 'ftp://127.0.0.1/in'])).toEqual([
      '--webhook: unsupported protocol ftp: (use https://)',
    ]);
    expect(problems(['poll', '--signing-secret', secret])).toEqual([
      '--signing-secret goes with --webhook',
    ]);
  });

  it('refuses a command line with no command, so the CLI prints its usage and exits 2', () => {
    for (const argv of [[], ['--json']]) {
      expect(() => parseCommand(argv)).toThrow(MissingCommandError);
    }
  });

  it('refuses every bad customer id before anything runs, naming each', () => {
    expect(problems(['watch', 'add', '1', 'abc', '12 3', '12345678901234567890'])).toEqual([
      'invalid customer id "abc": a customer id is 1 to 19 digits (0-9) and nothing else',
      'invalid customer id "12 3": a customer id is 1 to 19 digits (0-9) and nothing else',
      'invalid customer id "12345678901234567890": a customer id is at most 9223372036854775807 (the int64 maximum)',
    ]);
    // Ids are compared as written: 007 would be a second customer 7, so it is refused.
    expect(problems(['watch', 'add', '7', '007', '9999999999999999999'])).toEqual([
      'invalid customer id "007": a customer id has no leading zeros: write 7 (007 and 7 would be two customers)',
      'invalid customer id "9999999999999999999": a customer id is at most 9223372036854775807 (the int64 maximum)',
    ]);
    // A negative number is a bad id like the others, not an unknown option.
    expect(problems(['watch', 'add', '6', 'abc', '-5'])).toEqual([
      'invalid customer id "abc": a customer id is 1 to 19 digits (0-9) and nothing else',
      'invalid customer id "-5": a customer id is 1 to 19 digits (0-9) and nothing else',
    ]);
  });

  it('explains misuse: unknown commands, options that do not apply, missing ids, bad scope', () => {
    expect(problems(['frobnicate'])).toEqual(['unknown command "frobnicate"']);
    expect(problems(['watch', 'purge'])).toEqual([
      'unknown watch command "purge": use watch add, remove, pause, resume, list',
    ]);
    expect(problems(['watch', 'remove'])).toEqual(['watch remove needs at least one customer id']);
    expect(problems(['poll', '--backfill'])).toEqual(['--backfill does not apply to poll']);
    expect(problems(['watch', 'add', '1', '--scope', 'parent'])).toEqual([
      '--scope takes only "child" (got "parent")',
    ]);
    expect(problems(['poll', '--every', '5'])[0]).toBe('unknown option --every');
  });

  it('reports every unknown or misplaced option at once, not only the first', () => {
    expect(problems(['watch', 'list', '--jsn', '--verbose', '-x', '--once'])).toEqual([
      'unknown option --jsn',
      'unknown option --verbose',
      'unknown option -x',
      '--once does not apply to watch list',
    ]);
    expect(problems(['watch', 'add', '1', '--file'])).toEqual(['--file needs a value']);
    expect(problems(['poll', '--once=yes'])).toEqual(['--once takes no value']);
    // Names an object has by inheritance are no options either.
    expect(problems(['poll', '--constructor', '--toString'])).toEqual([
      'unknown option --constructor',
      'unknown option --toString',
    ]);
  });

  it('shows help for --help or -h anywhere, and for help <command>', () => {
    expect(parseCommand(['--help'])).toEqual({ name: 'help', topic: undefined });
    expect(parseCommand(['-h'])).toEqual({ name: 'help', topic: undefined });
    expect(parseCommand(['watch', 'add', '-h'])).toEqual({ name: 'help', topic: 'watch-add' });
    expect(parseCommand(['dlq', 'redrive', '--help', '--bogus'])).toEqual({
      name: 'help',
      topic: 'dlq-redrive',
    });
    expect(parseCommand(['help', 'poll'])).toEqual({ name: 'help', topic: 'poll' });
  });

  it('reads the dlq commands and refuses a purge without --yes or a bad --limit', () => {
    expect(parseCommand(['dlq', 'list', '--json'])).toEqual({ name: 'dlq-list', json: true });
    expect(parseCommand(['dlq', 'redrive', '--limit', '5', '--dry-run'])).toEqual({
      name: 'dlq-redrive',
      limit: 5,
      dryRun: true,
      json: false,
    });
    expect(parseCommand(['dlq', 'purge', '--yes'])).toEqual({ name: 'dlq-purge', yes: true });
    expect(problems(['dlq', 'purge'])).toEqual([
      'dlq purge deletes every parked event for good: add --yes to confirm',
    ]);
    expect(problems(['dlq', 'redrive', '--limit', '0'])).toEqual([
      '--limit takes a whole number of 1 or more (got "0")',
    ]);
  });
});
