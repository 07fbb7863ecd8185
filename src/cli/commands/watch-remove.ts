import { type CommandContext, EXIT_CUSTOMER_FAILED, EXIT_OK } from '../cli-io.js';

/** `watch remove`: stops watching customers; exit 1 when one of them was not watched. */
export async function runWatchRemove(
  command: { customerIds: string[]; json: boolean },
  { runtime, json, say }: CommandContext,
): Promise<number> {
  const results = [];
  for (const customerId of command.customerIds) {
    const removed = await runtime.store.removeCustomer(customerId);
    results.push({ customerId, removed });
    say(`${customerId}: ${removed ? 'no longer watched' : 'was not watched'}`);
  }
  if (command.json) json(results);
  // Like pause and resume: an id that is not watched is a mistake worth a non-zero exit.
  return results.some((result) => !result.removed) ? EXIT_CUSTOMER_FAILED : EXIT_OK;
}
