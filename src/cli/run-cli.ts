import type { Settings } from '../config/settings.js';
import { loadSettings } from '../config/settings.js';
import { ConfigError, ConfigErrors, describeError, PollerError } from '../domain/errors.js';
import { createRuntime, type Runtime } from '../runtime/create-runtime.js';
import {
  type CliIo,
  type CommandContext,
  EXIT_CUSTOMER_FAILED,
  EXIT_OK,
  EXIT_USAGE,
} from './cli-io.js';
import type { Command } from './command-table.js';
import { runDlqList, runDlqPurge, runDlqRedrive } from './commands/dlq.js';
import { runInit } from './commands/init.js';
import { runPoll } from './commands/poll.js';
import { runWatchAdd } from './commands/watch-add.js';
import { runWatchList } from './commands/watch-list.js';
import { runWatchRemove } from './commands/watch-remove.js';
import { runWatchStatus } from './commands/watch-status.js';
import { helpText } from './help-text.js';
import { createJsonLogger } from './json-logger.js';
import { parseCommand, UsageError } from './parse-command.js';

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
    settings = loadSettings(io.env, { allowEmbedded: true });
  } catch (error) {
    if (!(error instanceof PollerError)) throw error;
    say(error.message);
    say(`(${error.reason})`);
    return EXIT_USAGE;
  }

  const logger = createJsonLogger(io.stderr, settings.logLevel, secretsOf(settings));
  let runtime: Runtime | undefined;
  try {
    runtime = await createRuntime(settings, {
      logger,
      stdout: io.stdout,
      forPolling: command.name === 'poll',
      forDeadLetters: command.name.startsWith('dlq-'),
    });
    for (const line of runtime.banner) say(line);
    const json = (value: unknown) => io.stdout.write(`${JSON.stringify(value)}\n`);
    return await execute(command, { runtime, settings, io, json, say, now: new Date() });
  } catch (error) {
    say(`error: ${describeError(error)}`);
    if (error instanceof PollerError) say(`(${error.reason})`);
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

function secretsOf(settings: Settings): string[] {
  const credentials = settings.capillary.credentials;
  if (!credentials) return [];
  return credentials.kind === 'basic' ? [credentials.password] : [credentials.clientSecret];
}
