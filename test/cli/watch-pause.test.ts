// `watch pause` / `watch resume`, run in-process through runCli against DynamoDB Local.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detailOf } from '../support/eventbridge-double.js';
import { rawEvents } from '../support/poller-fixtures.js';
import { useInProcessCli } from './in-process-cli.js';

const harness = useInProcessCli('pause');
const cli = harness.run;
const publishedCustomers = () =>
  harness.eventBridge.accepted.map((entry) => detailOf(entry).customerId);

describe('watch pause and resume', () => {
  it('skips a paused customer in sweeps and catches up on what the API still shows once resumed', async () => {
    harness.capillary.setEvents('71', rawEvents('71', 1, 2));
    harness.capillary.setEvents('72', rawEvents('72', 1, 2));
    expect((await cli('watch', 'add', '71', '72', '--backfill')).code).toBe(0);

    const paused = await cli('watch', 'pause', '72', '--json');
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toEqual([{ customerId: '72', outcome: 'paused' }]);
    expect((await cli('watch', 'pause', '72')).stderr).toContain('72: already paused');

    const poll = await cli('poll', '--once', '--json');
    expect(poll.code).toBe(0);
    expect(JSON.parse(poll.stdout)).toMatchObject({ claimed: 1, polled: 1 });
    expect(new Set(publishedCustomers())).toEqual(new Set(['71']));
    expect(harness.capillary.eventRequests('72')).toHaveLength(0);

    expect((await cli('watch', 'resume', '72')).stderr).toContain('72: active');
    const list = JSON.parse((await cli('watch', 'list', '--json')).stdout);
    expect(list.map((row: { status: string }) => row.status)).toEqual(['active', 'active']);
    harness.eventBridge.reset();
    expect((await cli('poll', '--once', '--json')).code).toBe(0);
    expect(publishedCustomers()).toEqual(['72', '72']);
  });

  it('says which customers are not watched and exits 1', async () => {
    const result = await cli('watch', 'resume', '9999');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('9999: not watched');
  });
});

describe('watch add --file', () => {
  it('adds every id of a watchlist file, and refuses a file with a bad line before writing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ids-'));
    const good = join(dir, 'good.txt');
    const ids = Array.from({ length: 30 }, (_, index) => String(90_000 + index));
    await writeFile(good, `# bulk\n${ids.join('\n')}\n`);
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, '80001\nnot-an-id\n');

    const refused = await cli('watch', 'add', '--file', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bad}:2: invalid customer id "not-an-id"`);

    const added = await cli('watch', 'add', '--file', good, '--json');
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('30 customer(s) now watched (baseline, scope default)');
    expect(JSON.parse(added.stdout)).toHaveLength(30);

    const listed = JSON.parse((await cli('watch', 'list', '--json')).stdout) as {
      customerId: string;
    }[];
    const watched = new Set(listed.map((row) => row.customerId));
    for (const id of ids) expect(watched.has(id)).toBe(true);
    expect(watched.has('80001')).toBe(false);
    expect((await cli('watch', 'add', '--file', join(dir, 'missing.txt'))).code).toBe(2);
  });
});
