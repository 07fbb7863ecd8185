// Runs the real CLI as a child process, the way a terminal does: its own stdout and stderr,
// stdin closed, exactly the environment given (plus PATH and HOME).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'functions/cli/main.ts');
/** tsx by absolute URL, so the CLI can run from any working directory. */
const TSX = import.meta.resolve('tsx');

/**
 * What a CLI child gets besides its settings: PATH and HOME, no AWS profile, no colour. Nothing
 * else of the test's environment leaks in. The one list for every test that spawns the CLI.
 */
const CLI_CHILD_ENV: Readonly<Record<string, string>> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  NO_COLOR: '1',
};

export interface CliRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr contains `text` (rejects if the process ends first). */
  waitForStderr(text: string | RegExp): Promise<void>;
  done: Promise<CliRun>;
}

export interface CliOptions {
  cwd?: string;
  /** Passed as is: nothing of the test's own environment leaks in but PATH and HOME. */
  env?: Record<string, string>;
}

/** Starts the CLI and returns at once. */
export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...CLI_CHILD_ENV, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const waiters: { text: string | RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const found =
        typeof waiter.text === 'string' ? stderr.includes(waiter.text) : waiter.text.test(stderr);
      if (found) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ args, code, signal, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve });
        check();
        void done.then((run) =>
          reject(
            new Error(
              `the CLI ended (${run.code}) before printing ${String(text)}:\n${run.stderr}`,
            ),
          ),
        );
      }),
    done,
  };
}

/** Runs the CLI to its end. */
export function runCliProcess(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** A failure message that shows what the CLI printed. */
export function shown(run: CliRun): string {
  return `${run.args.join(' ')} (exit ${run.code}${run.signal ? `, ${run.signal}` : ''})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}
