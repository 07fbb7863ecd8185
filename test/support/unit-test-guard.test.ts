// The unit project's guard: a unit test that listens, connects or starts a process fails with
// the rule. Runs in the unit project only (vitest.config.ts), where the guard is installed.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';

describe('a unit test that needs more than memory', () => {
  it('cannot listen on a port', () => {
    const server = createServer();
    expect(() => server.listen(0)).toThrow(/unit tests must not listen on a port/);
  });

  it('cannot open a network connection', async () => {
    const connection = fetch('http://127.0.0.1:8765/').catch((error: unknown) => error);
    const failure = (await connection) as Error;
    expect(String(failure.cause)).toMatch(/unit tests must not open a network connection/);
  });

  it('cannot start a process, through the ESM named imports too', () => {
    expect(() => spawn('java', ['-version'])).toThrow(/unit tests must not start a process/);
    expect(() => execFileSync('java', ['-version'])).toThrow(/child_process\.execFileSync/);
  });
});
