import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import {
  type CustomerState,
  CustomerStateSchema,
  type WatchEntry,
  WatchEntrySchema,
} from '../../domain/customer-state.js';
import { describeError, PollerError } from '../../domain/errors.js';
import type { CursorStore, StoredCustomer } from '../../domain/ports.js';
import { WATCHLIST_INDEX_NAME } from './watchlist-index.js';

/*
 * Item layout: one item per customer, partition key `customerId` (S), no sort key.
 *
 *   customerId    S               the key (1 to 19 digits)
 *   scope         S               'default' | 'child'
 *   mode          S               'baseline' | 'backfill' | 'tracking'
 *   status        S               'active' | 'paused'
 *   lastSeenId    S | NULL
 *   lastSeenDate  S | NULL
 *   seenIds       L of S          `seen[i].id`, oldest first
 *   seenAt        L of N          `seen[i].at` (epoch ms), same order and length as `seenIds`
 *   seenFloor     N | NULL
 *   windowDigest  S | NULL        digest of the window after the last complete poll
 *   version       N               optimistic-locking counter, the condition of every save
 *   createdAt     S               ISO-8601
 *   updatedAt     S               ISO-8601
 *
 * Why two parallel lists instead of a list of `{ id, at }` maps: every customer is read by a
 * Scan each minute, and the seen list is nearly all of an item. DynamoDB bills a map element
 * for its 3-byte map overhead plus the names `id` and `at` again in every entry; the parallel
 * lists drop that, about 8 bytes per entry (roughly 20% of an item with 20-character event ids).
 * Both lists are always written together by one PutItem, so they cannot drift apart; an item
 * whose lists differ in length is reported as unreadable.
 *
 * Attributes that are not listed above are ignored when reading (room for a TTL or tags later).
 *
 * The sweep does not Scan the table: it Scans the `watchlist` index, keyed like the table but
 * projecting only the small attributes (everything but the seen set). A Scan is billed by the size
 * of what it reads, so this makes the per-minute read about 50 times cheaper at 200 seen ids; the
 * seen set is read (GetItem) only for customers whose window changed.
 */

export { WATCHLIST_INDEX_NAME, WATCHLIST_PROJECTED_ATTRIBUTES } from './watchlist-index.js';

export interface DynamoDbCursorStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * `Limit` of each Scan page (items evaluated per request). Unset: DynamoDB's 1 MB pages,
   * which is what production wants; tests set it low to exercise pagination.
   */
  scanPageLimit?: number;
  /**
   * The watchlist is scanned in this many segments, starting at a random one and wrapping round,
   * so when a sweep runs out of time it is not always the same customers that wait. Default 16.
   */
  scanSegments?: number;
  /** Tests: picks the first segment, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** A DynamoDB call for the cursor table failed (not a lost optimistic-locking race). */
export class CursorStoreError extends PollerError {
  constructor(
    readonly operation: string,
    readonly tableName: string,
    readonly customerId: string | undefined,
    cause: unknown,
  ) {
    const subject = customerId === undefined ? '' : ` for customer ${customerId}`;
    super(
      `DynamoDB ${operation}${subject} on table ${tableName} failed: ${errorName(cause)}${describeError(cause)}`,
      adviceFor(cause),
      { cause },
    );
  }
}

/** A customer's item exists but is not a valid customer state (edited by hand, older layout). */
export class UnreadableCustomerError extends PollerError {
  constructor(
    readonly customerId: string,
    readonly tableName: string,
    readonly problem: string,
  ) {
    super(
      `the item of customer ${customerId} in table ${tableName} cannot be read: ${problem}`,
      'fix the item in DynamoDB, or remove the customer and add it again',
    );
  }
}

export class DynamoDbCursorStore implements CursorStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #scanPageLimit: number | undefined;
  readonly #scanSegments: number;
  readonly #random: () => number;

  constructor(options: DynamoDbCursorStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#scanPageLimit = options.scanPageLimit;
    this.#scanSegments = options.scanSegments ?? 16;
    this.#random = options.random ?? Math.random;
  }

  async *listCustomers(): AsyncGenerator<StoredCustomer> {
    const first = Math.floor(this.#random() * this.#scanSegments);
    for (let offset = 0; offset < this.#scanSegments; offset++) {
      yield* this.#scanSegment((first + offset) % this.#scanSegments);
    }
  }

  async *#scanSegment(segment: number): AsyncGenerator<StoredCustomer> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#call('Scan', undefined, () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#tableName,
            IndexName: WATCHLIST_INDEX_NAME,
            Segment: segment,
            TotalSegments: this.#scanSegments,
            ExclusiveStartKey: startKey,
            Limit: this.#scanPageLimit,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const decoded = decodeWatchEntry(item);
        yield decoded.ok
          ? { kind: 'ok', watch: decoded.watch }
          : { kind: 'unreadable', customerId: itemCustomerId(item), reason: decoded.problem };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async getCustomer(customerId: string): Promise<CustomerState | undefined> {
    const result = await this.#call('GetItem', customerId, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { customerId: { S: customerId } },
          ConsistentRead: true,
        }),
      ),
    );
    if (result.Item === undefined) return undefined;
    const decoded = decodeItem(result.Item);
    if (!decoded.ok)
      throw new UnreadableCustomerError(customerId, this.#tableName, decoded.problem);
    return decoded.state;
  }

  async addCustomer(state: CustomerState): Promise<boolean> {
    const item = this.#encodeChecked(state, 'PutItem');
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(customerId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new CursorStoreError('PutItem', this.#tableName, state.customerId, error);
    }
  }

  async removeCustomer(customerId: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: { customerId: { S: customerId } },
          ConditionExpression: 'attribute_exists(customerId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new CursorStoreError('DeleteItem', this.#tableName, customerId, error);
    }
  }

  /** A customer removed meanwhile is a `conflict` too: the condition never recreates it. */
  async saveState(next: CustomerState, expectedVersion: number): Promise<'saved' | 'conflict'> {
    const item = this.#encodeChecked(next, 'PutItem');
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionFailure(error)) return 'conflict';
      throw new CursorStoreError('PutItem', this.#tableName, next.customerId, error);
    }
  }

  /** Refuses to write what could not be read back. */
  #encodeChecked(state: CustomerState, operation: string): Record<string, AttributeValue> {
    const checked = CustomerStateSchema.safeParse(state);
    if (!checked.success) {
      const problem = new Error(`refused to write an invalid state: ${summarize(checked.error)}`);
      problem.name = 'InvalidCustomerState';
      throw new CursorStoreError(operation, this.#tableName, state.customerId, problem);
    }
    return encodeItem(checked.data);
  }

  async #call<T>(
    operation: string,
    customerId: string | undefined,
    send: () => Promise<T>,
  ): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new CursorStoreError(operation, this.#tableName, customerId, error);
    }
  }
}

/** The item of a customer state (layout above). Exported for tests and tools. */
export function encodeItem(state: CustomerState): Record<string, AttributeValue> {
  return {
    customerId: { S: state.customerId },
    scope: { S: state.scope },
    mode: { S: state.mode },
    status: { S: state.status },
    lastSeenId: nullableString(state.lastSeenId),
    lastSeenDate: nullableString(state.lastSeenDate),
    seenIds: { L: state.seen.map((entry) => ({ S: entry.id })) },
    seenAt: { L: state.seen.map((entry) => ({ N: String(entry.at) })) },
    seenFloor: state.seenFloor === null ? { NULL: true } : { N: String(state.seenFloor) },
    windowDigest: nullableString(state.windowDigest),
    version: { N: String(state.version) },
    createdAt: { S: state.createdAt },
    updatedAt: { S: state.updatedAt },
  };
}

const StoredItemSchema = CustomerStateSchema.omit({ seen: true })
  .extend({
    seenIds: z.array(z.unknown()),
    seenAt: z.array(z.unknown()),
    windowDigest: z.string().nullish(),
  })
  .refine((item) => item.seenIds.length === item.seenAt.length, {
    message: 'seenIds and seenAt differ in length',
    path: ['seenAt'],
  })
  .transform(({ seenIds, seenAt, ...rest }) => ({
    ...rest,
    windowDigest: rest.windowDigest ?? null,
    seen: seenIds.map((id, index) => ({ id, at: seenAt[index] })),
  }))
  .pipe(CustomerStateSchema);

type Decoded = { ok: true; state: CustomerState } | { ok: false; problem: string };

const StoredWatchEntrySchema = z
  .looseObject({ windowDigest: z.unknown() })
  .transform((item) => ({ ...item, windowDigest: item.windowDigest ?? null }))
  .pipe(WatchEntrySchema);

/** Never throws: a watchlist index item, or what is wrong with it. */
export function decodeWatchEntry(
  item: Record<string, AttributeValue>,
): { ok: true; watch: WatchEntry } | { ok: false; problem: string } {
  let plain: Record<string, unknown>;
  try {
    plain = unmarshall(item);
  } catch (error) {
    return { ok: false, problem: describeError(error) };
  }
  const parsed = StoredWatchEntrySchema.safeParse(plain);
  if (!parsed.success) return { ok: false, problem: summarize(parsed.error) };
  return { ok: true, watch: parsed.data };
}

/** Never throws: whatever is wrong with the item becomes `problem`. */
export function decodeItem(item: Record<string, AttributeValue>): Decoded {
  let plain: Record<string, unknown>;
  try {
    plain = unmarshall(item);
  } catch (error) {
    return { ok: false, problem: describeError(error) };
  }
  const parsed = StoredItemSchema.safeParse(plain);
  if (!parsed.success) return { ok: false, problem: summarize(parsed.error) };
  return { ok: true, state: parsed.data };
}

function nullableString(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}

function itemCustomerId(item: Record<string, AttributeValue>): string {
  return item.customerId?.S ?? '(no customerId)';
}

/** `path: message; path: message`, at most 5 issues: enough to find the broken attribute. */
function summarize(error: z.ZodError): string {
  const lines = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(item)'}: ${issue.message}`);
  const more = error.issues.length - lines.length;
  return more > 0 ? `${lines.join('; ')}; and ${more} more` : lines.join('; ');
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function errorName(error: unknown): string {
  return error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
}

function adviceFor(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'ResourceNotFoundException':
      return 'create the table (the CLI `init` command, or deploy the stack) and check TABLE_NAME and AWS_REGION';
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'CredentialsProviderError':
      return 'check the AWS credentials and that they may read and write the table';
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return 'DynamoDB is throttling: retry later or raise the table capacity';
    case 'InvalidCustomerState':
      return 'a bug: the poller built a state that does not match CustomerStateSchema';
    case 'TableState':
      return 'check the table in DynamoDB: use another TABLE_NAME, or wait/recreate it and run `init` again';
    case 'ValidationException':
      return 'DynamoDB refused the request as invalid: see the message (an item over 400 KB: lower SEEN_CAPACITY)';
    default:
      return 'check that DynamoDB is reachable (DYNAMODB_ENDPOINT, AWS_REGION) and retry';
  }
}
