// The one slow infra test: `npx cdk synth` as an operator runs it, with no AWS credentials and the
// handlers really bundled by esbuild (every other infra test skips bundling). What only it shows:
// cdk.json's app command, the cloud assembly `cdk deploy` reads, the bundles, and that the
// template the other tests synthesize in memory is the one the CLI writes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appTemplate } from './shared-stacks.js';
import { BASE_URL } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the git-ignored cdk.out, apart from what an operator's own synth writes.
const OUT = join(ROOT, 'cdk.out', `.test-synth-${process.pid}`);
/** The bundle (index.mjs) must stay under this: a cold start loads all of it. */
const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;

/**
 * A template without what only the CLI writes (construct paths in each resource's Metadata, CDK's
 * analytics resource and its condition) and with its assets' keys blanked (bundled code here).
 */
function comparable(template: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(template) as {
    Resources: Record<string, { Metadata?: unknown; Properties?: { Code?: { S3Key?: unknown } } }>;
    Conditions?: Record<string, unknown>;
  };
  delete copy.Resources.CDKMetadata;
  delete copy.Conditions?.CDKMetadataAvailable;
  if (copy.Conditions !== undefined && Object.keys(copy.Conditions).length === 0) {
    delete copy.Conditions;
  }
  for (const resource of Object.values(copy.Resources)) {
    delete resource.Metadata;
    if (resource.Properties?.Code?.S3Key !== undefined) resource.Properties.Code.S3Key = 'asset';
  }
  return copy;
}

let result: ReturnType<typeof spawnSync>;
let stdout = '';
let stderr = '';

beforeAll(() => {
  // No AWS_* (credentials, profile, region) and no CDK_* from the calling shell.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_)/.test(name)),
  );
  result = spawnSync(
    'npx',
    // Bare, as the README says: cdk.json carries the default context.
    ['cdk', 'synth', '--no-notices', '--quiet', '-o', OUT],
    {
      cwd: ROOT,
      env: { ...env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      encoding: 'utf8',
      timeout: 170_000,
    },
  );
  stdout = String(result.stdout);
  stderr = String(result.stderr);
}, 180_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('npx cdk synth (offline, no AWS credentials)', () => {
  it('synthesizes the stack, cdk-nag and the default validation rules passing', () => {
    expect({ status: result.status, error: result.error, stderr }).toMatchObject({
      status: 0,
      error: undefined,
    });
    const template = JSON.parse(
      readFileSync(join(OUT, 'CapillaryEventPoller.template.json'), 'utf8'),
    );
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map(
      (resource) => resource.Type,
    );
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::Lambda::Function',
        'AWS::Lambda::EventSourceMapping',
        'AWS::Scheduler::Schedule',
      ]),
    );
    // What `cdk deploy` would deploy: the cloud assembly's manifest lists the poller's stack alone.
    const manifest = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string }>;
    };
    expect(
      Object.entries(manifest.artifacts)
        .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
        .map(([id]) => id),
    ).toEqual(['CapillaryEventPoller']);
    const report = JSON.parse(readFileSync(join(OUT, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
    expect(stdout).toBe('');
    const fn = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(JSON.stringify(fn?.Properties)).toContain(BASE_URL);
  });

  it('writes the template the other tests synthesize in memory, its assets aside', () => {
    const template = JSON.parse(
      readFileSync(join(OUT, 'CapillaryEventPoller.template.json'), 'utf8'),
    );
    expect(comparable(template)).toEqual(comparable(appTemplate()));
  });

  it.each([
    ['scheduler', 'functions/scheduler/handler.ts'],
    ['worker', 'functions/worker/handler.ts'],
    ['change feed', 'functions/change-feed/handler.ts'],
  ])(
    'bundles the %s with esbuild: minified ESM with a source map, small, SDK left out',
    (_name, entry) => {
      const assets = readdirSync(OUT).filter((name) => name.startsWith('asset.'));
      expect(assets).toHaveLength(3);
      const bundles = assets.map((asset) => {
        const dir = join(OUT, asset);
        expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
        const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as {
          sources: string[];
          sourcesContent?: unknown;
        };
        return { dir, map };
      });
      const found = bundles.filter(({ map }) =>
        map.sources.some((source) => source.endsWith(entry)),
      );
      expect(found).toHaveLength(1);
      const { dir, map } = found[0] as (typeof bundles)[number];

      const bundlePath = join(dir, 'index.mjs');
      const size = statSync(bundlePath).size;
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThan(MAX_BUNDLE_BYTES);

      const bundle = readFileSync(bundlePath, 'utf8');
      expect(bundle).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b/);
      expect(bundle).toContain('createRequire');
      // Minified: few, very long lines (legal comments and template literals keep some breaks).
      const lines = bundle.split('\n').length;
      expect(bundle.length / lines).toBeGreaterThan(1000);
      // The runtime provides AWS SDK v3: it may be imported, never bundled.
      expect(bundle).not.toMatch(/from\s*"@aws-lambda-powertools\//);

      expect(map.sourcesContent).toBeUndefined();
      expect(map.sources.filter((source) => source.includes('node_modules/@aws-sdk/'))).toEqual([]);
    },
  );
});
