import { describe, expect, it } from 'vitest';
import { COMMAND_TABLE, type CommandSpec } from './command-table.js';

type CommandName = keyof typeof COMMAND_TABLE;

import { helpText } from './help-text.js';
import { parseCommand, UsageError } from './parse-command.js';

const specs: CommandSpec[] = Object.values(COMMAND_TABLE);
const names = Object.keys(COMMAND_TABLE).filter((name) => name !== 'help') as CommandName[];
const flagsIn = (text: string) => new Set(text.match(/--[a-z][a-z-]*/g) ?? []);

/** Every `--word` any help mentions, and every option the table declares. */
const candidates = new Set([
  ...flagsIn([undefined, ...names].map(helpText).join('\n')),
  ...specs.flatMap(({ options }) => Object.keys(options).map((name) => `--${name}`)),
]);
candidates.delete('--help');

/** Whether `parseCommand` takes `flag` for the command, asked the way a user would. */
function accepts(name: CommandName, flag: string): boolean {
  const words = COMMAND_TABLE[name].words.split(' ');
  try {
    parseCommand([...words, `${flag}=1`]);
    return true;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return !error.problems.some(
      (problem) =>
        problem === `unknown option ${flag}` || problem.startsWith(`${flag} does not apply`),
    );
  }
}

describe('help and parsing cannot drift', () => {
  it.each(names)(
    '%s: its usage line and its options list exactly the options it accepts',
    (name) => {
      const accepted = new Set([...candidates].filter((flag) => accepts(name, flag)));
      const [usage = '', ...rest] = helpText(name).split('\n');
      const optionsAt = rest.indexOf('Options:');
      const listed = optionsAt < 0 ? [] : rest.slice(optionsAt + 1, rest.indexOf('', optionsAt));
      expect(flagsIn(usage)).toEqual(accepted);
      expect(new Set(listed.map((line) => line.trim().split(/\s/)[0]))).toEqual(accepted);
    },
  );

  it('the tool help shows every command as its own help does, and --help works for each', () => {
    const tool = helpText(undefined);
    for (const name of names) {
      const usage = helpText(name).split('\n')[0]?.replace('Usage: npm run cli -- ', '');
      expect(tool).toContain(`\n  ${usage}\n`);
      const words = COMMAND_TABLE[name].words.split(' ');
      expect(parseCommand([...words, '--help'])).toEqual({ name: 'help', topic: name });
    }
    expect(tool).toContain('<command> --help');
  });

  it('an option means the same in every command: a switch everywhere or a value everywhere', () => {
    const kinds = new Map<string, Set<boolean>>();
    for (const { options } of specs) {
      for (const [option, { value }] of Object.entries(options)) {
        kinds.set(option, (kinds.get(option) ?? new Set()).add(value === undefined));
      }
    }
    for (const [option, kind] of kinds) expect(kind.size, option).toBe(1);
  });
});

describe('what poll says it does', () => {
  it('polls the due customers, or the named ones now, ahead of their schedule', () => {
    const help = helpText('poll');
    expect(help).toMatch(/^Usage: npm run cli -- poll \[customerId\.\.\.\] /);
    expect(help).toContain('Polls the due customers');
    expect(help).not.toContain('every watched customer');
    expect(help).toContain('polls those customers now, once, ahead of their schedule');
  });
});
