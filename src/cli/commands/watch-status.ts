import { type CommandContext, EXIT_CUSTOMER_FAILED, EXIT_OK } from '../cli-io.js';

/** `watch pause` and `watch resume`. */
export async function runWatchStatus(
  command: { name: 'watch-pause' | 'watch-resume'; customerIds: string[]; json: boolean },
  { runtime, json, say, now }: CommandContext,
): Promise<number> {
  const status = command.name === 'watch-pause' ? 'paused' : 'active';
  const results = [];
  for (const customerId of command.customerIds) {
    const outcome = await runtime.store.setStatus(customerId, status, now.getTime());
    results.push({ customerId, outcome });
    say(`${customerId}: ${outcome}`);
  }
  if (command.json) json(results);
  return results.some((result) => result.outcome === 'not watched')
    ? EXIT_CUSTOMER_FAILED
    : EXIT_OK;
}
