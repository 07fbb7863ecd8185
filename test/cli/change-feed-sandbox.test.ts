// `npm start` on the built-in sandbox: its org-wide event log is consistent with its events, so the
// change feed learns the sandbox customer's identifier from its own polls and then hints it: a
// poll ahead of the schedule, which the sweep's summary names, and no event published twice.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliRun, shown, startCli } from './cli-process.js';

let cwd: string | undefined;
afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('npm start with the change feed', () => {
  it('says the feed runs, then shows a hinted poll of the sandbox customer', async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'feed-sandbox-'));
    // The shortest feed interval, so a hint comes within a few of the sandbox's events.
    const poller = startCli(['poll'], { cwd, env: { CHANGE_FEED_INTERVAL_SECONDS: '5' } });
    let stopped: CliRun | undefined;
    try {
      await poller.waitForStderr(/customer\(s\) polled \(1 hinted by the change feed\)/);
      expect(poller.stderr()).toContain("• Change feed: the sandbox's org-wide event log");
      poller.child.kill('SIGINT');
      stopped = await poller.done;
      expect(stopped.code, shown(stopped)).toBe(0);
    } finally {
      if (!stopped) poller.child.kill('SIGKILL');
    }
    const entries = stopped.stdout.split('\n').filter((line) => line !== '');
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries).size).toBe(entries.length);
  }, 180_000);
});
