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

it("bundles undici's Agent and request, not its index (fetch, WebSocket, mocks)", () => {
  const undici = bundles.worker.inputs.filter((file) => file.includes('node_modules/undici/'));
  expect(undici).toContain('node_modules/undici/lib/dispatcher/agent.js');
  expect(undici).not.toContain('node_modules/undici/index.js');
  expect(undici.filter((file) => /\/lib\/(mock|cache|web\/websocket)\//.test(file))).toEqual([]);
});
