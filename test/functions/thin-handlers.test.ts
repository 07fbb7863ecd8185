// The poller's Lambda handlers stay thin: parse the input, take the dependencies built once per
// container, call the domain, map the result. What an invocation's time allows (its deadlines)
// and what the settings allow (the tick's quota, a poll's bound) are the dependency builders'
// (src/runtime/create-lambda-dependencies.ts, `beginTick` and `beginWork`), where their tests are.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const HANDLERS = ['functions/scheduler/handler.ts', 'functions/worker/handler.ts'];

/** A handler's code, its comments left out. */
function codeOf(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8').replace(
    /\/\*[\s\S]*?\*\/|\/\/.*$/gm,
    '',
  );
}

describe.each(HANDLERS)('%s', (path) => {
  const code = codeOf(path);

  it('reads neither the clock nor the time left: its dependencies turn the invocation into deadlines', () => {
    expect(code).not.toMatch(/Date\.now|new Date|getRemainingTimeInMillis/);
  });

  it('computes no deadline or limit: no number but 0, no arithmetic, no setting', () => {
    const numbers = (code.match(/\b\d[\d_.]*/g) ?? []).filter((number) => number !== '0');
    expect(numbers).toEqual([]);
    expect(code).not.toMatch(/\s[-+*/%]\s|\bMath\./);
    expect(code).not.toMatch(/\bsettings\b/);
  });
});
