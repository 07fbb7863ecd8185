import { createHmac } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { CustomerIdSchema } from '../../domain/customer-state.js';
import type { IdentifierPair } from '../../domain/feed/feed-learning.js';
import type { IdentifierIndex } from '../../domain/ports.js';
import { CursorStoreError } from './cursor-store-errors.js';
import { type CursorTable, callTable } from './cursor-table.js';
import { markFeedCovered } from './feed-coverage.js';
import { parseItem } from './parse-item.js';

/*
 * Identifier item: one per known identifier value, key `ident#<hmac>`, where <hmac> is the
 * HMAC-SHA256 (hex) of the value under the deployment's key. The value itself (a mobile number,
 * an email) is never stored nor logged: without the key, an item cannot be tied to a person.
 *
 *   customerId         S   `ident#<64 hex>`
 *   watchedCustomerId  S   the watched customer's id
 *   learnedAt          N   epoch ms
 */

const IDENT_PREFIX = 'ident#';
/** BatchGetItem reads at most 100 keys, BatchWriteItem writes at most 25 items. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
const UNPROCESSED_ROUNDS = 8;
/** Shorter keys make the hash guessable by brute force over a few million phone numbers. */
const MIN_KEY_BYTES = 32;

const IdentifierItemSchema = z.object({
  customerId: z.string().startsWith(IDENT_PREFIX),
  watchedCustomerId: CustomerIdSchema,
});

/** The watched customer an `ident#` item ties to, `undefined` for any other item (a `watch list` scan). */
export function identifiedCustomerOf(item: Record<string, AttributeValue>): string | undefined {
  const key = item.customerId?.S;
  const watched = item.watchedCustomerId?.S;
  return key?.startsWith(IDENT_PREFIX) && watched !== undefined ? watched : undefined;
}

export interface DynamoDbIdentifierIndexOptions extends CursorTable {
  /** The deployment's HMAC key (at least 32 bytes), from Secrets Manager or `.data/` locally. */
  hashKey: Buffer;
  now?: () => number;
  /** Tests: the pause before retrying unprocessed keys or items. */
  sleep?: (ms: number) => Promise<void>;
}

/** The identifier index in the cursor table: keyed hashes of identifier values to watched customers. */
export class DynamoDbIdentifierIndex implements IdentifierIndex {
  readonly #table: CursorTable;
  readonly #hashKey: Buffer;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoDbIdentifierIndexOptions) {
    if (options.hashKey.length < MIN_KEY_BYTES) {
      throw new RangeError(`the identifier hash key must be at least ${MIN_KEY_BYTES} bytes`);
    }
    this.#table = { client: options.client, tableName: options.tableName };
    this.#hashKey = options.hashKey;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** `ident#<hmac>` of a value: trimmed; an email (with `@`) lower-cased. */
  private key(identifier: string): string {
    const trimmed = identifier.trim();
    const normal = trimmed.includes('@') ? trimmed.toLowerCase() : trimmed;
    return `${IDENT_PREFIX}${createHmac('sha256', this.#hashKey).update(normal, 'utf8').digest('hex')}`;
  }

  async resolve(identifiers: readonly string[]): Promise<Map<string, string>> {
    const byKey = new Map<string, string[]>();
    for (const identifier of new Set(identifiers)) {
      const key = this.key(identifier);
      byKey.set(key, [...(byKey.get(key) ?? []), identifier]);
    }
    const found = new Map<string, string>();
    const keys = [...byKey.keys()];
    for (let start = 0; start < keys.length; start += GET_BATCH) {
      for (const item of await this.getBatch(keys.slice(start, start + GET_BATCH))) {
        const parsed = parseItem(item, IdentifierItemSchema);
        // A hand-edited item is not trusted: the value stays unresolved (counted as unmatched).
        if (!parsed.ok) continue;
        for (const identifier of byKey.get(parsed.value.customerId) ?? []) {
          found.set(identifier, parsed.value.watchedCustomerId);
        }
      }
    }
    return found;
  }

  async learn(pairs: readonly IdentifierPair[]): Promise<void> {
    const items = new Map<string, Record<string, AttributeValue>>();
    const learnedAt = this.#now();
    const valid: string[] = [];
    for (const { customerId, identifier } of pairs) {
      if (!CustomerIdSchema.safeParse(customerId).success) continue;
      valid.push(customerId);
      const key = this.key(identifier);
      items.set(key, marshall({ customerId: key, watchedCustomerId: customerId, learnedAt }));
    }
    const all = [...items.values()];
    for (let start = 0; start < all.length; start += WRITE_BATCH) {
      let requests: WriteRequest[] = all
        .slice(start, start + WRITE_BATCH)
        .map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > UNPROCESSED_ROUNDS) throw this.unprocessed('BatchWriteItem');
        if (round > 0) await this.#sleep(Math.min(50 * 2 ** round, 2_000));
        const response = await callTable(this.#table, 'BatchWriteItem', undefined, () =>
          this.#table.client.send(
            new BatchWriteItemCommand({ RequestItems: { [this.#table.tableName]: requests } }),
          ),
        );
        requests = response.UnprocessedItems?.[this.#table.tableName] ?? [];
      }
    }
    await markFeedCovered(this.#table, valid);
  }

  private async getBatch(keys: readonly string[]): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let pending = keys.map((key) => marshall({ customerId: key }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > UNPROCESSED_ROUNDS) throw this.unprocessed('BatchGetItem');
      if (round > 0) await this.#sleep(Math.min(50 * 2 ** round, 2_000));
      const response = await callTable(this.#table, 'BatchGetItem', undefined, () =>
        this.#table.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.#table.tableName]: {
                Keys: pending,
                ProjectionExpression: 'customerId, watchedCustomerId',
              },
            },
          }),
        ),
      );
      items.push(...(response.Responses?.[this.#table.tableName] ?? []));
      pending = response.UnprocessedKeys?.[this.#table.tableName]?.Keys ?? [];
    }
    return items;
  }

  private unprocessed(operation: string): CursorStoreError {
    return new CursorStoreError(
      operation,
      this.#table.tableName,
      undefined,
      new Error(
        `identifier items still unprocessed after ${UNPROCESSED_ROUNDS} retries (throttling)`,
      ),
    );
  }
}
