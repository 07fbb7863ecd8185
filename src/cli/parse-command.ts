import { parseArgs } from 'node:util';
import { CustomerIdSchema, type Scope } from '../domain/customer-state.js';
import { InvalidCustomerIdError, PollerError } from '../domain/errors.js';

export type Command =
  | { name: 'init' }
  | {
      name: 'watch-add';
      customerIds: string[];
      /** A file of ids, one per line, added to `customerIds`. */
      file: string | undefined;
      backfill: boolean;
      scope: Scope;
      json: boolean;
    }
  | { name: 'watch-remove'; customerIds: string[]; json: boolean }
  | { name: 'watch-pause' | 'watch-resume'; customerIds: string[]; json: boolean }
  | { name: 'watch-list'; json: boolean }
  | { name: 'poll'; once: boolean; json: boolean }
  | { name: 'help' };

/** Wrong words on the command line. The CLI exits with code 2 on it. */
export class UsageError extends PollerError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'), 'run `npm run cli -- help` for the usage');
  }
}

export const USAGE = `Usage: npm run cli -- <command>

Commands:
  init                                   create the DynamoDB table if it is missing
  watch add <customerId...> [--file ids.txt] [--backfill] [--scope child]
                                         watch customers (first poll records what is there,
                                         or emits it all with --backfill)
  watch remove <customerId...>           stop watching customers
  watch pause <customerId...>            keep the cursor but skip the customer in sweeps
  watch resume <customerId...>           poll paused customers again (nothing missed that the
                                         API still shows)
  watch list [--json]                    watched customers with last seen event and lag
  poll [--once] [--json]                 poll every watched customer (once, or every
                                         POLL_INTERVAL_SECONDS until Ctrl-C)
  help                                   this text

Settings come from environment variables (see README). Exit codes: 0 all customers fine,
1 some customer failed, 2 bad settings or usage.`;

const ALLOWED: Record<string, string[]> = {
  init: [],
  'watch-add': ['backfill', 'scope', 'json', 'file'],
  'watch-remove': ['json'],
  'watch-pause': ['json'],
  'watch-resume': ['json'],
  'watch-list': ['json'],
  poll: ['once', 'json'],
  help: [],
};

/** Parses the CLI's arguments; throws `UsageError` listing every problem, or `InvalidCustomerIdError`s. */
export function parseCommand(argv: readonly string[]): Command {
  // No option starts with a digit: `-5` is a (bad) id, reported with the others, not an option.
  const negatives = argv.filter((arg) => /^-\d/.test(arg));
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv.filter((arg) => !negatives.includes(arg)));
  } catch (error) {
    throw new UsageError([(error as Error).message]);
  }
  const { values } = parsed;
  const positionals = [...parsed.positionals, ...negatives];
  const [verb, sub, ...rest] = positionals;
  const name = verb === 'watch' ? `watch-${sub ?? ''}` : (verb ?? 'help');
  const args = verb === 'watch' ? rest : positionals.slice(1);
  const allowed = ALLOWED[name];
  if (!allowed) {
    throw new UsageError([
      verb === 'watch'
        ? `unknown watch command ${JSON.stringify(sub ?? '')}: use watch add, remove, pause, resume or list`
        : `unknown command ${JSON.stringify(verb)}`,
    ]);
  }
  const problems = Object.keys(values)
    .filter((option) => !allowed.includes(option))
    .map((option) => `--${option} does not apply to ${name.replace('-', ' ')}`);
  const takesIds = ['watch-add', 'watch-remove', 'watch-pause', 'watch-resume'].includes(name);
  if (takesIds && args.length === 0 && values.file === undefined)
    problems.push(`${name.replace('-', ' ')} needs at least one customer id`);
  if (!takesIds && args.length > 0) problems.push(`unexpected argument(s): ${args.join(' ')}`);
  if (values.scope !== undefined && values.scope !== 'child') {
    problems.push(`--scope takes only "child" (got ${JSON.stringify(values.scope)})`);
  }
  const invalid = takesIds ? args.filter((id) => !CustomerIdSchema.safeParse(id).success) : [];
  problems.push(...invalid.map((id) => new InvalidCustomerIdError(id).message));
  if (problems.length > 0) throw new UsageError(problems);

  const json = values.json === true;
  switch (name) {
    case 'watch-add':
      return {
        name,
        customerIds: unique(args),
        file: values.file,
        backfill: values.backfill === true,
        scope: values.scope === 'child' ? 'child' : 'default',
        json,
      };
    case 'watch-remove':
    case 'watch-pause':
    case 'watch-resume':
      return { name, customerIds: unique(args), json };
    case 'watch-list':
      return { name, json };
    case 'poll':
      return { name, once: values.once === true, json };
    case 'init':
      return { name };
    default:
      return { name: 'help' };
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      backfill: { type: 'boolean' },
      file: { type: 'string' },
      scope: { type: 'string' },
      json: { type: 'boolean' },
      once: { type: 'boolean' },
    },
  });
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
