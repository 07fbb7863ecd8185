import { CustomerIdSchema } from '../domain/customer-state.js';
import { InvalidCustomerIdError } from '../domain/errors.js';
import type { IdentifierPair } from '../domain/feed/feed-learning.js';
import { UsageError } from './parse-command.js';

/** The longest identifier accepted (a mobile number, email or external id is far shorter). */
const MAX_IDENTIFIER_CHARS = 256;

/**
 * The lines of a watchlist file: `<customer id>` or `<customer id> <identifier>` (the identifier
 * its events name in the change feed's log, e.g. its mobile number), blank lines and `#` comments
 * ignored. Every bad line is reported, with its number, before anything is written; an identifier
 * is personal data, so no message shows it.
 */
function readLines(text: string, source: string): { customerId: string; identifier?: string }[] {
  const lines: { customerId: string; identifier?: string }[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    const [customerId = '', identifier, ...rest] = fields;
    if (customerId === '') return;
    const where = `${source}:${index + 1}`;
    if (!CustomerIdSchema.safeParse(customerId).success) {
      problems.push(`${where}: ${new InvalidCustomerIdError(customerId).message}`);
    } else if (rest.length > 0) {
      problems.push(
        `${where}: expected a customer id and at most one identifier, separated by spaces`,
      );
    } else if (identifier !== undefined && identifier.length > MAX_IDENTIFIER_CHARS) {
      problems.push(`${where}: the identifier is longer than ${MAX_IDENTIFIER_CHARS} characters`);
    } else {
      lines.push(identifier === undefined ? { customerId } : { customerId, identifier });
    }
  });
  if (problems.length > 0) throw new UsageError(problems);
  return lines;
}

/** Customer ids from a watchlist file, repeats counted once (see `readLines` for the format). */
export function parseCustomerIdList(text: string, source: string): string[] {
  return [...new Set(readLines(text, source).map((line) => line.customerId))];
}

/** The identifiers a watchlist file gives, for the change feed's identifier index. */
export function parseCustomerIdentifiers(text: string, source: string): IdentifierPair[] {
  return readLines(text, source).flatMap(({ customerId, identifier }) =>
    identifier === undefined ? [] : [{ customerId, identifier }],
  );
}
