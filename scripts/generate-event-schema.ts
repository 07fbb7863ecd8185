// Writes docs/event-detail.schema.json from the zod schema, so the contract cannot drift from the code.
import { writeFileSync } from 'node:fs';
import { eventDetailJsonSchema } from '../src/domain/event-detail-json-schema.js';

const target = new URL('../docs/event-detail.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(eventDetailJsonSchema(), null, 2)}\n`);
process.stderr.write(`wrote ${target.pathname}\n`);
