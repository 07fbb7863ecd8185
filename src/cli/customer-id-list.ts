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
