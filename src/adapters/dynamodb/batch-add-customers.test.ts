import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { newCustomerState } from '../../domain/customer-state.js';
import { batchAddCustomers } from './batch-add-customers.js';

const TABLE = 'cursors';
const states = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    newCustomerState(
      { customerId: String(index + 1), scope: 'default', backfill: false },
      new Date(0),
    ),
  );

/** A client that knows customer 2, and leaves items unprocessed in the first write rounds. */
function fakeClient(unprocessedRounds: number) {
  const writes: string[][] = [];
  let gets = 0;
  const client = {
    async send(command: unknown) {
      if (command instanceof BatchGetItemCommand) {
        gets++;
        const keys = command.input.RequestItems?.[TABLE]?.Keys ?? [];
        expect(keys.length).toBeLessThanOrEqual(100);
        return {
          Responses: {
            [TABLE]: keys.filter((key) => key.customerId?.S === '2'),
          },
        };
      }
      if (command instanceof BatchWriteItemCommand) {
        const requests = command.input.RequestItems?.[TABLE] ?? [];
        expect(requests.length).toBeLessThanOrEqual(25);
        writes.push(requests.map((request) => request.PutRequest?.Item?.customerId?.S ?? ''));
        if (writes.length <= unprocessedRounds) {
          return { UnprocessedItems: { [TABLE]: requests.slice(1) } };
        }
        return {};
      }
      throw new Error('unexpected command');
    },
  };
  return { client: client as unknown as DynamoDBClient, writes, gets: () => gets };
}

describe('batchAddCustomers', () => {
  it('reads 100 keys and writes 25 items per call, skips existing ids, and reports each', async () => {
    const fake = fakeClient(0);
    const progress: number[] = [];
    const added = await batchAddCustomers(states(230), {
      client: fake.client,
      tableName: TABLE,
      onProgress: (done) => progress.push(done),
    });
    expect(added.filter((value) => !value)).toHaveLength(1);
    expect(added[1]).toBe(false);
    expect(fake.gets()).toBe(3);
    // Each new customer: its cursor item and its schedule item (so sweeps find it).
    const expected = states(230)
      .map((state) => state.customerId)
      .filter((id) => id !== '2')
      .flatMap((id) => [id, `schedule#${id}`]);
    expect(fake.writes.flat().sort()).toEqual(expected.sort());
    expect(progress.at(-1)).toBe(230);
  });

  it('writes again what DynamoDB left unprocessed, and nothing twice', async () => {
    const fake = fakeClient(2);
    // Each round leaves all but the first item unprocessed.
    const pauses: number[] = [];
    await batchAddCustomers(states(3), {
      client: fake.client,
      tableName: TABLE,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    expect(fake.writes).toEqual([
      ['1', 'schedule#1', '3', 'schedule#3'],
      ['schedule#1', '3', 'schedule#3'],
      ['3', 'schedule#3'],
    ]);
    expect(pauses).toHaveLength(2);
  });
});
