import { readFile } from 'node:fs/promises';
import { newCustomerState, type Scope } from '../../domain/customer-state.js';
import { describeError } from '../../domain/errors.js';
import { type CommandContext, EXIT_OK } from '../cli-io.js';
import { parseCustomerIdList } from '../customer-id-list.js';
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
  { runtime, json, say, now }: CommandContext,
): Promise<number> {
  const customerIds = [...new Set([...command.customerIds, ...(await idsFromFile(command.file))])];
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
  if (command.json) json(results);
  return EXIT_OK;
}

async function idsFromFile(file: string | undefined): Promise<string[]> {
  if (file === undefined) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError([`--file ${file}: cannot be read (${describeError(error)})`]);
  }
  return parseCustomerIdList(text, file);
}
