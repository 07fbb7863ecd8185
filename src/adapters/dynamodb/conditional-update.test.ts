import { describe, expect, it } from 'vitest';
import { conditionalUpdate } from './conditional-update.js';

describe('conditionalUpdate', () => {
  it('sets, removes and names every attribute, leaving undefined ones as they are', () => {
    expect(
      conditionalUpdate({
        set: { status: 'active', nextPollAt: 5, lastPolledAt: null, mode: undefined },
        remove: ['claimOwner'],
        condition: '#version = :expected',
        conditionValues: { ':expected': 3 },
      }),
    ).toEqual({
      UpdateExpression:
        'SET #status = :status, #nextPollAt = :nextPollAt, #lastPolledAt = :lastPolledAt REMOVE #claimOwner',
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#nextPollAt': 'nextPollAt',
        '#lastPolledAt': 'lastPolledAt',
        '#claimOwner': 'claimOwner',
        '#version': 'version',
      },
      ExpressionAttributeValues: {
        ':expected': { N: '3' },
        ':status': { S: 'active' },
        ':nextPollAt': { N: '5' },
        ':lastPolledAt': { NULL: true },
      },
    });
  });

  it('refuses a condition placeholder that a set attribute also uses', () => {
    expect(() =>
      conditionalUpdate({
        set: { status: 'paused' },
        condition: '#status <> :status',
        conditionValues: { ':status': 'paused' },
      }),
    ).toThrow(/reuses the placeholder :status/);
  });
});
