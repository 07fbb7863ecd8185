import { EXIT_CUSTOMER_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import { COMMAND_TABLE, type CommandSpec, commandSpec } from './command-table.js';

const EXIT_CODES = [
  'Exit codes:',
  ...(
    [
      [EXIT_OK, 'done, every customer (or message) fine'],
      [
        EXIT_CUSTOMER_FAILED,
        'something was not done: a customer failed or is not watched, a message stayed parked',
      ],
      [EXIT_USAGE, 'bad usage or settings: nothing was done'],
      [
        EXIT_INTERRUPTED,
        'a second Ctrl-C stopped the command at once (the first one lets a sweep finish)',
      ],
    ] as const
  ).map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`),
].join('\n');

/** `--limit N`, or `--json` for a switch. */
const flag = (name: string, value: string | undefined) =>
  value === undefined ? `--${name}` : `--${name} ${value}`;

/** `dlq redrive [--limit N] [--dry-run] [--json]`: a required option is shown without brackets. */
function synopsis(spec: CommandSpec): string {
  const options = Object.entries(spec.options).map(([name, { value }]) =>
    spec.required?.option === name ? flag(name, value) : `[${flag(name, value)}]`,
  );
  return [spec.words, spec.usage, ...options].filter((part) => part !== undefined).join(' ');
}

/** One line per option, the descriptions aligned. */
function optionLines(spec: CommandSpec): string[] {
  const flags = Object.entries(spec.options).map(([name, { value, about }]) => ({
    shown: flag(name, value),
    about,
  }));
  const width = Math.max(...flags.map(({ shown }) => shown.length));
  return flags.map(({ shown, about }) => `  ${shown.padEnd(width)}   ${about}`);
}

const USAGE = `Usage: npm run cli -- <command> [options]
       npm run cli -- <command> --help

Commands:
${Object.values(COMMAND_TABLE)
  .map((spec) => `  ${synopsis(spec)}`)
  .join('\n')}

Settings come from environment variables (see docs/settings.md); with none set, everything runs embedded.
Data (events, lists, --json) goes to stdout; logs, summaries and errors go to stderr.

${EXIT_CODES}`;

/** The help of one command (`watch-add`), or of the whole tool. */
export function helpText(topic: string | undefined): string {
  const spec = topic === undefined ? undefined : commandSpec(topic);
  if (!spec) return USAGE;
  const options = optionLines(spec);
  return [
    `Usage: npm run cli -- ${synopsis(spec)}`,
    '',
    spec.about,
    ...(options.length > 0 ? ['', 'Options:', ...options] : []),
    '',
    EXIT_CODES,
  ].join('\n');
}
