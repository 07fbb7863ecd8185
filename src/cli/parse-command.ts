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
  | { name: 'dlq-list'; json: boolean }
  | { name: 'dlq-redrive'; limit: number | undefined; dryRun: boolean; json: boolean }
  | { name: 'dlq-purge'; yes: boolean }
  /** `topic` is a command name (`watch-add`), or undefined for the whole tool. */
  | { name: 'help'; topic: string | undefined };

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

const EXIT_CODES = `Exit codes:
  0    done, every customer (or message) fine
  1    something was not done: a customer failed or is not watched, a message stayed parked
  2    bad usage or settings: nothing was done
  130  a second Ctrl-C stopped the command at once (the first one lets a sweep finish)`;

/** One entry per command: its synopsis and what it does, shown by `<command> --help`. */
const COMMANDS: Record<string, { synopsis: string; about: string; options?: string }> = {
  init: { synopsis: 'init', about: 'Creates the DynamoDB table if it is missing.' },
  'watch-add': {
    synopsis: 'watch add <customerId...> [--file ids.txt] [--backfill] [--scope child] [--json]',
    about:
      'Watches customers. Their first poll records what is there (baseline), or emits it all\nwith --backfill. Customers already watched are left as they are.',
    options: `  --file ids.txt   more ids, one per line (# comments and blank lines are skipped)
  --backfill       publish the events already there on the first poll
  --scope child    poll the customer's child events
  --json           print [{customerId, added}] on stdout`,
  },
  'watch-remove': {
    synopsis: 'watch remove <customerId...> [--json]',
    about: 'Stops watching customers (exit 1 if one of them was not watched).',
  },
  'watch-pause': {
    synopsis: 'watch pause <customerId...> [--json]',
    about:
      'Keeps the cursor but skips the customers in sweeps (exit 1 if one of them is not watched).',
  },
  'watch-resume': {
    synopsis: 'watch resume <customerId...> [--json]',
    about:
      'Polls paused customers again; nothing the API still shows is missed (exit 1 if one of\nthem is not watched).',
  },
  'watch-list': {
    synopsis: 'watch list [--json]',
    about:
      'Prints the watched customers on stdout, one per line (or one JSON array with --json),\nwith their last seen event and lag. The count goes to stderr.',
  },
  poll: {
    synopsis: 'poll [--once] [--json]',
    about:
      'Polls every watched customer: once, or every POLL_INTERVAL_SECONDS until Ctrl-C. Ctrl-C\nlets the sweep in flight finish and exits with its code; a second Ctrl-C stops at once (130).',
    options: `  --once   one sweep, then exit
  --json   each sweep's summary as one JSON line on stdout`,
  },
  'dlq-list': {
    synopsis: 'dlq list [--json]',
    about:
      "Prints the events parked in the poller's dead-letter queue (DLQ_URL), oldest first, with\nreason, customer, event name and age. Nothing is removed.",
  },
  'dlq-redrive': {
    synopsis: 'dlq redrive [--limit N] [--dry-run] [--json]',
    about:
      'Publishes parked events again, oldest first, through the configured publisher, and deletes\neach message only once the bus accepted its event. An event still refused stays parked\nwith its new reason (exit 1).',
    options: `  --limit N   redrive at most N events (the oldest)
  --dry-run   say what would be published; publish and delete nothing
  --json      the outcome of each event as one JSON array on stdout`,
  },
  'dlq-purge': {
    synopsis: 'dlq purge --yes',
    about: 'Deletes every parked event for good. --yes is required.',
  },
  help: { synopsis: 'help [command]', about: 'This text, or the help of one command.' },
};

export const USAGE = `Usage: npm run cli -- <command> [options]
       npm run cli -- <command> --help

Commands:
${Object.values(COMMANDS)
  .map(({ synopsis }) => `  ${synopsis}`)
  .join('\n')}

Settings come from environment variables (see README); with none set, everything runs embedded.
Data (events, lists, --json) goes to stdout; logs, summaries and errors go to stderr.

${EXIT_CODES}`;

/** The help of one command (`watch-add`), or of the whole tool. */
export function helpText(topic: string | undefined): string {
  const entry = topic === undefined ? undefined : COMMANDS[topic];
  if (!entry) return USAGE;
  return [
    `Usage: npm run cli -- ${entry.synopsis}`,
    '',
    entry.about,
    ...(entry.options ? ['', 'Options:', entry.options] : []),
    '',
    EXIT_CODES,
  ].join('\n');
}

const OPTIONS = {
  backfill: { type: 'boolean' },
  file: { type: 'string' },
  scope: { type: 'string' },
  json: { type: 'boolean' },
  once: { type: 'boolean' },
  limit: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, string[]> = {
  init: [],
  'watch-add': ['backfill', 'scope', 'json', 'file'],
  'watch-remove': ['json'],
  'watch-pause': ['json'],
  'watch-resume': ['json'],
  'watch-list': ['json'],
  poll: ['once', 'json'],
  'dlq-list': ['json'],
  'dlq-redrive': ['limit', 'dry-run', 'json'],
  'dlq-purge': ['yes'],
  help: [],
};

const GROUPS: Record<string, string[]> = {
  watch: ['add', 'remove', 'pause', 'resume', 'list'],
  dlq: ['list', 'redrive', 'purge'],
};

/** Parses the CLI's arguments; throws `UsageError` listing every problem, or `InvalidCustomerIdError`s. */
export function parseCommand(argv: readonly string[]): Command {
  // No option starts with a digit: `-5` is a (bad) id, reported with the others, not an option.
  const negatives = argv.filter((arg) => /^-\d/.test(arg));
  const {
    values,
    positionals: named,
    tokens,
  } = parseArgs({
    args: argv.filter((arg) => !negatives.includes(arg)),
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: OPTIONS,
  });
  const positionals = [...named, ...negatives];
  const [verb, sub, ...rest] = positionals;
  const grouped = verb !== undefined && verb in GROUPS;
  const name = grouped ? `${verb}-${sub ?? ''}` : (verb ?? 'help');
  const args = grouped ? rest : positionals.slice(1);

  if (values.help === true || name === 'help') {
    const topic = name === 'help' ? args.join('-') || undefined : name;
    return { name: 'help', topic: topic && topic in COMMANDS ? topic : undefined };
  }
  const allowed = ALLOWED[name];
  if (!allowed) {
    throw new UsageError([
      grouped
        ? `unknown ${verb} command ${JSON.stringify(sub ?? '')}: use ${verb} ${(GROUPS[verb] ?? []).join(', ')}`
        : `unknown command ${JSON.stringify(verb)}`,
    ]);
  }

  // Every problem with the options at once, not only the first.
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = OPTIONS[token.name as keyof typeof OPTIONS];
    if (!spec) problems.push(`unknown option ${token.rawName}`);
    else if (!allowed.includes(token.name))
      problems.push(`${token.rawName} does not apply to ${name.replace('-', ' ')}`);
    else if (spec.type === 'string' && token.value === undefined)
      problems.push(`${token.rawName} needs a value`);
    else if (spec.type === 'boolean' && token.inlineValue)
      problems.push(`${token.rawName} takes no value`);
  }
  const takesIds = ['watch-add', 'watch-remove', 'watch-pause', 'watch-resume'].includes(name);
  if (takesIds && args.length === 0 && values.file === undefined)
    problems.push(`${name.replace('-', ' ')} needs at least one customer id`);
  if (!takesIds && args.length > 0) problems.push(`unexpected argument(s): ${args.join(' ')}`);
  if (typeof values.scope === 'string' && values.scope !== 'child') {
    problems.push(`--scope takes only "child" (got ${JSON.stringify(values.scope)})`);
  }
  let limit: number | undefined;
  if (typeof values.limit === 'string') {
    limit = /^\d{1,9}$/.test(values.limit) ? Number(values.limit) : 0;
    if (limit < 1)
      problems.push(
        `--limit takes a whole number of 1 or more (got ${JSON.stringify(values.limit)})`,
      );
  }
  if (name === 'dlq-purge' && values.yes !== true)
    problems.push('dlq purge deletes every parked event for good: add --yes to confirm');
  const invalid = takesIds ? args.filter((id) => !CustomerIdSchema.safeParse(id).success) : [];
  problems.push(...invalid.map((id) => new InvalidCustomerIdError(id).message));
  if (problems.length > 0) throw new UsageError(problems, name);

  const json = values.json === true;
  switch (name) {
    case 'watch-add':
      return {
        name,
        customerIds: unique(args),
        file: typeof values.file === 'string' ? values.file : undefined,
        backfill: values.backfill === true,
        scope: values.scope === 'child' ? 'child' : 'default',
        json,
      };
    case 'watch-remove':
    case 'watch-pause':
    case 'watch-resume':
      return { name, customerIds: unique(args), json };
    case 'watch-list':
    case 'dlq-list':
      return { name, json };
    case 'poll':
      return { name, once: values.once === true, json };
    case 'dlq-redrive':
      return { name, limit, dryRun: values['dry-run'] === true, json };
    case 'dlq-purge':
      return { name, yes: true };
    default:
      return { name: 'init' };
  }
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
