import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README is the newcomer's map of the flow: it must name every file here and in the steps'
// folders (as `folder/file.ts`), and only those.
const folder = new URL('./', import.meta.url);
const named = new Set(
  [
    ...readFileSync(new URL('README.md', folder), 'utf8').matchAll(
      /`((?:[a-z-]+\/)?[a-z0-9-]+\.ts)`/g,
    ),
  ].map((match) => match[1]),
);
const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter(
  (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
);

describe('src/domain/README.md', () => {
  it('names every source file of the domain, and no file that is gone', () => {
    expect([...named].sort()).toEqual(files.sort());
  });
});
