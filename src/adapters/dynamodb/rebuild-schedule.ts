import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DueCustomer } from '../../domain/claim/claimed-customer.js';
import type { ClaimRequest, ClaimResult } from '../../domain/ports.js';
import { conditionalUpdate, isConditionFailure } from './conditional-update.js';
import { cursorKey, decodeWatchEntry } from './cursor-item.js';
import { CursorStoreError, UnreadableCustomerError } from './cursor-store-errors.js';
import { type CursorTable, getItem } from './cursor-table.js';
import { scheduleKey, unreadableScheduleFields } from './schedule-item.js';
import { retryThrottled } from './throttle-retry.js';

/**
 * A schedule item just claimed that cannot be read (a hand edit, a bug): rebuilt from the cursor
 * item (scope, mode) and the defaults (tier 0, never polled, no window digest, so the poll reads
 * the cursor), and written back while the claim holds, so the customer goes on being polled and
 * the next claim finds a sound item. Throws `UnreadableCustomerError` when the cursor cannot say.
 */
export async function rebuildClaimedSchedule(
  table: CursorTable,
  due: DueCustomer,
  request: ClaimRequest,
  old: Record<string, AttributeValue>,
): Promise<ClaimResult> {
  const fields = unreadableScheduleFields(old);
  const cursorItem = await getItem(
    table,
    cursorKey(due.customerId),
    due.customerId,
    true,
    request.deadline,
  );
  const cursor = cursorItem && decodeWatchEntry(cursorItem);
  if (!cursor?.ok) {
    throw new UnreadableCustomerError(
      due.customerId,
      table.tableName,
      `schedule item: unreadable ${fields.join(', ')}, and no readable cursor item to rebuild it from`,
    );
  }
  const stored = safeUnmarshall(old);
  const idlePolls = Number.isSafeInteger(stored.idlePolls) ? (stored.idlePolls as number) : 0;
  const lastPolledAt = Number.isSafeInteger(stored.lastPolledAt)
    ? (stored.lastPolledAt as number)
    : null;
  const createdAt = Date.parse(cursor.value.createdAt);
  const unreadable = new Set(fields);
  try {
    await retryThrottled(
      () =>
        table.client.send(
          new UpdateItemCommand({
            TableName: table.tableName,
            Key: scheduleKey(due.customerId),
            ...conditionalUpdate({
              set: {
                // Claimed, so in the due index: active.
                status: unreadable.has('status') ? 'active' : undefined,
                scope: cursor.value.scope,
                mode: cursor.value.mode,
                windowDigest: null,
                createdAt: unreadable.has('createdAt')
                  ? Number.isNaN(createdAt)
                    ? request.now
                    : createdAt
                  : undefined,
              },
              remove: ['lastError', 'lastFailedAt'].filter((field) => unreadable.has(field)),
              condition: '#claimOwner = :owner AND #claimedUntil = :until',
              conditionValues: { ':owner': request.owner, ':until': request.claimedUntil },
            }),
          }),
        ),
      request.deadline,
    );
  } catch (error) {
    // Taken over meanwhile: the poll finds its claim lost, and the next claim rebuilds again.
    if (!isConditionFailure(error)) {
      throw new CursorStoreError(
        'UpdateItem (rebuild schedule)',
        table.tableName,
        due.customerId,
        error,
      );
    }
  }
  return {
    customerId: due.customerId,
    scope: cursor.value.scope,
    mode: cursor.value.mode,
    windowDigest: null,
    idlePolls,
    lastPolledAt,
    nextPollAt: request.tentative.nextPollAt,
    claimOwner: request.owner,
    claimedUntil: request.claimedUntil,
    rebuiltFields: fields,
  };
}

function safeUnmarshall(item: Record<string, AttributeValue>): Record<string, unknown> {
  try {
    return unmarshall(item);
  } catch {
    return {};
  }
}
