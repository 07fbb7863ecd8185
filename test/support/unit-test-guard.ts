// Setup file of the `unit` vitest project: a unit test needs no port, no network and no process.
// Anything that tries one fails at once with the rule, so a test in the wrong layer is caught
// instead of slowing `npm run test:unit` or needing Java. Such a test belongs in test/ (the
// `integration` or `infra` project).
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

class UnitTestRuleError extends Error {
  constructor(attempt: string) {
    super(
      `unit tests must not ${attempt}: this test needs a port, the network or a process, so it ` +
        'belongs in test/ (the integration or infra vitest project), not in the unit project',
    );
    this.name = 'UnitTestRuleError';
  }
}

function refuse(attempt: string): () => never {
  return () => {
    throw new UnitTestRuleError(attempt);
  };
}

net.Server.prototype.listen = refuse('listen on a port (net.Server.listen)');
net.Socket.prototype.connect = refuse('open a network connection (net.Socket.connect)');
for (const name of [
  'spawn',
  'spawnSync',
  'exec',
  'execSync',
  'execFile',
  'execFileSync',
  'fork',
] as const) {
  Object.assign(childProcess, { [name]: refuse(`start a process (child_process.${name})`) });
}
// `import { spawn } from 'node:child_process'` reads the ESM bindings: copy the patch to them.
syncBuiltinESMExports();
