// Peak memory of one poll per hostile answer, against a healthy two-event answer measured in the
// same run. It prints; it asserts nothing (memory on a shared machine is noisy). Run with
// `npm run bench:hostile` (exposes gc, so each case starts from a collected heap).
import { gzipSync } from 'node:zlib';
import { CapillaryClient } from '../src/adapters/capillary/capillary-client.js';
import { closeSharedDispatcher } from '../src/adapters/capillary/capillary-transport.js';
import { isolateWindow } from '../src/domain/detect/poisoned-events.js';
import {
  type Behaviour,
  drip,
  echoHeadersAsHtml,
  HostileCapillary,
  json,
  raw,
  stream,
} from '../test/hostile/hostile-capillary.js';
import { rawEvent, rawEvents } from '../test/support/poller-fixtures.js';

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

function envelope(dataJson: string): Behaviour {
  return raw(200, `{"data":${dataJson},"errors":[]}`, { 'content-type': 'application/json' });
}
const deep = (levels: number, open: string, close: string) =>
  `${open.repeat(levels)}0${close.repeat(levels)}`;

const CASES: [string, () => Behaviour][] = [
  ['baseline: 2 healthy events', () => json(200, { data: rawEvents('1', 1, 2), errors: [] })],
  [
    '50 MB body, announced',
    () => stream({ chunk: Buffer.alloc(65_536, 32), totalBytes: 50 * MB, announce: true }),
  ],
  ['50 MB chunked body', () => stream({ chunk: Buffer.alloc(65_536, 32), totalBytes: 50 * MB })],
  ['endless chunked body', () => stream({ chunk: Buffer.alloc(65_536, 32) })],
  ['slow drip', () => drip(20)],
  ['data nested 100,000 deep', () => envelope(`[${deep(100_000, '[', ']')}]`)],
  [
    'attributes nested 100,000 deep',
    () =>
      envelope(
        `[${JSON.stringify(rawEvent('1', 1)).replace('"additonalAttributes":{', `"additonalAttributes":{"d":${deep(100_000, '{"a":', '}')},`)}]`,
      ),
  ],
  ['invalid UTF-8', () => raw(200, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
  [
    '100,000 events',
    () =>
      envelope(
        `[${Array.from({ length: 100_000 }, (_, n) => `{"uniqueId":"${n}","eventName":"E","date":${n}}`).join(',')}]`,
      ),
  ],
  ['HTML 200', () => echoHeadersAsHtml()],
  ['empty 200', () => raw(200, '')],
  ['data: null', () => json(200, { data: null })],
  [
    '1 MB attributes',
    () => json(200, { data: [rawEvent('1', 1, { attributes: { b: 'x'.repeat(MB) } })] }),
  ],
  [
    '9 MB attributes',
    () => json(200, { data: [rawEvent('1', 1, { attributes: { b: 'x'.repeat(9 * MB) } })] }),
  ],
  ['redirect to 169.254.169.254', () => raw(307, '', { location: 'http://169.254.169.254/' })],
  [
    'gzip bomb (50 MB of zeros)',
    () => raw(200, gzipSync(Buffer.alloc(50 * MB)), { 'content-encoding': 'gzip' }),
  ],
];

async function main(): Promise<void> {
  const capillary = await HostileCapillary.start();
  const client = new CapillaryClient({
    baseUrl: capillary.url,
    credentials: { kind: 'basic', username: 'bench', password: 'bench-password' },
    timeoutMs: 1_000,
    maxAttempts: 1,
    requestsPerSecond: 1_000,
  });
  const rows: Record<string, string | number>[] = [];
  let baseline: { rss: number; heap: number } | undefined;
  for (const [index, [name, behaviour]] of CASES.entries()) {
    const customerId = String(index + 1);
    capillary.on(customerId, behaviour());
    gc?.();
    const start = process.memoryUsage();
    let peakRss = start.rss;
    let peakHeap = start.heapUsed;
    const sample = () => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    };
    const timer = setInterval(sample, 2);
    let outcome: string;
    try {
      const fetched = await client.fetchEvents({ customerId, scope: 'default' });
      const { window, poisoned } = isolateWindow(fetched);
      outcome = `ok: ${window.length} events, ${poisoned.length} set aside`;
    } catch (error) {
      outcome = `failed: ${(error as Error).message.replace(/^.*?\): /, '').slice(0, 60)}`;
    }
    sample();
    clearInterval(timer);
    const rss = (peakRss - start.rss) / MB;
    const heap = (peakHeap - start.heapUsed) / MB;
    baseline ??= { rss, heap };
    rows.push({
      case: name,
      'peak RSS +MB': rss.toFixed(1),
      'peak heap +MB': heap.toFixed(1),
      'heap vs baseline +MB': (heap - baseline.heap).toFixed(1),
      outcome,
    });
  }
  console.log(
    `Peak memory of one poll per hostile answer (gc ${gc ? 'on' : 'off'}; body cap 10 MiB):`,
  );
  console.table(rows);
  await capillary.close();
  await closeSharedDispatcher();
}

await main();
