import {
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  ClaimedCustomer,
  DueCustomer,
  ScheduleState,
} from '../../domain/claim/claimed-customer.js';
import {
  type CustomerState,
  CustomerStateSchema,
  type WatchStatus,
} from '../../domain/customer-state.js';
import type {
  ClaimRequest,
  ClaimResult,
  ClaimTakeover,
  CursorStore,
  DueRead,
  OffIndexWalk,
  PollCompletion,
  StatusChange,
  WatchedCustomer,
} from '../../domain/ports.js';
import { conditionalUpdate, isConditionFailure } from './conditional-update.js';
import { cursorKey, decodeCursorItem, encodeCursorItem } from './cursor-item.js';
import { CursorStoreError, UnreadableCustomerError } from './cursor-store-errors.js';
import { type CursorTable, callTable, getItem, putIfAbsent } from './cursor-table.js';
import { dueCustomers, nextDueAt } from './due-customers.js';
import { dueShardOf } from './due-index.js';
import { walkOffIndex } from './off-index-walk.js';
import { summarizeIssues } from './parse-item.js';
import { claim, completePoll, takeOver } from './schedule-claims.js';
import { decodeSchedule, newScheduleItem, scheduleKey } from './schedule-item.js';
import { CLAIM_ATTEMPTS, retryThrottled } from './throttle-retry.js';
import { listWatched } from './watch-list-scan.js';

/*
 * Two items per customer in one table, partition key `customerId` (S): its cursor
 * (`cursor-item.ts`, the detection state with the seen set) and its schedule item
 * (`schedule-item.ts`, small and indexed by due time, `due-index.ts`). A sweep queries the due
 * index (`due-customers.ts`), claims each customer on its schedule item (`schedule-claims.ts`,
 * which returns scope, mode and window digest), and reads the cursor (GetItem) only when the
 * window changed: it never reads the whole watchlist, nor any seen set it does not need.
 * Keys that are neither a customer id nor `schedule#<id>` (the quota item) are not customers.
 * This class composes those rooms and keeps the two items of a customer in step.
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
  /**
   * Scan segments of one pass of the backstop walk. Default `WALK_SEGMENTS`; a test table of a
   * few items walks in one.
   */
  walkSegments?: number;
  /** The time `addCustomer` and `init` stamp on new schedule items. Default `Date.now`. */
  now?: () => number;
}

export class DynamoDbCursorStore implements CursorStore {
  readonly #table: CursorTable;
  readonly #scanPageLimit: number | undefined;
  readonly #duePageLimit: number;
  readonly #now: () => number;
  readonly #walkSegments: number | undefined;

  constructor(options: DynamoDbCursorStoreOptions) {
    this.#table = { client: options.client, tableName: options.tableName };
    this.#scanPageLimit = options.scanPageLimit;
    this.#duePageLimit = options.duePageLimit ?? 100;
    this.#now = options.now ?? Date.now;
    this.#walkSegments = options.walkSegments;
  }

  listWatched(): AsyncGenerator<WatchedCustomer> {
    return listWatched(this.#table, this.#scanPageLimit);
  }

  dueCustomers(now: number, read?: DueRead): AsyncGenerator<DueCustomer> {
    return dueCustomers(this.#table, this.#duePageLimit, now, read);
  }

  walkOffIndex(now: number, passMs: number, deadline?: number): Promise<OffIndexWalk> {
    return walkOffIndex(this.#table, { now, passMs, segments: this.#walkSegments, deadline });
  }

  nextDueAt(): Promise<number | undefined> {
    return nextDueAt(this.#table);
  }

  claim(due: DueCustomer, request: ClaimRequest): Promise<ClaimResult | undefined> {
    return retryThrottled(() => claim(this.#table, due, request), request.deadline, CLAIM_ATTEMPTS);
  }

  async scheduleOf(customerId: string): Promise<ScheduleState | undefined> {
    const item = await getItem(this.#table, scheduleKey(customerId), customerId);
    if (item === undefined) return undefined;
    const decoded = decodeSchedule(item);
    if (!decoded.ok) {
      throw new UnreadableCustomerError(
        customerId,
        this.#table.tableName,
        `schedule item: ${decoded.problem}`,
      );
    }
    return decoded.value.state;
  }

  takeOver(
    claimed: ClaimedCustomer,
    takeover: ClaimTakeover,
  ): Promise<ClaimedCustomer | undefined> {
    // A retry of a write that landed is recognised by its token: retrying is safe.
    return retryThrottled(
      () => takeOver(this.#table, claimed, takeover),
      undefined,
      CLAIM_ATTEMPTS,
    );
  }

  completePoll(
    claimed: ClaimedCustomer,
    completion: PollCompletion,
  ): Promise<'completed' | 'lost'> {
    // A poll that published must record it: a throttle is no reason to publish it again.
    return retryThrottled(() => completePoll(this.#table, claimed, completion), undefined);
  }

  async setStatus(customerId: string, status: WatchStatus, now: number): Promise<StatusChange> {
    const { client, tableName } = this.#table;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: scheduleKey(customerId),
            ...conditionalUpdate({
              // Paused customers leave the due index; resumed ones are due at once.
              set:
                status === 'paused'
                  ? { status }
                  : { status, dueShard: dueShardOf(customerId), nextPollAt: now },
              remove: status === 'paused' ? ['dueShard'] : [],
              condition: 'attribute_exists(#customerId) AND #status <> :wanted',
              conditionValues: { ':wanted': status },
            }),
          }),
        );
        return status;
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw new CursorStoreError('UpdateItem (status)', tableName, customerId, error);
        }
      }
      // Already in that state, or no schedule item: watched before schedules existed, or not at all.
      if ((await getItem(this.#table, scheduleKey(customerId), customerId)) !== undefined) {
        return status === 'paused' ? 'already paused' : 'already active';
      }
      const cursor = await this.getCustomer(customerId);
      if (cursor === undefined) return 'not watched';
      await this.#putScheduleIfMissing(cursor);
    }
    throw new CursorStoreError(
      'UpdateItem (status)',
      tableName,
      customerId,
      new Error('the schedule item changed while its status was being set; run the command again'),
    );
  }

  /** Creates the schedule item of a watched customer that has none. */
  async #putScheduleIfMissing(
    state: Pick<
      CustomerState,
      'customerId' | 'scope' | 'mode' | 'status' | 'windowDigest' | 'createdAt'
    >,
  ): Promise<void> {
    const item = newScheduleItem(state, this.#now());
    await putIfAbsent(this.#table, item, 'PutItem (schedule)', state.customerId);
  }

  async getCustomer(customerId: string): Promise<CustomerState | undefined> {
    const item = await getItem(this.#table, cursorKey(customerId), customerId);
    if (item === undefined) return undefined;
    const decoded = decodeCursorItem(item);
    if (!decoded.ok) {
      throw new UnreadableCustomerError(customerId, this.#table.tableName, decoded.problem);
    }
    return decoded.value;
  }

  /**
   * The cursor first, then the schedule item: a crash in between leaves a customer that is not
   * polled yet, and adding it again (or `init`) creates the missing schedule item.
   */
  async addCustomer(state: CustomerState): Promise<boolean> {
    const item = this.#encodeChecked(state);
    const added = await putIfAbsent(this.#table, item, 'PutItem', state.customerId);
    if (added) await this.#putScheduleIfMissing(state);
    else if (
      (await getItem(this.#table, scheduleKey(state.customerId), state.customerId)) === undefined
    ) {
      const stored = await this.getCustomer(state.customerId);
      if (stored !== undefined) await this.#putScheduleIfMissing(stored);
    }
    return added;
  }

  /** The schedule item first, so no poller claims the customer while its cursor goes. */
  async removeCustomer(customerId: string): Promise<boolean> {
    const { client, tableName } = this.#table;
    const result = await callTable(this.#table, 'DeleteItem (schedule)', customerId, () =>
      client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: scheduleKey(customerId),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const scheduled = result.Attributes !== undefined;
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: cursorKey(customerId),
          ConditionExpression: 'attribute_exists(customerId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return scheduled;
      throw new CursorStoreError('DeleteItem', tableName, customerId, error);
    }
  }

  /** A customer removed meanwhile is a `conflict` too: the condition never recreates it. */
  async saveState(next: CustomerState, expectedVersion: number): Promise<'saved' | 'conflict'> {
    const item = this.#encodeChecked(next);
    try {
      // Tried again while throttled: the events before it are published, and a cursor not
      // written would publish them again.
      await retryThrottled(
        () =>
          this.#table.client.send(
            new PutItemCommand({
              TableName: this.#table.tableName,
              Item: item,
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: marshall({ ':expected': expectedVersion }),
            }),
          ),
        undefined,
      );
      return 'saved';
    } catch (error) {
      if (isConditionFailure(error)) return 'conflict';
      throw new CursorStoreError('PutItem', this.#table.tableName, next.customerId, error);
    }
  }

  /** Refuses to write what could not be read back. */
  #encodeChecked(state: CustomerState) {
    const checked = CustomerStateSchema.safeParse(state);
    if (!checked.success) {
      const problem = new Error(
        `refused to write an invalid state: ${summarizeIssues(checked.error)}`,
      );
      problem.name = 'InvalidCustomerState';
      throw new CursorStoreError('PutItem', this.#table.tableName, state.customerId, problem);
    }
    return encodeCursorItem(checked.data);
  }
}
