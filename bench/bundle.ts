/**
 * `npm run bench -- bundle [--json]`: bundles both Lambda handlers with the construct's own esbuild
 * options (infra/lambda-bundling.ts) into a temporary folder, prints each bundle's size by input
 * package, and times importing it against importing only the AWS SDK clients it leaves external
 * (fresh `node` processes, median of several). Goals: under 300 KB, within 1.15× of the SDK alone.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { lambdaEsbuildOptions } from '../infra/lambda-bundling.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS = {
  worker: 'functions/worker/handler.ts',
  scheduler: 'functions/scheduler/handler.ts',
  'webhook-delivery': 'functions/webhook-delivery/handler.ts',
  changeFeed: 'functions/change-feed/handler.ts',
} as const;
const GOAL_BYTES = 300 * 1024;
const GOAL_RATIO = 1.15;
const IMPORT_RUNS = 11;

/** The package a bundled file came from (`@scope/name` or `name`), or `(ours)`. */
function packageOf(file: string): string {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return match?.[1] ?? '(ours)';
}

type HandlerBundle = {
  outfile: string;
  bytes: number;
  sourceMapBytes: number;
  /** The bundled files, relative to the project. */
  inputs: string[];
  /** Bytes in the bundle by input package, largest first. */
  byPackage: [string, number][];
  /** The bundled zod locale files (en is the only one zod loads by itself). */
  zodLocales: string[];
  /** What the bundle imports at run time: the AWS SDK packages and Node built-ins. */
  externals: string[];
};

/** Bundles `entry` as the construct does, into `directory/index.mjs`. */
async function bundleHandler(entry: string, directory: string): Promise<HandlerBundle> {
  const outfile = path.join(directory, 'index.mjs');
  const result = await esbuild.build({
    ...lambdaEsbuildOptions(),
    entryPoints: [path.join(PROJECT_ROOT, entry)],
    outfile,
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'warning',
  });
  const output = result.metafile.outputs[path.relative(PROJECT_ROOT, outfile)];
  if (!output) throw new Error(`esbuild wrote no ${outfile}`);
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const name = packageOf(file);
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
  }
  return {
    outfile,
    bytes: output.bytes,
    sourceMapBytes: (await stat(`${outfile}.map`)).size,
    inputs: Object.keys(output.inputs),
    byPackage: [...byPackage].sort((a, b) => b[1] - a[1]),
    zodLocales: Object.keys(output.inputs).filter((file) =>
      /zod\/.*locales\/[^/]+\.js$/.test(file),
    ),
    externals: [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort(),
  };
}

/**
 * Bundles both handlers into `directory/<name>/index.mjs` (shared with the bundle's test). The
 * bundles import `@aws-sdk/*` at run time, as from the Lambda runtime: here, from our node_modules.
 * @internal test/infra/lambda-bundling.test.ts bundles the handlers the way the bench does.
 */
export async function bundleHandlers(directory: string) {
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(directory, 'node_modules'));
  const bundles: Partial<Record<keyof typeof HANDLERS, HandlerBundle>> = {};
  for (const [name, entry] of Object.entries(HANDLERS) as [keyof typeof HANDLERS, string][]) {
    const folder = path.join(directory, name);
    await mkdir(folder);
    bundles[name] = await bundleHandler(entry, folder);
  }
  return bundles as Record<keyof typeof HANDLERS, HandlerBundle>;
}

/** Milliseconds one fresh `node` spends in `import(file)`, its start-up excluded. */
async function importMs(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    script,
  ]);
  return Number(stdout.trim().split('\n').at(-1));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median import time of the bundle and of its AWS SDK imports alone, runs interleaved. */
async function timeImports(bundle: HandlerBundle) {
  const sdkOnly = path.join(path.dirname(bundle.outfile), 'sdk-clients-only.mjs');
  const sdk = bundle.externals.filter((name) => name.startsWith('@aws-sdk/'));
  await writeFile(sdkOnly, sdk.map((name) => `import '${name}';\n`).join(''));
  const bundleMs: number[] = [];
  const sdkMs: number[] = [];
  for (let run = 0; run < IMPORT_RUNS; run++) {
    sdkMs.push(await importMs(sdkOnly));
    bundleMs.push(await importMs(bundle.outfile));
  }
  return { sdk, bundleMs: median(bundleMs), sdkMs: median(sdkMs) };
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

export async function runBundleBench(options: { json: boolean }): Promise<void> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'bench-bundle-'));
  const report: Record<string, unknown> = {};
  try {
    if (!options.json) {
      console.log(
        `\nLambda bundles (infra/lambda-bundling.ts), import time median of ${IMPORT_RUNS} fresh node processes each`,
      );
    }
    const rows = [];
    for (const [name, bundle] of Object.entries(await bundleHandlers(directory))) {
      const imports = await timeImports(bundle);
      const ratio = imports.bundleMs / imports.sdkMs;
      report[name] = {
        bytes: bundle.bytes,
        sourceMapBytes: bundle.sourceMapBytes,
        byPackage: Object.fromEntries(bundle.byPackage),
        zodLocales: bundle.zodLocales,
        sdkClients: imports.sdk,
        importMs: Math.round(imports.bundleMs),
        sdkOnlyImportMs: Math.round(imports.sdkMs),
        importRatio: Number(ratio.toFixed(2)),
      };
      rows.push({
        handler: name,
        'bundle KB': kb(bundle.bytes),
        [`goal < ${GOAL_BYTES / 1024} KB`]: bundle.bytes < GOAL_BYTES ? 'met' : 'not met',
        'import ms': Math.round(imports.bundleMs),
        'baseline: SDK clients alone ms': Math.round(imports.sdkMs),
        ratio: ratio.toFixed(2),
        [`goal ≤ ${GOAL_RATIO}×`]: ratio <= GOAL_RATIO ? 'met' : 'not met',
      });
      if (!options.json) {
        console.log(
          `\n  ${name}: ${kb(bundle.bytes)} KB (+ ${kb(bundle.sourceMapBytes)} KB source map), by input package:`,
        );
        console.table(
          bundle.byPackage.map(([pkg, bytes]) => ({
            package: pkg,
            KB: kb(bytes),
            share: `${Math.round((100 * bytes) / bundle.bytes)}%`,
          })),
        );
        console.log(`  zod locales: ${bundle.zodLocales.map((f) => path.basename(f)).join(', ')}`);
        console.log(`  SDK clients left to the runtime: ${imports.sdk.join(', ')}`);
      }
    }
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else console.table(rows);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
