// docs/architecture.md's "Where things are" names the file of each step of the flow; files
// move, so every path it names must exist (a failure here names what moved).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const architecture = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
const section = /^## Where things are\n([\s\S]*?)^## /m.exec(architecture)?.[1] ?? '';
/** Every `code span` that is a path: it has a `/` and is not a URL. */
const paths = [...section.matchAll(/`([^`\s]+)`/g)]
  .map((match) => match[1] ?? '')
  .filter((text) => text.includes('/') && !text.includes('://'));

describe('docs/architecture.md: Where things are', () => {
  it('walks the flow: schedule, workers, poll a customer, detect, publish, save', () => {
    const steps = [...section.matchAll(/^\d\. \*\*([^*]+)\.\*\*/gm)].map((match) => match[1]);
    expect(steps).toEqual(['Schedule', 'Workers', 'Poll a customer', 'Detect', 'Publish', 'Save']);
  });

  it.each(paths)('%s exists', (path) => {
    expect(existsSync(new URL(`../../${path}`, import.meta.url)), `${path} moved`).toBe(true);
  });
});
