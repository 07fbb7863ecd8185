// The real CLI as a child process, for the proofs that kill it or run several side by side.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Settings every child gets: no AWS profile, no colour, the SDK's Node 20 warning off. */
export const BASE_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  NO_COLOR: '1',
};

export interface PollerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** stderr so far (kept short), for failure messages. */
  stderr(): string;
  /** SIGKILL: no cleanup, no last write, as a crash or an OOM kill. */
  kill(): void;
  /** SIGTERM, as Ctrl-C: `poll` finishes its sweep and exits; resolves with the exit code. */
  stop(): Promise<number | string>;
}

/** Starts `tsx functions/cli/main.ts <args>` with `env` and nothing else of this process's. */
export function startPoller(args: string[], env: Record<string, string>): PollerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...BASE_ENV, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    child,
    exited,
    stderr: () => stderr,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the CLI to completion; rejects with its stderr when it exits non-zero. */
export async function runPollerCommand(
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const run = startPoller(args, env);
  const code = await run.exited;
  if (code !== 0) {
    throw new Error(`cli ${args.join(' ')} exited ${String(code)}:\n${run.stderr()}`);
  }
  return run.stderr();
}
