// `npm run schema`: writes every generated artefact (the event JSON Schema, the settings table
// of docs/settings.md, the CDK context table of docs/deploying.md, the table of the code's
// numbers in docs/architecture.md, docs/scale.md's tables of the committed scale run, and every
// number a sentence of the README or docs/ marks), so the docs cannot drift from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { generatedDocs } from './generated-docs.js';

const root = new URL('../', import.meta.url);
for (const { path, text } of generatedDocs()) {
  const target = new URL(path, root);
  if (readFileSync(target, 'utf8') === text) continue;
  writeFileSync(target, text);
  process.stderr.write(`wrote ${path}\n`);
}
