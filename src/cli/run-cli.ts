import { Writable } from 'node:stream';
import type { Service, Settings } from '../config/settings.js';
import { loadSettings } from '../config/settings.js';
import { ConfigError, ConfigErrors, describeError, PollerError } from '../domain/errors.js';
import { SecretRedactor } from '../domain/redaction.js';
import { createRuntime, type Runtime } from '../runtime/create-runtime.js';
import {
  type CliIo,
  type CommandContext,
  EXIT_CUSTOMER_FAILED,
  EXIT_OK,
  EXIT_USAGE,
} from './cli-io.js';
import { COMMAND_TABLE, type Command } from './command-table.js';
import { runDlqList, runDlqPurge, runDlqRedrive } from './commands/dlq.js';
import { runInit } from './commands/init.js';
import { runPoll, webhookTarget } from './commands/poll.js';
import { runWatchAdd } from './commands/watch-add.js';
import { runWatchList } from './commands/watch-list.js';
import { runWatchRemove } from './commands/watch-remove.js';
import { runWatchStatus } from './commands/watch-status.js';
import { helpText } from './help-text.js';
import { createJsonLogger } from './json-logger.js';
import { MissingCommandError, parseCommand, UsageError } from './parse-command.js';

/**
 * What each command works with. Once anything real is configured, each of these must be real too
 * (loadSettings refuses the rest): `watch list` on a real table needs no bus, `dlq redrive` of a
 * real queue needs a real bus but no table, `poll` needs all three. The dead-letter queue stays
 * optional for `poll`, as it is in Lambda.
 */
const SERVICES_USED: Record<Exclude<Command['name'], 'help'>, readonly Service[]> = {
  init: ['table'],
  'watch-add': ['table'],
  'watch-remove': ['table'],
  'watch-pause': ['table'],
  'watch-resume': ['table'],
  'watch-list': ['table'],
  poll: ['capillary', 'table', 'bus'],
  'dlq-list': ['deadLetterQueue'],
  'dlq-purge': ['deadLetterQueue'],
  'dlq-redrive': ['deadLetterQueue', 'bus'],
};

/**
 * `poll --webhook` delivers to its endpoint instead of the bus; `dlq … --webhook` works on that
 * webhook's queues alone (`WEBHOOK_QUEUES`, which the command checks itself).
 */
function servicesUsed(command: Exclude<Command, { name: 'help' }>): readonly Service[] {
  if (command.name === 'poll' && command.webhook) return ['capillary', 'table'];
  if (command.name.startsWith('dlq-') && 'webhook' in command && command.webhook) return [];
  return SERVICES_USED[command.name];
}

/** Runs one CLI command and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  let command: Command;
  let settings: Settings;
  try {
    command = parseCommand(argv);
    if (command.name === 'help') {
      io.stdout.write(`${helpText(command.topic)}\n`);
      return EXIT_OK;
    }
    settings = loadSettings(io.env, {
      allowEmbedded: true,
      uses: servicesUsed(command),
      command: COMMAND_TABLE[command.name].words,
    });
  } catch (error) {
    if (!(error instanceof PollerError)) throw error;
    if (error instanceof MissingCommandError) say(`${helpText(undefined)}\n`);
    say(error.message);
    say(`(${error.reason})`);
    return EXIT_USAGE;
  }

  // One secret registry for the process: the credentials now, the OAuth tokens once the Capillary
  // client has them. Everything the commands show and log goes through it; published events do not.
  const redactor = new SecretRedactor();
  if (settings.capillary.credentials) redactor.addCredentials(settings.capillary.credentials);
  const redact = (text: string) => redactor.redact(text);
  const shown: CliIo = {
    ...io,
    stdout: redactingStream(io.stdout, redact),
    stderr: redactingStream(io.stderr, redact),
  };
  const show = (text: string) => shown.stderr.write(`${text}\n`);
  const logger = createJsonLogger(io.stderr, settings.logLevel, redact);
  const webhook = command.name === 'poll' ? webhookTarget(command.webhook) : undefined;
  // A secret given on the command line is never shown; one made for this run is, once, below.
  if (webhook && !webhook.secretShown) redactor.add(webhook.secret);
  let runtime: Runtime | undefined;
  try {
    runtime = await createRuntime(settings, {
      logger,
      redactor,
      stdout: io.stdout,
      forPolling: command.name === 'poll',
      forDeadLetters: command.name.startsWith('dlq-'),
      webhook,
    });
    for (const line of runtime.banner) show(line);
    if (webhook?.secretShown) redactor.add(webhook.secret);
    const json = (value: unknown) => shown.stdout.write(`${JSON.stringify(value)}\n`);
    return await execute(command, {
      runtime,
      settings,
      io: shown,
      json,
      say: show,
      now: new Date(),
    });
  } catch (error) {
    show(`error: ${describeError(error)}`);
    if (error instanceof PollerError) show(`(${error.reason})`);
    const usage =
      error instanceof UsageError || error instanceof ConfigError || error instanceof ConfigErrors;
    return usage ? EXIT_USAGE : EXIT_CUSTOMER_FAILED;
  } finally {
    await runtime?.close();
  }
}

function execute(
  command: Exclude<Command, { name: 'help' }>,
  context: CommandContext,
): Promise<number> {
  switch (command.name) {
    case 'init':
      return runInit(context);
    case 'watch-add':
      return runWatchAdd(command, context);
    case 'watch-remove':
      return runWatchRemove(command, context);
    case 'watch-pause':
    case 'watch-resume':
      return runWatchStatus(command, context);
    case 'watch-list':
      return runWatchList(command, context);
    case 'poll':
      return runPoll(command, context);
    case 'dlq-list':
      return runDlqList(command, context);
    case 'dlq-redrive':
      return runDlqRedrive(command, context);
    case 'dlq-purge':
      return runDlqPurge(command, context);
  }
}

/** Writes through `stream` with `redact` applied to each write (each is one or more whole lines). */
function redactingStream(stream: Writable, redact: (text: string) => string): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      stream.write(redact(chunk.toString()));
      done();
    },
  });
}
