import { type CommandContext, EXIT_OK } from '../cli-io.js';

/** `watch remove`: stops watching customers. */
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
  return EXIT_OK;
}
