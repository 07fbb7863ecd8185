import { type CommandContext, EXIT_OK } from '../cli-io.js';

/** `init`: creates the table if it is missing. */
export async function runInit({ runtime, settings, say }: CommandContext): Promise<number> {
  const outcome = await runtime.ensureTable();
  say(`table ${settings.table.name}: ${outcome}`);
  return EXIT_OK;
}
