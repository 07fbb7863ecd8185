import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { conditionalUpdate, isConditionFailure } from './conditional-update.js';
import { CursorStoreError } from './cursor-store-errors.js';
import { retryThrottled } from './throttle-retry.js';

/** The table of cursor, schedule and quota items, as each room of the store reaches it. */
export interface CursorTable {
  client: DynamoDBClient;
  tableName: string;
}

/**
 * One DynamoDB call on the table, tried again while throttled (until `deadline`, when given); any
 * failure becomes a `CursorStoreError` naming it.
 */
export async function callTable<T>(
  table: CursorTable,
  operation: string,
  customerId: string | undefined,
  send: () => Promise<T>,
  deadline?: number,
): Promise<T> {
  try {
    return await retryThrottled(send, deadline);
  } catch (error) {
    throw new CursorStoreError(operation, table.tableName, customerId, error);
  }
}

export async function getItem(
  table: CursorTable,
  key: Record<string, AttributeValue>,
  customerId: string,
  consistent = true,
  deadline?: number,
): Promise<Record<string, AttributeValue> | undefined> {
  const result = await callTable(
    table,
    'GetItem',
    customerId,
    () =>
      table.client.send(
        new GetItemCommand({ TableName: table.tableName, Key: key, ConsistentRead: consistent }),
      ),
    deadline,
  );
  return result.Item;
}

/** Writes the item unless one with its key exists; `true` when it did. */
export async function putIfAbsent(
  table: CursorTable,
  item: Record<string, AttributeValue>,
  operation: string,
  customerId: string,
): Promise<boolean> {
  try {
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(customerId)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw new CursorStoreError(operation, table.tableName, customerId, error);
  }
}

/**
 * One conditional UpdateItem (`conditionalUpdate`): `true` when written, `false` when its
 * condition did not hold (a lost race, or nothing to do); any other failure is a
 * `CursorStoreError` naming `operation`. Throttles are tried again (`retryThrottled`) only when
 * asked to, until `retry.deadline`.
 */
export async function updateIf(
  table: CursorTable,
  key: Record<string, AttributeValue>,
  update: Parameters<typeof conditionalUpdate>[0],
  about: { operation: string; customerId: string | undefined },
  retry?: { deadline: number | undefined },
): Promise<boolean> {
  const send = () =>
    table.client.send(
      new UpdateItemCommand({ TableName: table.tableName, Key: key, ...conditionalUpdate(update) }),
    );
  try {
    await (retry ? retryThrottled(send, retry.deadline) : send());
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw new CursorStoreError(about.operation, table.tableName, about.customerId, error);
  }
}

/**
 * Every item of the table with only `attributes`, page by page (`pageLimit` items evaluated per
 * Scan; unset, DynamoDB's 1 MB pages).
 */
export async function* scanItems(
  table: CursorTable,
  attributes: readonly string[],
  pageLimit?: number,
): AsyncGenerator<Record<string, AttributeValue>> {
  const names = Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name]));
  yield* pagedItems(table, 'Scan', (startKey) =>
    table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
        ExclusiveStartKey: startKey,
        Limit: pageLimit,
      }),
    ),
  );
}

type Key = Record<string, AttributeValue>;

/** The items of a Scan or Query, page after page from each `LastEvaluatedKey`, until the last. */
export async function* pagedItems(
  table: CursorTable,
  operation: string,
  page: (startKey: Key | undefined) => Promise<{ Items?: Key[]; LastEvaluatedKey?: Key }>,
  deadline?: number,
): AsyncGenerator<Key> {
  let startKey: Key | undefined;
  do {
    const answer = await callTable(table, operation, undefined, () => page(startKey), deadline);
    yield* answer.Items ?? [];
    startKey = answer.LastEvaluatedKey;
  } while (startKey !== undefined);
}
