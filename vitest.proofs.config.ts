import { defineConfig } from 'vitest/config';

// The proofs: the real CLI as child processes, killed and raced against each other. Minutes
// long, so they run apart from `npm test` (`npm run proofs`, called by .ci/run).
export default defineConfig({
  test: {
    include: ['test/proofs/**/*.proof.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
