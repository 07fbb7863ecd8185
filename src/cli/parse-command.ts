import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CustomerIdSchema } from '../domain/customer-state.js';
import { InvalidCustomerIdError, PollerError } from '../domain/errors.js';
import { COMMAND_TABLE, type Command, type CommandSpec, commandSpec } from './command-table.js';

/** Wrong words on the command line. The CLI exits with code 2 on it. */
export class UsageError extends PollerError {
  constructor(
    readonly problems: readonly string[],
    /** The command whose help would have helped, if known. */
    topic?: string,
  ) {
    super(
      problems.join('\n'),
      `run \`npm run cli -- ${topic ? `${topic.replace('-', ' ')} ` : ''}--help\` for the usage`,
    );
  }
}

/** No command at all: the CLI prints the whole usage on stderr and exits 2. */
export class MissingCommandError extends UsageError {
  constructor() {
    super(['no command given']);
  }
}

const SPECS: readonly CommandSpec[] = Object.values(COMMAND_TABLE);

/**
 * Every option of every command, for parseArgs: an option given to the wrong command still takes
 * its value, so `poll --file ids.txt` is one problem ("does not apply"), not two.
 */
const OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  help: { type: 'boolean', short: 'h' },
};
for (const spec of SPECS) {
  for (const [name, option] of Object.entries(spec.options)) {
    OPTIONS[name] = { type: option.value === undefined ? 'boolean' : 'string' };
  }
}

/** `watch` → `add, remove, …`: the first word of two-word commands, with their second words. */
const GROUPS = new Map<string, string[]>();
for (const { words } of SPECS) {
  const [group, sub] = words.split(' ');
  if (group !== undefined && sub !== undefined)
    GROUPS.set(group, [...(GROUPS.get(group) ?? []), sub]);
}

/** Parses the CLI's arguments; throws `UsageError` listing every problem, or `InvalidCustomerIdError`s. */
export function parseCommand(argv: readonly string[]): Command {
  // No option starts with a digit: `-5` is a (bad) id, reported with the others, not an option.
  const negatives = argv.filter((arg) => /^-\d/.test(arg));
  // Not strict: parseArgs would stop at the first problem, and the user should see all of them.
  const { values, positionals, tokens } = parseArgs({
    args: argv.filter((arg) => !negatives.includes(arg)),
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: OPTIONS,
  });
  const [verb, sub, ...rest] = [...positionals, ...negatives];
  const group = verb === undefined ? undefined : GROUPS.get(verb);
  const name = group ? `${verb}-${sub ?? ''}` : (verb ?? 'help');
  const operands = group ? rest : [sub, ...rest].filter((word) => word !== undefined);

  // Bad usage like any other: the usage goes to stderr, and a script that forgot its command fails.
  if (verb === undefined && values.help !== true) throw new MissingCommandError();
  if (values.help === true || name === 'help') {
    return COMMAND_TABLE.help.build({ operands: name === 'help' ? operands : [name], values });
  }
  const spec = commandSpec(name);
  if (!spec) {
    throw new UsageError([
      group
        ? `unknown ${verb} command ${JSON.stringify(sub ?? '')}: use ${verb} ${group.join(', ')}`
        : `unknown command ${JSON.stringify(verb)}`,
    ]);
  }

  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(OPTIONS, token.name) ? OPTIONS[token.name] : undefined;
    if (!option) problems.push(`unknown option ${token.rawName}`);
    else if (!Object.hasOwn(spec.options, token.name))
      problems.push(`${token.rawName} does not apply to ${spec.words}`);
    else if (option.type === 'string' && token.value === undefined)
      problems.push(`${token.rawName} needs a value`);
    else if (option.type === 'boolean' && token.inlineValue)
      problems.push(`${token.rawName} takes no value`);
  }
  const ids = spec.customerIds;
  if (
    ids &&
    !ids.optional &&
    operands.length === 0 &&
    !(ids.unlessOption && values[ids.unlessOption] !== undefined)
  )
    problems.push(`${spec.words} needs at least one customer id`);
  if (!ids && operands.length > 0) problems.push(`unexpected argument(s): ${operands.join(' ')}`);
  for (const [option, { problem }] of Object.entries(spec.options)) {
    const value = values[option];
    const found = problem && typeof value === 'string' ? problem(value) : undefined;
    if (found) problems.push(found);
  }
  if (spec.required && values[spec.required.option] !== true) problems.push(spec.required.problem);
  for (const [option, needed] of Object.entries(spec.needs ?? {})) {
    if (values[option] !== undefined && values[needed] === undefined)
      problems.push(`--${option} goes with --${needed}`);
  }
  const invalid = ids ? operands.filter((id) => !CustomerIdSchema.safeParse(id).success) : [];
  problems.push(...invalid.map((id) => new InvalidCustomerIdError(id).message));
  if (problems.length > 0) throw new UsageError(problems, name);

  return spec.build({ operands: [...new Set(operands)], values });
}
