import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './parse-command.js';

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
      once: true,
      json: true,
    });
    expect(parseCommand(['poll'])).toEqual({ name: 'poll', once: false, json: false });
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
      'unknown watch command "purge": use watch add, remove, pause, resume or list',
    ]);
    expect(problems(['watch', 'remove'])).toEqual(['watch remove needs at least one customer id']);
    expect(problems(['poll', '--backfill'])).toEqual(['--backfill does not apply to poll']);
    expect(problems(['watch', 'add', '1', '--scope', 'parent'])).toEqual([
      '--scope takes only "child" (got "parent")',
    ]);
    expect(problems(['poll', '--every', '5'])[0]).toMatch(/Unknown option '--every'/);
  });

  it('shows help with no command', () => {
    expect(parseCommand([])).toEqual({ name: 'help' });
  });
});
