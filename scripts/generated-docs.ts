// Every generated artefact of the docs, computed in memory: `npm run schema` writes them, and
// test/docs/generated-docs.test.ts fails when the committed files differ.
import { readdirSync, readFileSync } from 'node:fs';
import { CONTEXT_KEYS, type ContextKey } from '../infra/context.js';
import { ENVIRONMENT_PROPS } from '../infra/props-validation.js';
import { SETTING_DOCS } from '../src/config/setting-docs.js';
import {
  NUMBER_RULES,
  type NumberSettingName,
  rangeText,
  SETTING_SCHEMAS,
  type SettingName,
  settingDefault,
} from '../src/config/setting-schemas.js';
import { eventDetailJsonSchema } from '../src/domain/publish/event-detail-json-schema.js';
import { constantsRows, settingValues, statedConstants } from './constants-docs.js';
import { CONTEXT_DOCS } from './context-docs.js';
import { fillValues, type StatedValue } from './inline-values.js';
import {
  readScaleResult,
  SCALE_HEADER,
  type ScaleResult,
  scaleGoalRows,
  scaleRows,
  scaleValues,
} from './scale-docs.js';

export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly text: string;
}

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The Markdown files whose marked numbers `npm run schema` writes. */
const MARKDOWN = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(new URL('docs/', root))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The generated tables, by file: each replaces what lies between its markers. */
function tables(scale: ScaleResult): Record<string, Record<string, () => string>> {
  return {
    'docs/scale.md': {
      'scale-table': () => markdownTable(SCALE_HEADER, scaleRows(scale)),
      'scale-goals': () => markdownTable(['goal', 'result', 'measured'], scaleGoalRows(scale)),
    },
    'docs/settings.md': { 'settings-table': settingsTable },
    'docs/deploying.md': { 'context-table': contextTable },
    'docs/architecture.md': {
      'constants-table': () =>
        markdownTable(['constant', 'value', 'in', 'meaning'], constantsRows(root)),
    },
  };
}

/** The files as `npm run schema` writes them, from the files as they are now. */
export function generatedDocs(): GeneratedFile[] {
  const scale = readScaleResult(root);
  const values = new Map<string, StatedValue>();
  for (const stated of [...statedConstants(root), ...settingValues(), ...scaleValues(scale)]) {
    if (values.has(stated.name)) throw new Error(`two values are named ${stated.name}`);
    values.set(stated.name, stated);
  }
  const byFile = tables(scale);
  const markdown = MARKDOWN.map((path) => {
    let text = read(path);
    for (const [marker, table] of Object.entries(byFile[path] ?? {})) {
      text = replaceBetweenMarkers(text, marker, table());
    }
    return { path, text: fillValues(text, values, path) };
  });
  return [
    {
      path: 'docs/event-detail.schema.json',
      text: `${JSON.stringify(eventDetailJsonSchema(), null, 2)}\n`,
    },
    ...markdown,
  ];
}

/**
 * docs/settings.md's table of every setting: name, default, accepted values, what it does.
 */
function settingsTable(): string {
  const rows = (Object.keys(SETTING_SCHEMAS) as SettingName[]).map((name) => [
    `\`${name}\``,
    defaultText(name),
    allowedText(name),
    SETTING_DOCS[name].description,
  ]);
  return markdownTable(['variable', 'default', 'allowed', 'meaning'], rows);
}

/**
 * docs/deploying.md's table of every CDK context key.
 */
function contextTable(): string {
  const keys = Object.keys(CONTEXT_DOCS) as ContextKey[];
  const undocumented = CONTEXT_KEYS.filter((key) => !(key in CONTEXT_DOCS));
  if (undocumented.length > 0) throw new Error(`no CONTEXT_DOCS entry for ${undocumented}`);
  const cdkJson = JSON.parse(read('cdk.json')).context as Record<string, unknown>;
  const rows = keys.map((key) => {
    const doc = CONTEXT_DOCS[key];
    const setting = doc.setting ?? settingOfProp(key);
    const inCdkJson = cdkJson[key];
    const fallback =
      inCdkJson !== undefined
        ? `\`cdk.json\`: \`${String(inCdkJson)}\``
        : (doc.default ?? (setting ? defaultText(setting) : '–'));
    const ranged = doc.range ?? setting;
    return [
      `\`${key}\``,
      fallback,
      doc.allowed ?? (ranged ? allowedText(ranged) : '–'),
      doc.meaning,
    ];
  });
  return markdownTable(['Key', 'Default', 'Allowed', 'Meaning'], rows);
}

/** The setting a context key of the same name as a prop sets on the function, if any. */
function settingOfProp(key: ContextKey): SettingName | undefined {
  return (ENVIRONMENT_PROPS as Record<string, { env: SettingName } | undefined>)[key]?.env;
}

function defaultText(name: SettingName): string {
  const value = settingDefault(name);
  return value === undefined ? (SETTING_DOCS[name].unset ?? '–') : `\`${value}\``;
}

function allowedText(name: SettingName): string {
  if (name in NUMBER_RULES) {
    const rule = NUMBER_RULES[name as NumberSettingName];
    return rule.kind === 'decimal' ? `${rangeText(rule)}, fractions allowed` : rangeText(rule);
  }
  const values = choices(SETTING_SCHEMAS[name]);
  if (values) return values.map((value) => `\`${value}\``).join(', ');
  return SETTING_DOCS[name].allowed ?? 'any';
}

/** The choices of an enum setting, through its `.default()` / `.optional()` wrappers. */
function choices(schema: unknown): string[] | undefined {
  type Def = { type: string; innerType?: { _zod: { def: Def } }; entries?: object };
  let def = (schema as { _zod: { def: Def } })._zod.def;
  while ((def.type === 'default' || def.type === 'optional') && def.innerType) {
    def = def.innerType._zod.def;
  }
  return def.type === 'enum' && def.entries ? Object.values(def.entries).map(String) : undefined;
}

/**
 * A table as Biome formats Markdown: every column padded to its widest cell.
 */
function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = header.map((_, column) =>
    Math.max(3, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [head, ...body] = cells;
  return [
    line(head ?? []),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...body.map(line),
  ].join('\n');
}

/**
 * `text` with what lies between `<!-- marker:start -->` and `<!-- marker:end -->` replaced.
 */
function replaceBetweenMarkers(text: string, marker: string, content: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${start} … ${end} not found`);
  return `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`;
}
