// The generated docs (event JSON Schema, docs/settings.md's settings table, the CDK context table,
// the tables of constants and of the scale run, and every number a sentence of the README or
// docs/ marks) are what the code and the committed bench result say: regenerated in memory and
// compared with the committed files, so a sentence may be reworded freely but not its number.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/context.js';
import { generatedDocs } from '../../scripts/generated-docs.js';
import { fillValues, type StatedValue } from '../../scripts/inline-values.js';
import { SETTING_SCHEMAS } from '../../src/config/setting-schemas.js';

const committed = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('generated docs', () => {
  it.each(generatedDocs().map((file) => [file.path, file.text]))(
    '%s is up to date (run `npm run schema` and commit the result)',
    (path, text) => {
      expect(committed(path), `${path} is stale: run \`npm run schema\``).toBe(text);
    },
  );

  const generated = (path: string) => {
    const file = generatedDocs().find((doc) => doc.path === path);
    if (file === undefined) throw new Error(`${path} is not generated`);
    return file.text;
  };
  /** The table `npm run schema` writes between `marker`'s start and end in `path`. */
  const table = (path: string, marker: string) => {
    const text = generated(path);
    const from = text.indexOf(`<!-- ${marker}:start -->`);
    const to = text.indexOf(`<!-- ${marker}:end -->`);
    expect(from, `${path} has no ${marker} markers`).toBeGreaterThanOrEqual(0);
    return text
      .slice(from, to)
      .split('\n')
      .filter((line) => line.startsWith('|'));
  };

  it('has a settings row for every setting and a context row for every context key', () => {
    const settings = table('docs/settings.md', 'settings-table');
    for (const name of Object.keys(SETTING_SCHEMAS)) {
      expect(settings.some((line) => line.startsWith(`| \`${name}\` `))).toBe(true);
    }
    const context = table('docs/deploying.md', 'context-table');
    for (const key of CONTEXT_KEYS) {
      expect(context.some((line) => line.startsWith(`| \`${key}\` `))).toBe(true);
    }
  });

  it('states settings defaults and ranges from the schema', () => {
    const row = (name: string) =>
      table('docs/settings.md', 'settings-table').find((line) => line.startsWith(`| \`${name}\` `));
    expect(row('CAPILLARY_TIMEOUT_MS')).toMatch(/\| `10000` +\| 1000 to 120000 +\|/);
    expect(row('LOG_LEVEL')).toMatch(
      /\| `INFO` +\| `DEBUG`, `INFO`, `WARN`, `ERROR`, `SILENT` +\|/,
    );
    expect(row('POLL_CONCURRENCY')).toMatch(/\| sized automatically +\| 1 to 256 +\|/);
  });

  it('pads every column of every generated table to its widest cell, as Biome formats Markdown', () => {
    const tables: [string, string][] = [
      ['docs/settings.md', 'settings-table'],
      ['docs/deploying.md', 'context-table'],
      ['docs/architecture.md', 'constants-table'],
      ['docs/scale.md', 'scale-table'],
      ['docs/scale.md', 'scale-goals'],
    ];
    for (const [path, marker] of tables) {
      const lines = table(path, marker);
      expect(lines.length).toBeGreaterThan(2);
      // Every row as wide as the header, its cells split where the header's are (escaped pipes aside).
      const columns = (line: string) =>
        [...line.replaceAll('\\|', '  ').matchAll(/\|/g)].map((match) => match.index);
      for (const line of lines) {
        expect(line.length, `${path} ${marker}: ${line}`).toBe(lines[0]?.length);
        expect(columns(line)).toEqual(columns(lines[0] as string));
      }
    }
  });

  it('replaces only what lies between the markers: the rest of each file is as committed', () => {
    for (const path of ['docs/settings.md', 'docs/deploying.md']) {
      const text = generated(path);
      const [marker] = path === 'docs/settings.md' ? ['settings-table'] : ['context-table'];
      const before = text.slice(0, text.indexOf(`<!-- ${marker}:start -->`));
      expect(committed(path).startsWith(before)).toBe(true);
    }
  });

  describe('marked numbers', () => {
    const values = new Map<string, StatedValue>(
      [
        { name: 'PER_MESSAGE', value: 25 },
        { name: 'MAX_BYTES', value: 262_144, unit: 'bytes' },
        { name: 'WAIT_MS', value: 300_000, unit: 'ms' },
        { name: 'SHARE', value: 0.2, unit: 'share' },
        { name: 'COST', value: 79.65 },
        { name: 'EVENTS', value: 27_985 },
        { name: 'VERDICT', value: 'missed' },
      ].map((value) => [value.name, value as StatedValue]),
    );
    const mark = (how: string, shown: string) => `<!-- value ${how} -->${shown}<!-- /value -->`;

    it('writes each from its value, in the unit its marker asks, and nothing else', () => {
      const text = [
        `up to ${mark('PER_MESSAGE', '7')} customers, ${mark('MAX_BYTES in KiB', '1')} KiB a request,`,
        `cached ${mark('WAIT_MS in minutes', '1')} minutes, the last ${mark('SHARE in %', '1')}%,`,
        `about $${mark('COST rounded', '1')}, ${mark('EVENTS with commas', '1')} events: ${mark('VERDICT', 'met')}`,
      ].join('\n');
      expect(fillValues(text, values)).toBe(
        [
          `up to ${mark('PER_MESSAGE', '25')} customers, ${mark('MAX_BYTES in KiB', '256')} KiB a request,`,
          `cached ${mark('WAIT_MS in minutes', '5')} minutes, the last ${mark('SHARE in %', '20')}%,`,
          `about $${mark('COST rounded', '80')}, ${mark('EVENTS with commas', '27,985')} events: ${mark('VERDICT', 'missed')}`,
        ].join('\n'),
      );
    });

    it('leaves a marker quoted as code alone', () => {
      const text = `mark it \`${mark('NAME', '…')}\``;
      expect(fillValues(text, values)).toBe(text);
    });

    it('refuses an unknown name, a unit of another kind, and a marker left open', () => {
      expect(() => fillValues(mark('NOPE', '1'), values, 'a.md')).toThrow(
        /a.md marks an unknown value NOPE/,
      );
      expect(() => fillValues(mark('PER_MESSAGE in KiB', '1'), values)).toThrow(
        /PER_MESSAGE \(a count\) cannot be stated in KiB/,
      );
      expect(() => fillValues(mark('WAIT_MS in KiB', '1'), values)).toThrow(/cannot be stated/);
      expect(() => fillValues('<!-- value PER_MESSAGE -->25\n<!-- /value -->', values)).toThrow(
        /without a matching/,
      );
    });
  });
});
