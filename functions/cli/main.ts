#!/usr/bin/env node
// The CLI entry point: wires the process to runCli and maps its result to the exit code.
import { runCli } from '../../src/cli/run-cli.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
