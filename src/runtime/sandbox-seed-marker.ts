import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where `npm start` notes the tables it already gave the sandbox customer. */
const SANDBOX_SEED_MARKER = path.join('.data', 'sandbox-seeded.json');

/**
 * `true` the first time it is asked for `table` (and notes it), `false` after: the sandbox
 * customer is added once per table, so a user who removed it does not get it back on the next
 * poll. Deleting `.data/` starts afresh.
 */
export async function firstSandboxSeed(
  table: string,
  file: string = SANDBOX_SEED_MARKER,
): Promise<boolean> {
  let seeded: string[] = [];
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (Array.isArray(parsed)) seeded = parsed.filter((item) => typeof item === 'string');
  } catch {
    // Missing or unreadable: nothing was noted yet.
  }
  if (seeded.includes(table)) return false;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify([...seeded, table], null, 2)}\n`);
  return true;
}
