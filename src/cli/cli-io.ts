import type { Writable } from 'node:stream';
import type { Settings } from '../config/settings.js';
import type { Runtime } from '../runtime/create-runtime.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Data only: published entries (stdout sink) and `--json` output. */
  stdout: Writable;
  /** Everything for people: banner, summaries, logs, errors. */
  stderr: Writable;
  /** Stops `poll` between sweeps (Ctrl-C). */
  signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_CUSTOMER_FAILED = 1;
export const EXIT_USAGE = 2;
/** Exit code of a command stopped at once by a second Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** What every command runs with. */
export interface CommandContext {
  runtime: Runtime;
  settings: Settings;
  io: CliIo;
  /** One JSON value as one line on stdout. */
  json: (value: unknown) => void;
  /** One line for people, on stderr. */
  say: (text: string) => void;
  now: Date;
}
