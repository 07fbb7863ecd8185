// How both Lambda functions are bundled: one definition, read by the construct (as NodejsFunction
// bundling options) and by the bundle benchmark (as esbuild options), so what is measured is what
// is deployed.
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** What the construct's CDK runs: `esbuild --bundle --platform=node --format=esm …` to `index.mjs`. */
const LAMBDA_ESBUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // A linked source map for stack traces; without the sources, which would double the artifact.
  sourcemap: true,
  sourcesContent: false,
  // ESM entry points first: they let esbuild tree-shake (zod); CommonJS packages use main.
  mainFields: ['module', 'main'],
  // The runtime ships AWS SDK v3; Powertools, undici, zod and the rest are bundled.
  external: ['@aws-sdk/*'],
  // Bundled CommonJS (undici) calls require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  // Licences stay in node_modules and the lock file; the artifact carries code only.
  legalComments: 'none',
} satisfies BuildOptions;

/** The bundling for `esbuild.build`, without the entry point and outfile. */
export function lambdaEsbuildOptions(): BuildOptions {
  return structuredClone(LAMBDA_ESBUILD);
}

/** The same bundling as the `bundling` of a `NodejsFunction` (local esbuild, never Docker). */
export function lambdaBundlingOptions(): nodejs.BundlingOptions {
  const options = lambdaEsbuildOptions() as typeof LAMBDA_ESBUILD;
  return {
    format: nodejs.OutputFormat.ESM,
    target: options.target,
    minify: options.minify,
    sourceMap: options.sourcemap,
    sourcesContent: options.sourcesContent,
    mainFields: options.mainFields,
    externalModules: options.external,
    banner: options.banner.js,
    esbuildArgs: { '--legal-comments': options.legalComments },
    forceDockerBundling: false,
  };
}
