import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { describeError, PollerError } from '../../domain/errors.js';
import { EMPTY_QUOTA_STATE, type QuotaState } from '../../domain/gcra.js';
import { conditionalUpdate, isConditionFailure } from './conditional-update.js';
import { parseItem } from './parse-item.js';

/*
 * The Capillary budget of every poller on the table, kept in one item of the poller's table:
 *
 *   customerId     S   'quota#capillary' (not a customer id: readers of customers skip it)
 *   tat            N   epoch ms up to which budget is promised (GCRA, see src/domain/gcra.ts)
 *   pausedUntil    N   epoch ms; no slot starts before it (a 429's Retry-After)
 *   version        N   bumped by every write, the condition of the next one
 *   ratePerSecond  N   the rate of the last writer, for people reading the table
 *   updatedAt      S   ISO-8601
 *
 * Only conditional writes: dynalite (the embedded table) has no transactions.
 */

export const QUOTA_ITEM_KEY = 'quota#capillary';

/** The quota item cannot be read or written. Polls wait on it, so this fails the poll. */
export class QuotaGateError extends PollerError {
  constructor(
    readonly tableName: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the shared Capillary quota (item ${QUOTA_ITEM_KEY} in table ${tableName}) cannot be used: ${problem}`,
      'check that the table exists and that the poller may GetItem and UpdateItem on it; a corrupt quota item can be deleted (it is created again)',
      options,
    );
  }
}

/** The quota as this poller last saw it. */
export interface KnownQuota {
  state: QuotaState;
  /** `undefined`: the item does not exist. */
  version: number | undefined;
  /** Its writer's clock at the write (`updatedAt`), epoch ms; `undefined` when absent or unreadable. */
  writtenAt?: number | undefined;
}

const QuotaItemSchema = z
  .object({
    tat: z.number().finite().default(0),
    pausedUntil: z.number().finite().default(0),
    version: z.number().int().nonnegative(),
    updatedAt: z.string().optional(),
  })
  .transform(({ tat, pausedUntil, version, updatedAt }) => {
    const writtenAt = updatedAt === undefined ? Number.NaN : Date.parse(updatedAt);
    return {
      state: { tat, pausedUntil },
      version,
      writtenAt: Number.isFinite(writtenAt) ? writtenAt : undefined,
    };
  });

/**
 * The reads and conditional writes of the quota item; the gate decides what to write. Every
 * write bumps `version`; a lost condition is an answer (another poller wrote first). A failed
 * read or block reservation is a `QuotaGateError` (the poll cannot go on); a failed pause is
 * thrown as it came, for the gate to log.
 */
export class QuotaItem {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #key: Record<string, AttributeValue>;

  constructor(client: DynamoDBClient, tableName: string, key: string) {
    this.#client = client;
    this.#tableName = tableName;
    this.#key = marshall({ customerId: key });
  }

  async read(): Promise<KnownQuota> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      const answer = await this.#client.send(
        new GetItemCommand({ TableName: this.#tableName, Key: this.#key, ConsistentRead: true }),
      );
      item = answer.Item;
    } catch (error) {
      throw new QuotaGateError(this.#tableName, `GetItem failed: ${describeError(error)}`, {
        cause: error,
      });
    }
    return item === undefined
      ? { state: EMPTY_QUOTA_STATE, version: undefined }
      : this.#decode(item);
  }

  /**
   * Writes `state` if the item is still at `expectedVersion` (`undefined`: still missing).
   * Lost: the item as the other poller left it, or `undefined` where the emulator does not
   * return it (read it again). Throws `QuotaGateError` on any other failure.
   */
  async reserve(
    state: QuotaState,
    expectedVersion: number | undefined,
    ratePerSecond: number,
    now: number,
  ): Promise<{ written: true } | { written: false; current: KnownQuota | undefined }> {
    try {
      await this.#update({
        ...reserveUpdate(state, expectedVersion, ratePerSecond, now),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return { written: true };
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw new QuotaGateError(this.#tableName, `UpdateItem failed: ${describeError(error)}`, {
          cause: error,
        });
      }
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { written: false, current: item ? this.#decode(item) : undefined };
    }
  }

  /** The item after the pause, or `undefined` when another poller paused longer already. */
  async pause(until: number, now: number): Promise<KnownQuota | undefined> {
    try {
      const answer = await this.#update({ ...pauseUpdate(until, now), ReturnValues: 'ALL_NEW' });
      return answer.Attributes ? this.#decode(answer.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  #update(input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>) {
    return this.#client.send(
      new UpdateItemCommand({ TableName: this.#tableName, Key: this.#key, ...input }),
    );
  }

  #decode(item: Record<string, AttributeValue>): KnownQuota {
    const decoded = parseItem(item, QuotaItemSchema);
    if (!decoded.ok) {
      throw new QuotaGateError(
        this.#tableName,
        `the item is not a quota item (tat, pausedUntil, version): ${decoded.problem}`,
      );
    }
    return decoded.value;
  }
}

type UpdateParts = Pick<
  UpdateItemCommandInput,
  | 'UpdateExpression'
  | 'ConditionExpression'
  | 'ExpressionAttributeNames'
  | 'ExpressionAttributeValues'
>;

/** Takes a block of budget: the new state, if the item is still at the version this poller read. */
function reserveUpdate(
  state: QuotaState,
  expectedVersion: number | undefined,
  ratePerSecond: number,
  now: number,
): UpdateParts {
  return conditionalUpdate({
    set: {
      tat: state.tat,
      pausedUntil: state.pausedUntil,
      version: (expectedVersion ?? 0) + 1,
      ratePerSecond,
      updatedAt: new Date(now).toISOString(),
    },
    ...(expectedVersion === undefined
      ? { condition: 'attribute_not_exists(#customerId)' }
      : { condition: '#version = :expected', conditionValues: { ':expected': expectedVersion } }),
  });
}

/** Pauses every poller until `until`, unless one paused longer; creates the item if missing. */
function pauseUpdate(until: number, now: number): UpdateParts {
  return {
    UpdateExpression:
      'SET pausedUntil = :until, tat = if_not_exists(tat, :zero), version = if_not_exists(version, :zero) + :one, updatedAt = :iso',
    ConditionExpression: 'attribute_not_exists(pausedUntil) OR pausedUntil < :until',
    ExpressionAttributeValues: marshall({
      ':until': until,
      ':zero': 0,
      ':one': 1,
      ':iso': new Date(now).toISOString(),
    }),
  };
}
