import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { ClaimedCustomer, DueCustomer } from '../../domain/claimed-customer.js';
import {
  type CustomerState,
  CustomerStateSchema,
  type WatchEntry,
  WatchEntrySchema,
  type WatchStatus,
} from '../../domain/customer-state.js';
import { describeError, PollerError } from '../../domain/errors.js';
import type {
  ClaimRequest,
  CursorStore,
  PollCompletion,
  StatusChange,
  WatchedCustomer,
} from '../../domain/ports.js';
import { compareMostOverdue } from '../../domain/schedule.js';
import { DUE_INDEX_NAME, DUE_SHARDS, dueShardOf } from './due-index.js';
import {
  type DecodedSchedule,
  decodeSchedule,
  itemKind,
  newScheduleItem,
  scheduleKey,
} from './schedule-item.js';

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
 * Why two parallel lists instead of a list of `{ id, at }` maps: DynamoDB bills a map element for
 * its 3-byte map overhead plus the names `id` and `at` again in every entry; the parallel lists
 * drop that, about 8 bytes per entry (roughly 20% of an item with 20-character event ids).
 * Both lists are always written together by one PutItem, so they cannot drift apart; an item
 * whose lists differ in length is reported as unreadable.
 *
 * Attributes that are not listed above are ignored when reading (room for a TTL or tags later).
 * The cursor's `status` is what it was when watched: the schedule item's status decides.
 *
 * Next to each cursor item is the customer's schedule item (`schedule-item.ts`), small and
 * indexed by due time (`due-index.ts`). A sweep queries the due index, claims each customer on its
 * schedule item (which returns scope, mode and window digest), and reads the cursor (GetItem) only
 * when the window changed: it never reads the whole watchlist, nor any seen set it does not need.
 * Keys that are neither a customer id nor `schedule#<id>` (the quota item) are not customers.
 */

export interface DynamoDbCursorStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * `Limit` of each Scan page (items evaluated per request). Unset: DynamoDB's 1 MB pages,
   * which is what production wants; tests set it low to exercise pagination.
   */
  scanPageLimit?: number;
  /** `Limit` of each due-index Query page, per shard. Default 100: a sweep reads about what it claims. */
  duePageLimit?: number;
  /** The time `addCustomer` and `init` stamp on new schedule items. Default `Date.now`. */
  now?: () => number;
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
  readonly #duePageLimit: number;
  readonly #now: () => number;

  constructor(options: DynamoDbCursorStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#scanPageLimit = options.scanPageLimit;
    this.#duePageLimit = options.duePageLimit ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A Scan of the table that leaves the seen sets out, cursor and schedule items merged in memory:
   * for `watch list`, an occasional human command.
   */
  async *listWatched(): AsyncGenerator<WatchedCustomer> {
    const names = LISTED_ATTRIBUTES.map((_, index) => `#a${index}`);
    const cursors = new Map<string, WatchEntry>();
    const schedules = new Map<string, DecodedSchedule>();
    const unreadable: WatchedCustomer[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#call('Scan', undefined, () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#tableName,
            ProjectionExpression: names.join(', '),
            ExpressionAttributeNames: Object.fromEntries(
              LISTED_ATTRIBUTES.map((name, index) => [`#a${index}`, name]),
            ),
            ExclusiveStartKey: startKey,
            Limit: this.#scanPageLimit,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const kind = itemKind(item.customerId?.S);
        if (kind.kind === 'other') continue;
        if (kind.kind === 'cursor') {
          const decoded = decodeWatchEntry(item);
          if (decoded.ok) cursors.set(kind.customerId, decoded.watch);
          else
            unreadable.push({
              kind: 'unreadable',
              customerId: kind.customerId,
              reason: decoded.problem,
            });
        } else {
          const decoded = decodeSchedule(item);
          if (decoded.ok) schedules.set(kind.customerId, decoded.schedule);
          else
            unreadable.push({
              kind: 'unreadable',
              customerId: kind.customerId,
              reason: `schedule item: ${decoded.problem}`,
            });
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    yield* unreadable;
    for (const [customerId, watch] of cursors) {
      const schedule = schedules.get(customerId);
      yield {
        kind: 'ok',
        watch: schedule ? { ...watch, status: schedule.state.status } : watch,
        schedule: schedule?.state,
      };
    }
  }

  /** Each shard read page by page, ascending, merged most overdue first. */
  async *dueCustomers(now: number): AsyncGenerator<DueCustomer> {
    const shards = Array.from({ length: DUE_SHARDS }, (_, shard) =>
      this.#dueInShard(String(shard), now),
    );
    try {
      const heads = await Promise.all(shards.map((shard) => shard.next()));
      for (;;) {
        let best = -1;
        for (let index = 0; index < heads.length; index++) {
          const head = heads[index];
          if (head === undefined || head.done) continue;
          const current = heads[best];
          if (
            best < 0 ||
            (current && !current.done && compareMostOverdue(head.value, current.value) < 0)
          ) {
            best = index;
          }
        }
        if (best < 0) return;
        const chosen = heads[best] as IteratorYieldResult<DueCustomer>;
        yield chosen.value;
        heads[best] = await (shards[best] as AsyncGenerator<DueCustomer>).next();
      }
    } finally {
      await Promise.all(shards.map((shard) => shard.return(undefined)));
    }
  }

  async *#dueInShard(shard: string, now: number): AsyncGenerator<DueCustomer> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#call('Query', undefined, () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            IndexName: DUE_INDEX_NAME,
            KeyConditionExpression: 'dueShard = :shard AND nextPollAt <= :now',
            ExpressionAttributeValues: { ':shard': { S: shard }, ':now': { N: String(now) } },
            ScanIndexForward: true,
            Limit: this.#duePageLimit,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const kind = itemKind(item.customerId?.S);
        const nextPollAt = Number(item.nextPollAt?.N);
        if (kind.kind !== 'schedule' || !Number.isSafeInteger(nextPollAt)) continue;
        // An index made without the tier (KEYS_ONLY by hand): read it from the item, or every
        // claim of a customer past its first idle poll would fail its condition forever.
        const tier =
          item.idlePolls?.N ?? (await this.#getSchedule(kind.customerId, false))?.idlePolls?.N;
        const idlePolls = Number(tier ?? '0');
        yield {
          customerId: kind.customerId,
          nextPollAt,
          idlePolls: Number.isSafeInteger(idlePolls) ? idlePolls : 0,
        };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async nextDueAt(): Promise<number | undefined> {
    const firsts = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, shard) =>
        this.#call('Query', undefined, () =>
          this.#client.send(
            new QueryCommand({
              TableName: this.#tableName,
              IndexName: DUE_INDEX_NAME,
              KeyConditionExpression: 'dueShard = :shard',
              ExpressionAttributeValues: { ':shard': { S: String(shard) } },
              ScanIndexForward: true,
              Limit: 1,
            }),
          ),
        ),
      ),
    );
    const times = firsts
      .flatMap((page) => page.Items ?? [])
      .map((item) => Number(item.nextPollAt?.N))
      .filter((time) => Number.isSafeInteger(time));
    return times.length === 0 ? undefined : Math.min(...times);
  }

  async claim(due: DueCustomer, request: ClaimRequest): Promise<ClaimedCustomer | undefined> {
    const { tentative } = request;
    let old: Record<string, AttributeValue> | undefined;
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: scheduleKey(due.customerId),
          UpdateExpression:
            'SET nextPollAt = :next, idlePolls = :idle, lastPolledAt = :polled, claimOwner = :owner, claimedUntil = :until',
          ConditionExpression:
            '#status = :active AND nextPollAt <= :now AND idlePolls = :listedIdle AND (attribute_not_exists(claimedUntil) OR claimedUntil <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':next': { N: String(tentative.nextPollAt) },
            ':idle': { N: String(tentative.idlePolls) },
            ':polled': nullableNumber(tentative.lastPolledAt),
            ':owner': { S: request.owner },
            ':until': { N: String(request.claimedUntil) },
            ':active': { S: 'active' },
            ':now': { N: String(request.now) },
            ':listedIdle': { N: String(due.idlePolls) },
          },
          // The item as it was: scope, mode and digest for the poll, and the schedule before the
          // claim, which a failed poll goes back to.
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = result.Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new CursorStoreError('UpdateItem (claim)', this.#tableName, due.customerId, error);
    }
    const decoded = old && decodeSchedule(old);
    if (!decoded?.ok) {
      throw new UnreadableCustomerError(
        due.customerId,
        this.#tableName,
        `schedule item: ${decoded?.problem ?? 'empty'}`,
      );
    }
    const { schedule } = decoded;
    return {
      customerId: due.customerId,
      scope: schedule.scope,
      mode: schedule.mode,
      windowDigest: schedule.windowDigest,
      idlePolls: schedule.state.idlePolls,
      lastPolledAt: schedule.state.lastPolledAt,
      nextPollAt: tentative.nextPollAt,
      claimOwner: request.owner,
      claimedUntil: request.claimedUntil,
    };
  }

  async completePoll(
    claimed: ClaimedCustomer,
    completion: PollCompletion,
  ): Promise<'completed' | 'lost'> {
    const sets = ['nextPollAt = :next', 'idlePolls = :idle', 'lastPolledAt = :polled'];
    const removes = ['claimOwner', 'claimedUntil'];
    const values: Record<string, AttributeValue> = {
      ':next': { N: String(completion.schedule.nextPollAt) },
      ':idle': { N: String(completion.schedule.idlePolls) },
      ':polled': nullableNumber(completion.schedule.lastPolledAt),
      ':owner': { S: claimed.claimOwner },
      ':until': { N: String(claimed.claimedUntil) },
    };
    if (completion.mode !== undefined) {
      sets.push('#mode = :mode');
      values[':mode'] = { S: completion.mode };
    }
    if (completion.windowDigest !== undefined) {
      sets.push('windowDigest = :digest');
      values[':digest'] =
        completion.windowDigest === null ? { NULL: true } : { S: completion.windowDigest };
    }
    if (completion.lastError === null) removes.push('lastError', 'lastFailedAt');
    else if (completion.lastError !== undefined) {
      sets.push('lastError = :error', 'lastFailedAt = :failedAt');
      values[':error'] = { S: completion.lastError.reason.slice(0, 500) };
      values[':failedAt'] = { N: String(completion.lastError.at) };
    }
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: scheduleKey(claimed.customerId),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: 'claimOwner = :owner AND claimedUntil = :until',
          ...(completion.mode !== undefined
            ? { ExpressionAttributeNames: { '#mode': 'mode' } }
            : {}),
          ExpressionAttributeValues: values,
        }),
      );
      return 'completed';
    } catch (error) {
      if (isConditionFailure(error)) return 'lost';
      throw new CursorStoreError(
        'UpdateItem (complete poll)',
        this.#tableName,
        claimed.customerId,
        error,
      );
    }
  }

  async setStatus(customerId: string, status: WatchStatus, now: number): Promise<StatusChange> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const update: { expression: string; values: Record<string, AttributeValue> } =
        status === 'paused'
          ? { expression: 'SET #status = :status REMOVE dueShard', values: {} }
          : {
              expression: 'SET #status = :status, dueShard = :shard, nextPollAt = :now',
              values: {
                ':shard': { S: dueShardOf(customerId) },
                ':now': { N: String(now) },
              },
            };
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#tableName,
            Key: scheduleKey(customerId),
            UpdateExpression: update.expression,
            ConditionExpression: 'attribute_exists(customerId) AND #status <> :status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':status': { S: status }, ...update.values },
          }),
        );
        return status;
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw new CursorStoreError('UpdateItem (status)', this.#tableName, customerId, error);
        }
      }
      // Already in that state, or no schedule item: watched before schedules existed, or not at all.
      const existing = await this.#getSchedule(customerId);
      if (existing !== undefined) {
        return status === 'paused' ? 'already paused' : 'already active';
      }
      const cursor = await this.getCustomer(customerId);
      if (cursor === undefined) return 'not watched';
      await this.#putScheduleIfMissing(cursor);
    }
    throw new CursorStoreError(
      'UpdateItem (status)',
      this.#tableName,
      customerId,
      new Error('the schedule item changed while its status was being set; run the command again'),
    );
  }

  async #getSchedule(
    customerId: string,
    consistent = true,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const result = await this.#call('GetItem', customerId, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: scheduleKey(customerId),
          ConsistentRead: consistent,
        }),
      ),
    );
    return result.Item;
  }

  /** Creates the schedule item of a watched customer that has none; `true` when it did. */
  async #putScheduleIfMissing(
    state: Pick<
      CustomerState,
      'customerId' | 'scope' | 'mode' | 'status' | 'windowDigest' | 'createdAt'
    >,
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: newScheduleItem(state, this.#now()),
          ConditionExpression: 'attribute_not_exists(customerId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new CursorStoreError('PutItem (schedule)', this.#tableName, state.customerId, error);
    }
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

  /**
   * The cursor first, then the schedule item: a crash in between leaves a customer that is not
   * polled yet, and adding it again (or `init`) creates the missing schedule item.
   */
  async addCustomer(state: CustomerState): Promise<boolean> {
    const item = this.#encodeChecked(state, 'PutItem');
    let added: boolean;
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(customerId)',
        }),
      );
      added = true;
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw new CursorStoreError('PutItem', this.#tableName, state.customerId, error);
      }
      added = false;
    }
    if (added) await this.#putScheduleIfMissing(state);
    else if ((await this.#getSchedule(state.customerId)) === undefined) {
      const stored = await this.getCustomer(state.customerId);
      if (stored !== undefined) await this.#putScheduleIfMissing(stored);
    }
    return added;
  }

  /** The schedule item first, so no poller claims the customer while its cursor goes. */
  async removeCustomer(customerId: string): Promise<boolean> {
    let scheduled: boolean;
    try {
      const result = await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: scheduleKey(customerId),
          ReturnValues: 'ALL_OLD',
        }),
      );
      scheduled = result.Attributes !== undefined;
    } catch (error) {
      throw new CursorStoreError('DeleteItem (schedule)', this.#tableName, customerId, error);
    }
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
      if (isConditionFailure(error)) return scheduled;
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

/** Everything `watch list` shows: every attribute of both item kinds but the seen set. */
const LISTED_ATTRIBUTES = [
  'customerId',
  'scope',
  'mode',
  'status',
  'lastSeenId',
  'lastSeenDate',
  'windowDigest',
  'version',
  'createdAt',
  'updatedAt',
  'nextPollAt',
  'idlePolls',
  'lastPolledAt',
  'claimOwner',
  'claimedUntil',
  'lastError',
  'lastFailedAt',
] as const;

function nullableNumber(value: number | null): AttributeValue {
  return value === null ? { NULL: true } : { N: String(value) };
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
