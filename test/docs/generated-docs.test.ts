// The generated docs (event JSON Schema, docs/settings.md's settings table, the CDK context table,
// the tables of constants and of the scale run, and every number a sentence of the README or
// docs/ marks) are what the code and the committed bench result say: regenerated in memory and
// compared with the committed files, so a sentence may be reworded freely but not its number.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/context.js';
import {
  contextTable,
  generatedDocs,
  markdownTable,
  replaceBetweenMarkers,
  settingsTable,
} from '../../scripts/generated-docs.js';
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

  it('has a settings row for every setting and a context row for every context key', () => {
    for (const name of Object.keys(SETTING_SCHEMAS)) {
      expect(settingsTable()).toContain(`| \`${name}\` `);
    }
    for (const key of CONTEXT_KEYS) {
      expect(contextTable()).toContain(`| \`${key}\` `);
    }
  });

  it('states settings defaults and ranges from the schema', () => {
    const row = (name: string) =>
      settingsTable()
        .split('\n')
        .find((line) => line.startsWith(`| \`${name}\` `));
    expect(row('CAPILLARY_TIMEOUT_MS')).toMatch(/\| `10000` +\| 1000 to 120000 +\|/);
    expect(row('LOG_LEVEL')).toMatch(
      /\| `INFO` +\| `DEBUG`, `INFO`, `WARN`, `ERROR`, `SILENT` +\|/,
    );
    expect(row('POLL_CONCURRENCY')).toMatch(/\| sized automatically +\| 1 to 256 +\|/);
  });

  it('replaces only what lies between the markers', () => {
    const doc = 'before\n<!-- t:start -->\nold\n<!-- t:end -->\nafter\n';
    expect(replaceBetweenMarkers(doc, 't', 'new')).toBe(
      'before\n<!-- t:start -->\n\nnew\n\n<!-- t:end -->\nafter\n',
    );
    expect(() => replaceBetweenMarkers('no markers', 't', 'new')).toThrow(/t:start/);
  });

  it('pads every column to its widest cell, as Biome formats Markdown', () => {
    expect(markdownTable(['a', 'bb'], [['ccc', 'd|e']])).toBe(
      ['| a   | bb   |', '| --- | ---- |', '| ccc | d\\|e |'].join('\n'),
    );
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
