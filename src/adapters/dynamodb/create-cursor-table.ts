import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CursorStoreError } from './dynamodb-cursor-store.js';
import { WATCHLIST_INDEX_NAME, WATCHLIST_PROJECTED_ATTRIBUTES } from './watchlist-index.js';

export interface CreateCursorTableOptions {
  /** How long to wait for the table to become ACTIVE; default 5 minutes. */
  timeoutMs?: number;
}

/**
 * Creates the cursor table (on-demand capacity, partition key `customerId` S, and the `watchlist`
 * index the sweep scans) unless it exists,
 * then waits until it is ACTIVE. Safe to run again: `exists` when it was already there.
 * Throws `CursorStoreError` when the table exists with another key, or DynamoDB fails.
 */
export async function createCursorTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateCursorTableOptions = {},
): Promise<'created' | 'exists'> {
  let outcome: 'created' | 'exists';
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'customerId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: WATCHLIST_INDEX_NAME,
            KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
            Projection: {
              ProjectionType: 'INCLUDE',
              NonKeyAttributes: [...WATCHLIST_PROJECTED_ATTRIBUTES],
            },
          },
        ],
      }),
    );
    outcome = 'created';
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) {
      throw new CursorStoreError('CreateTable', tableName, undefined, error);
    }
    outcome = 'exists';
  }
  const table = await waitUntilActive(client, tableName, options.timeoutMs ?? 300_000);
  checkKeySchema(table, tableName);
  return outcome;
}

async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 50;
  let last = 'unknown';
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      last = Table?.TableStatus ?? 'unknown';
      if (Table !== undefined && last === 'ACTIVE') return Table;
      if (last === 'DELETING') {
        throw new CursorStoreError('DescribeTable', tableName, undefined, stateError(last));
      }
    } catch (error) {
      if (error instanceof CursorStoreError) throw error;
      // Just created: DescribeTable may not see it yet.
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) {
        throw new CursorStoreError('DescribeTable', tableName, undefined, error);
      }
      last = 'not found';
    }
    if (Date.now() + delayMs > deadline) {
      throw new CursorStoreError(
        'DescribeTable',
        tableName,
        undefined,
        stateError(`${last} after ${Math.round(timeoutMs / 1000)} s, not ACTIVE`),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 2_000);
  }
}

function checkKeySchema(table: TableDescription, tableName: string): void {
  const keys = table.KeySchema ?? [];
  const type = table.AttributeDefinitions?.find((a) => a.AttributeName === 'customerId');
  const ok =
    keys.length === 1 &&
    keys[0]?.AttributeName === 'customerId' &&
    keys[0]?.KeyType === 'HASH' &&
    type?.AttributeType === 'S';
  const index = table.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === WATCHLIST_INDEX_NAME);
  if (ok && index === undefined) {
    throw new CursorStoreError(
      'DescribeTable',
      tableName,
      undefined,
      stateError(`the table has no ${WATCHLIST_INDEX_NAME} index, which the sweep scans`),
    );
  }
  if (!ok) {
    const found = keys.map((key) => `${key.AttributeName} (${key.KeyType})`).join(', ');
    throw new CursorStoreError(
      'DescribeTable',
      tableName,
      undefined,
      stateError(`the table exists with key ${found}; the poller needs customerId (HASH, S) alone`),
    );
  }
}

function stateError(message: string): Error {
  const error = new Error(message);
  error.name = 'TableState';
  return error;
}
