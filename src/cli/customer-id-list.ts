import { CustomerIdSchema } from '../domain/customer-state.js';
import { InvalidCustomerIdError } from '../domain/errors.js';
import { UsageError } from './parse-command.js';

/**
 * Customer ids from a watchlist file: one per line, blank lines and `#` comments ignored, repeats
 * counted once. Every bad line is reported, with its number, before anything is written.
 */
export function parseCustomerIdList(text: string, source: string): string[] {
  const ids = new Set<string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const value = line.replace(/#.*/, '').trim();
    if (value === '') return;
    if (CustomerIdSchema.safeParse(value).success) ids.add(value);
    else problems.push(`${source}:${index + 1}: ${new InvalidCustomerIdError(value).message}`);
  });
  if (problems.length > 0) throw new UsageError(problems);
  return [...ids];
}

/** Runs `work` over `items` with at most `concurrency` at once, results in input order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
