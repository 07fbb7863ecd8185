// How both Lambda functions are bundled: one definition, read by the construct (as NodejsFunction
// bundling options) and by the bundle benchmark (as esbuild options), so what is measured is what
// is deployed.
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

const LAMBDA_BUNDLING = {
  target: 'node24',
  minify: true,
  // A linked source map for stack traces; without the sources, which would double the artifact.
  sourceMap: true,
  sourcesContent: false,
  // ESM entry points first: they let esbuild tree-shake (zod); CommonJS packages use main.
  mainFields: ['module', 'main'],
  // The runtime ships AWS SDK v3; Powertools, undici, zod and the rest are bundled.
  external: ['@aws-sdk/*'],
  // Bundled CommonJS (undici) calls require(); an ES module has none of its own.
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // Licences stay in node_modules and the lock file; the artifact carries code only.
  legalComments: 'none',
} as const;

/** The `bundling` of a `NodejsFunction`: local esbuild, an ES module `index.mjs`. */
export function lambdaBundlingOptions(): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    minify: LAMBDA_BUNDLING.minify,
    sourceMap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    externalModules: [...LAMBDA_BUNDLING.external],
    banner: LAMBDA_BUNDLING.banner,
    esbuildArgs: { '--legal-comments': LAMBDA_BUNDLING.legalComments },
    forceDockerBundling: false,
  };
}

/**
 * The same bundling for `esbuild.build`: what the construct's CDK runs (`esbuild --bundle
 * --platform=node --format=esm --outfile=…/index.mjs …`), without the entry point and outfile.
 */
export function lambdaEsbuildOptions(): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    external: [...LAMBDA_BUNDLING.external],
    banner: { js: LAMBDA_BUNDLING.banner },
    legalComments: LAMBDA_BUNDLING.legalComments,
  };
}
