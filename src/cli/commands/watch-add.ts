import { readFile } from 'node:fs/promises';
import { newCustomerState, type Scope } from '../../domain/customer-state.js';
import { describeError } from '../../domain/errors.js';
import { type CommandContext, EXIT_OK } from '../cli-io.js';
import { parseCustomerIdentifiers, parseCustomerIdList } from '../customer-id-list.js';
import { UsageError } from '../parse-command.js';

/** From this many ids, `watch add` reports its progress on stderr. */
const PROGRESS_FROM = 1_000;
/** Up to this many ids, `watch add` says what happened to each; beyond, it counts. */
const PER_ID_LINES = 20;

/** `watch add`: watches customers given as arguments and/or in a file. */
export async function runWatchAdd(
  command: {
    customerIds: string[];
    file: string | undefined;
    backfill: boolean;
    scope: Scope;
    json: boolean;
  },
  { runtime, settings, json, say, now }: CommandContext,
): Promise<number> {
  const file = await readIdFile(command.file);
  const customerIds = [
    ...new Set([
      ...command.customerIds,
      ...(file ? parseCustomerIdList(file.text, file.name) : []),
    ]),
  ];
  const identifiers = file ? parseCustomerIdentifiers(file.text, file.name) : [];
  const states = customerIds.map((customerId) =>
    newCustomerState({ customerId, scope: command.scope, backfill: command.backfill }, now),
  );
  let reported = 0;
  const added = await runtime.addCustomers(states, (done) => {
    // A line per tenth for long lists, so a 100,000-id file shows it is moving.
    if (
      states.length >= PROGRESS_FROM &&
      (done - reported >= states.length / 10 || done === states.length)
    ) {
      reported = done;
      say(`watch add: ${done}/${states.length} customer(s) written`);
    }
  });
  const results = customerIds.map((customerId, index) => ({
    customerId,
    added: added[index] === true,
  }));
  const mode = `${command.backfill ? 'backfill' : 'baseline'}, scope ${command.scope}`;
  if (results.length <= PER_ID_LINES) {
    for (const { customerId, added } of results) {
      say(`${customerId}: ${added ? `watching (${mode})` : 'already watched, left as it is'}`);
    }
  } else {
    const added = results.filter((result) => result.added).length;
    say(
      `${added} customer(s) now watched (${mode}); ${results.length - added} already watched, left as they were`,
    );
  }
  if (identifiers.length > 0) {
    // Personal data: the index keeps keyed hashes only, and nothing here shows a value.
    await runtime.learnIdentifiers(identifiers);
    say(`${identifiers.length} identifier(s) stored for the change feed, as keyed hashes`);
    if (settings.table.endpoint !== 'embedded' && settings.identifierKeySecretArn === undefined) {
      // A deployed feed hashes under the stack's key: these would never match its records.
      say(
        'warning: hashed under the local key in .data/ — set IDENTIFIER_KEY_SECRET_ARN (the stack output IdentifierKeySecretArn) so a deployed change feed can match them',
      );
    }
  }
  if (command.json) json(results);
  return EXIT_OK;
}

async function readIdFile(
  file: string | undefined,
): Promise<{ name: string; text: string } | undefined> {
  if (file === undefined) return undefined;
  try {
    return { name: file, text: await readFile(file, 'utf8') };
  } catch (error) {
    throw new UsageError([`--file ${file}: cannot be read (${describeError(error)})`]);
  }
}
