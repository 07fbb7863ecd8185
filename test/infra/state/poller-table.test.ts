import { describe, expect, it } from 'vitest';
import { SharedPollerStack } from '../shared-stacks.js';
import { onlyResource } from '../support.js';

const defaults = new SharedPollerStack('default');

/** What the index projects besides its keys (the tier: the claim needs it, no read first). */
const DUE_INDEX_PROJECTION = { ProjectionType: 'INCLUDE', NonKeyAttributes: ['idlePolls'] };

describe('the state of the default stack', () => {
  it('keeps the watchlist in an on-demand, encrypted, PITR table keyed by customerId, with the due index, retained', () => {
    const table = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
    expect(table.Properties).toEqual({
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'dueShard', AttributeType: 'S' },
        { AttributeName: 'nextPollAt', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'nextPollAt', KeyType: 'RANGE' },
          ],
          Projection: DUE_INDEX_PROJECTION,
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});
