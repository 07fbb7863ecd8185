// The Lambda bundles as the construct builds them (infra/lambda-bundling.ts): what they contain,
// never how big or fast they are (the bundle benchmark prints that).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandlers } from '../../bench/bundle.js';

let directory: string;
let bundles: Awaited<ReturnType<typeof bundleHandlers>>;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'lambda-bundling-test-'));
  bundles = await bundleHandlers(directory);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each(['worker', 'scheduler', 'webhook-delivery', 'changeFeed'] as const)(
  'the %s bundle',
  (name) => {
    it('leaves the AWS SDK to the Lambda runtime', () => {
      const bundle = bundles[name];
      expect(bundle.inputs.filter((file) => file.includes('node_modules/@aws-sdk/'))).toEqual([]);
      expect(bundle.externals).toContain(
        name === 'webhook-delivery' ? '@aws-sdk/client-sqs' : '@aws-sdk/client-dynamodb',
      );
    });

    it('carries no zod locale but English', () => {
      expect(bundles[name].zodLocales.map((file) => path.basename(file))).toEqual(['en.js']);
    });

    it('loads as an ES module and exports the handler', async () => {
      const module = await import(pathToFileURL(bundles[name].outfile).href);
      expect(typeof module.handler).toBe('function');
    });
  },
);

it('loads no DynamoDB or EventBridge client in the webhook delivery function', () => {
  expect(
    bundles['webhook-delivery'].externals.filter((name) => /dynamodb|eventbridge/.test(name)),
  ).toEqual([]);
});

it('leaves undici out of the scheduler, which never calls Capillary', () => {
  expect(bundles.scheduler.inputs.filter((file) => file.includes('node_modules/undici/'))).toEqual(
    [],
  );
});

// undici is imported by its public entry only (`from 'undici'`), never by its private lib/ paths:
// its index brings fetch, WebSocket, cache and mocks along (CommonJS, so esbuild cannot drop
// them), about 236 KB more per bundle than Agent and request alone (worker 526 KB -> 762 KB,
// `npm run bench -- bundle`), the price of not depending on undici's file layout.
it('bundles undici through its public entry, not its private paths', () => {
  for (const name of ['worker', 'webhook-delivery', 'changeFeed'] as const) {
    // endsWith: a git worktree's node_modules may be a link, and esbuild names the real path.
    expect(bundles[name].inputs.some((file) => file.endsWith('node_modules/undici/index.js'))).toBe(
      true,
    );
  }
});
