// The generated docs (event JSON Schema, docs/settings.md's settings table, CDK context table)
// are what the code says: regenerated in memory and compared with the committed files.
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
});
