import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { CustomerState } from '../../domain/customer-state.js';
import { cursorKey, encodeCursorItem } from './cursor-item.js';
import { CursorStoreError } from './cursor-store-errors.js';
import { callTable } from './cursor-table.js';
import { newScheduleItem } from './schedule-item.js';

/** BatchGetItem reads at most 100 keys, BatchWriteItem writes at most 25 items. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
/** Chunks of 100 ids in flight at once. */
const CHUNKS_IN_FLIGHT = 8;
/** Rounds of retrying what DynamoDB left unprocessed (throttling), with growing pauses. */
const UNPROCESSED_ROUNDS = 8;

export interface BatchAddOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Called after each chunk with how many states were handled so far. */
  onProgress?: (done: number) => void;
  /** Tests: the pause before retrying unprocessed keys or items. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Adds many new customers fast: which already exist is read with BatchGetItem (100 keys a call),
 * the others (cursor and schedule item each) are written with BatchWriteItem (25 items a call),
 * several chunks at once. Returns, per
 * state in order, `true` if it was added and `false` if it was already watched (left as it is).
 *
 * BatchWriteItem takes no condition: a customer added by someone else between the read and the
 * write of its chunk (milliseconds) would be written over by a fresh state. Bulk adds are an
 * operator's command, so that window is accepted for a 100x faster add.
 */
export async function batchAddCustomers(
  states: readonly CustomerState[],
  options: BatchAddOptions,
): Promise<boolean[]> {
  const added: boolean[] = new Array(states.length).fill(false);
  const chunks: number[] = [];
  for (let start = 0; start < states.length; start += GET_BATCH) chunks.push(start);
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const start = chunks[next++] as number;
      const chunk = states.slice(start, start + GET_BATCH);
      const existing = await existingIds(chunk, options);
      const fresh = chunk.filter((state) => !existing.has(state.customerId));
      await writeAll(fresh, options);
      chunk.forEach((state, offset) => {
        added[start + offset] = !existing.has(state.customerId);
      });
      done += chunk.length;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks.length) }, worker));
  return added;
}

async function existingIds(
  chunk: readonly CustomerState[],
  options: BatchAddOptions,
): Promise<Set<string>> {
  const found = new Set<string>();
  let keys: Record<string, AttributeValue>[] = [
    ...new Set(chunk.map((state) => state.customerId)),
  ].map((customerId) => cursorKey(customerId));
  for (let round = 0; keys.length > 0; round++) {
    if (round > 0) await pause(round, options);
    if (round > UNPROCESSED_ROUNDS) throw unprocessed('BatchGetItem', options, chunk[0]);
    const response = await callTable(options, 'BatchGetItem', chunk[0]?.customerId, () =>
      options.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [options.tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: 'customerId',
            },
          },
        }),
      ),
    );
    for (const item of response.Responses?.[options.tableName] ?? []) {
      if (item.customerId?.S) found.add(item.customerId.S);
    }
    keys = response.UnprocessedKeys?.[options.tableName]?.Keys ?? [];
  }
  return found;
}

/** Each new customer is two items: its cursor and its schedule item (due at once). */
async function writeAll(fresh: readonly CustomerState[], options: BatchAddOptions): Promise<void> {
  const now = Date.now();
  const items = fresh.flatMap((state) => [encodeCursorItem(state), newScheduleItem(state, now)]);
  for (let start = 0; start < items.length; start += WRITE_BATCH) {
    const batch = items.slice(start, start + WRITE_BATCH);
    const first = fresh[start / 2];
    let requests: WriteRequest[] = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round > 0) await pause(round, options);
      if (round > UNPROCESSED_ROUNDS) throw unprocessed('BatchWriteItem', options, first);
      const response = await callTable(options, 'BatchWriteItem', first?.customerId, () =>
        options.client.send(
          new BatchWriteItemCommand({ RequestItems: { [options.tableName]: requests } }),
        ),
      );
      requests = response.UnprocessedItems?.[options.tableName] ?? [];
    }
  }
}

function pause(round: number, options: BatchAddOptions): Promise<void> {
  const ms = Math.min(50 * 2 ** round, 2_000);
  return (options.sleep ?? ((wait) => new Promise((resolve) => setTimeout(resolve, wait))))(ms);
}

function unprocessed(
  operation: string,
  options: BatchAddOptions,
  state: CustomerState | undefined,
): CursorStoreError {
  return new CursorStoreError(
    operation,
    options.tableName,
    state?.customerId,
    new Error(`items still unprocessed after ${UNPROCESSED_ROUNDS} retries (throttling)`),
  );
}
