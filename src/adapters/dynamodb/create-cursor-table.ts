import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type TableDescription,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { addMissingSchedules } from './add-missing-schedules.js';
import { CursorStoreError, tableStateError } from './cursor-store-errors.js';
import {
  DUE_INDEX_NAME,
  DUE_INDEX_PARTITION_KEY,
  DUE_INDEX_PROJECTED_ATTRIBUTES,
  DUE_INDEX_SORT_KEY,
} from './due-index.js';

export interface CreateCursorTableOptions {
  /** How long to wait for the table (and a new index) to become ACTIVE; default 5 minutes. */
  timeoutMs?: number;
  /** The time stamped on schedule items created for customers watched before; default now. */
  now?: number;
}

const DUE_INDEX_ATTRIBUTES: AttributeDefinition[] = [
  { AttributeName: DUE_INDEX_PARTITION_KEY, AttributeType: 'S' },
  { AttributeName: DUE_INDEX_SORT_KEY, AttributeType: 'N' },
];

const DUE_INDEX: GlobalSecondaryIndex = {
  IndexName: DUE_INDEX_NAME,
  KeySchema: [
    { AttributeName: DUE_INDEX_PARTITION_KEY, KeyType: 'HASH' },
    { AttributeName: DUE_INDEX_SORT_KEY, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...DUE_INDEX_PROJECTED_ATTRIBUTES] },
};

/**
 * Creates the cursor table (on-demand capacity, partition key `customerId` S, and the `due` index
 * the sweep queries) unless it exists, then waits until it is ACTIVE. A table made before the
 * schedule existed is brought up to date: the `due` index is added (UpdateTable) and customers
 * watched before get their schedule items (due at once); that is `updated`. Safe to run again:
 * `exists` when there was nothing to do. Throws `CursorStoreError` when the table exists with
 * another key, or DynamoDB fails.
 */
export async function createCursorTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateCursorTableOptions = {},
): Promise<'created' | 'exists' | 'updated'> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'customerId', AttributeType: 'S' },
          ...DUE_INDEX_ATTRIBUTES,
        ],
        KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [DUE_INDEX],
      }),
    );
    checkKeySchema(await waitUntilActive(client, tableName, timeoutMs), tableName);
    return 'created';
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) {
      if (error instanceof CursorStoreError) throw error;
      throw new CursorStoreError('CreateTable', tableName, undefined, error);
    }
  }
  const table = await waitUntilActive(client, tableName, timeoutMs);
  checkKeySchema(table, tableName);
  let updated = false;
  if (!table.GlobalSecondaryIndexes?.some((index) => index.IndexName === DUE_INDEX_NAME)) {
    await addDueIndex(client, table, tableName, timeoutMs);
    updated = true;
  }
  const created = await addMissingSchedules({ client, tableName }, options.now ?? Date.now());
  return updated || created > 0 ? 'updated' : 'exists';
}

async function addDueIndex(
  client: DynamoDBClient,
  table: TableDescription,
  tableName: string,
  timeoutMs: number,
): Promise<void> {
  const provisioned =
    table.BillingModeSummary?.BillingMode === 'PROVISIONED' ||
    (table.BillingModeSummary === undefined &&
      (table.ProvisionedThroughput?.ReadCapacityUnits ?? 0) > 0);
  const throughput = {
    ReadCapacityUnits: table.ProvisionedThroughput?.ReadCapacityUnits || 1,
    WriteCapacityUnits: table.ProvisionedThroughput?.WriteCapacityUnits || 1,
  };
  const create = (withThroughput: boolean) =>
    client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: DUE_INDEX_ATTRIBUTES,
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              ...DUE_INDEX,
              ...(withThroughput ? { ProvisionedThroughput: throughput } : {}),
            },
          },
        ],
      }),
    );
  try {
    await create(provisioned).catch((error: unknown) => {
      // dynalite (the embedded DynamoDB) wants a throughput even on an on-demand table.
      const wantsThroughput =
        !provisioned && error instanceof Error && /provisionedThroughput/i.test(error.message);
      if (!wantsThroughput) throw error;
      return create(true);
    });
  } catch (error) {
    throw new CursorStoreError('UpdateTable (add the due index)', tableName, undefined, error);
  }
  await describeUntilActive(client, tableName, timeoutMs, false, (described) => {
    const status = described?.GlobalSecondaryIndexes?.find(
      (index) => index.IndexName === DUE_INDEX_NAME,
    )?.IndexStatus;
    if (status === undefined) {
      // Accepted but not building: dynalite (the embedded DynamoDB) cannot add an index.
      throw new CursorStoreError(
        'UpdateTable (add the due index)',
        tableName,
        undefined,
        tableStateError(
          `this DynamoDB accepted the ${DUE_INDEX_NAME} index but is not building it (dynalite, the embedded DynamoDB, cannot add an index to a table made by an older version): delete .data/dynalite to start afresh and watch the customers again, or use another TABLE_NAME`,
        ),
      );
    }
    return status === 'ACTIVE' ? 'ACTIVE' : `the ${DUE_INDEX_NAME} index is ${status}`;
  });
}

function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<TableDescription> {
  // Just created: DescribeTable may not see it yet.
  return describeUntilActive(client, tableName, timeoutMs, true, (described) => {
    const status = described === undefined ? 'not found' : (described.TableStatus ?? 'unknown');
    if (status === 'DELETING') {
      throw new CursorStoreError('DescribeTable', tableName, undefined, tableStateError(status));
    }
    return status;
  });
}

/**
 * DescribeTable with growing pauses until `stateOf` says `ACTIVE` (it may throw to give up). With
 * `waitForMissing`, a table DescribeTable does not find is `undefined` and waited for.
 */
async function describeUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
  waitForMissing: boolean,
  stateOf: (table: TableDescription | undefined) => string,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    let table: TableDescription | undefined;
    try {
      ({ Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName })));
    } catch (error) {
      const missing = error instanceof Error && error.name === 'ResourceNotFoundException';
      if (!(missing && waitForMissing)) {
        throw new CursorStoreError('DescribeTable', tableName, undefined, error);
      }
    }
    const state = stateOf(table);
    if (table !== undefined && state === 'ACTIVE') return table;
    if (Date.now() + delayMs > deadline) {
      throw new CursorStoreError(
        'DescribeTable',
        tableName,
        undefined,
        tableStateError(`${state} after ${Math.round(timeoutMs / 1000)} s, not ACTIVE`),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
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
  if (!ok) {
    const found = keys.map((key) => `${key.AttributeName} (${key.KeyType})`).join(', ');
    throw new CursorStoreError(
      'DescribeTable',
      tableName,
      undefined,
      tableStateError(
        `the table exists with key ${found}; the poller needs customerId (HASH, S) alone`,
      ),
    );
  }
}
