import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { POLLER_VERSION } from './version.js';

it('stamps the version package.json declares', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(POLLER_VERSION).toBe(manifest.version);
});
