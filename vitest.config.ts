import { configDefaults, defineConfig } from 'vitest/config';

// Pure tests that live under test/ (they read files and import modules, nothing more), and the
// test of the unit project's guard.
const PURE_TESTS_UNDER_TEST = [
  // The Capillary adapter's own tests: its folder keeps its six files of code.
  'test/adapters/capillary/*.test.ts',
  'test/bench/feed-simulation.test.ts',
  'test/bench/scale-simulation.test.ts',
  'test/docs/generated-docs.test.ts',
  'test/docs/where-things-are.test.ts',
  'test/functions/thin-handlers.test.ts',
  'test/support/unit-test-guard.test.ts',
];
// Tests that build the CDK stack: no database.
const INFRA_TESTS = ['test/infra/**/*.test.ts', 'test/docs/deployed-numbers.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep workers to what the machine has so integration tests do not starve.
    maxWorkers: 2,
    // The SDK warns on Node 20 in every worker; the Lambda runs Node 24.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Layers: `npm run test:unit` runs `unit` alone (no Java, no ports, no child processes);
    // `npm test` runs every project.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Every src test is a unit test by default: one that needs a server belongs in test/.
          include: ['src/**/*.test.ts', ...PURE_TESTS_UNDER_TEST],
          // Fails any test that listens on a port, connects out or starts a process.
          setupFiles: ['test/support/unit-test-guard.ts'],
          // Pure tests share no state through modules: one module graph per worker is faster.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: INFRA_TESTS,
          // The stacks most files read, synthesized once for the run (test/infra/shared-stacks.ts).
          globalSetup: ['test/infra/global-setup.ts'],
          // One module graph per worker: aws-cdk-lib is loaded, and its first synthesis warms up,
          // once per worker instead of once per file. The files share no state through modules.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['functions/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...PURE_TESTS_UNDER_TEST, ...INFRA_TESTS],
          // One DynamoDB Local for the run, started only when this project runs.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
