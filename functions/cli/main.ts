#!/usr/bin/env node
// The CLI entry point: wires the process to runCli and maps its result to the exit code.
import { EXIT_INTERRUPTED } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/run-cli.js';

// The AWS SDK warns on every command that it will drop Node 20 in 2027: nothing a user of this
// CLI can act on, and nine lines of noise on stderr. Set before any client is built.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * A terminal's Ctrl-C reaches every process of the foreground group, and `npm start` forwards it to
 * us as well: one key press can arrive twice within milliseconds. A repeat this soon is that echo.
 */
const SAME_PRESS_MS = 1_000;

// The first Ctrl-C asks the command to stop at its next safe point (`poll` finishes the sweep in
// flight and exits with its code); a second one stops at once.
const controller = new AbortController();
let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) {
      if (performance.now() - firstSignalAt < SAME_PRESS_MS) return;
      process.stderr.write(`${signal} again: stopping now\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(
      `${signal}: finishing the work in flight, then exiting (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop at once)\n`,
    );
    firstSignalAt = performance.now();
    controller.abort();
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
