import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { ClaimedCustomer, DueCustomer } from '../../domain/claim/claimed-customer.js';
import { MAX_CLOCK_SKEW_MS } from '../../domain/claim/clock-skew.js';
import type {
  ClaimRequest,
  ClaimResult,
  ClaimTakeover,
  PollCompletion,
} from '../../domain/ports.js';
import { conditionalUpdate, isConditionFailure } from './conditional-update.js';
import { CursorStoreError } from './cursor-store-errors.js';
import type { CursorTable } from './cursor-table.js';
import { dueShardOf } from './due-index.js';
import { rebuildClaimedSchedule } from './rebuild-schedule.js';
import { decodeSchedule, scheduleKey } from './schedule-item.js';

/**
 * Claims a due customer on its schedule item with one conditional write: still active, still due
 * (unless `aheadOfSchedule`), still at the listed tier, and not held by another poller.
 * `undefined` when another poller won. The claim writes the tentative schedule, which stands if
 * this poller dies.
 */
export async function claim(
  table: CursorTable,
  due: DueCustomer,
  request: ClaimRequest,
): Promise<ClaimResult | undefined> {
  const { tentative } = request;
  let old: Record<string, AttributeValue> | undefined;
  try {
    const result = await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: scheduleKey(due.customerId),
        ...conditionalUpdate({
          set: {
            nextPollAt: tentative.nextPollAt,
            idlePolls: tentative.idlePolls,
            lastPolledAt: tentative.lastPolledAt,
            claimOwner: request.owner,
            claimedUntil: request.claimedUntil,
            // The shard's prefix records the coverage the tentative schedule was made under. Under
            // the backstop the customer leaves the index instead: the walk finds it, and its
            // claims and completions move no index key (`backstop-walk.ts`).
            dueShard:
              request.coverage === undefined || request.coverage === 'backstop'
                ? undefined
                : dueShardOf(due.customerId, request.coverage),
          },
          remove: request.coverage === 'backstop' ? ['dueShard'] : [],
          // Active (only active items carry dueShard: an unreadable status is not a pause); due, or
          // listed as due at a fast clock's time, or named by a person (`poll <id>`); a tier or claim that is not a number is claimed,
          // so the item is read and rebuilt, not skipped forever; a claim expiring later than
          // this one could (plus the skew bound) is a fast clock's: expired.
          condition: `(#status = :active OR (attribute_exists(#dueShard) AND NOT #status = :paused)) AND ${request.aheadOfSchedule ? '' : '(#nextPollAt <= :now OR #nextPollAt = :listedNext) AND '} (#idlePolls = :listedIdle OR NOT attribute_type(#idlePolls, :number)) AND (attribute_not_exists(#claimedUntil) OR #claimedUntil <= :now OR #claimedUntil > :fastClockAfter OR NOT attribute_type(#claimedUntil, :number))`,
          conditionValues: {
            ':active': 'active',
            ':paused': 'paused',
            ':now': request.now,
            ...(request.aheadOfSchedule ? {} : { ':listedNext': due.nextPollAt }),
            ':listedIdle': due.idlePolls,
            ':number': 'N',
            ':fastClockAfter': request.claimedUntil + MAX_CLOCK_SKEW_MS,
          },
        }),
        // The item as it was: scope, mode and digest for the poll, and the schedule before the
        // claim, which a failed poll goes back to.
        ReturnValues: 'ALL_OLD',
      }),
    );
    old = result.Attributes;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw new CursorStoreError('UpdateItem (claim)', table.tableName, due.customerId, error);
  }
  if (old === undefined) return undefined;
  const decoded = decodeSchedule(old);
  // Claimed all the same: rebuilt from the cursor, so the customer goes on being polled.
  if (!decoded.ok) return rebuildClaimedSchedule(table, due, request, old);
  const schedule = decoded.value;
  const previousClaim = schedule.state.claimedUntil;
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
    // Claimable while unexpired only beyond the skew bound: a fast clock's claim, ended.
    fastClockClaimedUntil:
      previousClaim !== null && previousClaim > request.now ? previousClaim : undefined,
  };
}

/**
 * Moves a claim from the scheduler to one delivery of its message, with one conditional write: the
 * item must still hold the claim exactly as the message carries it, unexpired. A second delivery
 * of the message, or one that comes after the customer was completed or claimed again, gets
 * `undefined`. A retried write that had already succeeded (its answer lost) is recognised by the
 * token it left, which is unique to this delivery.
 */
export async function takeOver(
  table: CursorTable,
  claimed: ClaimedCustomer,
  takeover: ClaimTakeover,
): Promise<ClaimedCustomer | undefined> {
  const taken = { ...claimed, claimOwner: takeover.owner };
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: scheduleKey(claimed.customerId),
        ...conditionalUpdate({
          set: { claimOwner: takeover.owner },
          condition: '#claimOwner = :from AND #claimedUntil = :until AND #claimedUntil > :now',
          conditionValues: {
            ':from': claimed.claimOwner,
            ':until': claimed.claimedUntil,
            ':now': takeover.now,
          },
        }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return taken;
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw new CursorStoreError(
        'UpdateItem (take over)',
        table.tableName,
        claimed.customerId,
        error,
      );
    }
    const item = (error as { Item?: Record<string, AttributeValue> }).Item;
    const ours =
      item?.claimOwner?.S === takeover.owner &&
      item.claimedUntil?.N === String(claimed.claimedUntil);
    return ours ? taken : undefined;
  }
}

/**
 * Records a poll's outcome and ends the claim; `lost` when the claim is no longer this one. A hint
 * that came while the customer was claimed keeps it in the priority lane: the claim had moved it
 * out, so a lane time found now is for an event after the claim began, which the poll may have
 * fetched too early to see.
 */
export async function completePoll(
  table: CursorTable,
  claimed: ClaimedCustomer,
  completion: PollCompletion,
): Promise<'completed' | 'lost'> {
  const outcome = await writeCompletion(table, claimed, completion, false);
  if (outcome !== 'hinted meanwhile') return outcome;
  return (await writeCompletion(table, claimed, completion, true)) === 'completed'
    ? 'completed'
    : 'lost';
}

async function writeCompletion(
  table: CursorTable,
  claimed: ClaimedCustomer,
  completion: PollCompletion,
  keepLane: boolean,
): Promise<'completed' | 'lost' | 'hinted meanwhile'> {
  const { lastError } = completion;
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: scheduleKey(claimed.customerId),
        ...conditionalUpdate({
          set: {
            nextPollAt: keepLane ? undefined : completion.schedule.nextPollAt,
            idlePolls: completion.schedule.idlePolls,
            lastPolledAt: completion.schedule.lastPolledAt,
            mode: completion.mode,
            windowDigest: completion.windowDigest,
            ...(lastError
              ? { lastError: lastError.reason.slice(0, 500), lastFailedAt: lastError.at }
              : {}),
          },
          remove: [
            'claimOwner',
            'claimedUntil',
            ...(lastError === null ? ['lastError', 'lastFailedAt'] : []),
          ],
          condition: `#claimOwner = :owner AND #claimedUntil = :until AND #nextPollAt ${keepLane ? '<' : '>='} :laneEnd`,
          conditionValues: {
            ':owner': claimed.claimOwner,
            ':until': claimed.claimedUntil,
            ':laneEnd': 0,
          },
        }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return 'completed';
  } catch (error) {
    if (isConditionFailure(error)) {
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      const ours =
        item?.claimOwner?.S === claimed.claimOwner &&
        item.claimedUntil?.N === String(claimed.claimedUntil);
      const inLane = Number(item?.nextPollAt?.N) < 0;
      return ours && inLane && !keepLane ? 'hinted meanwhile' : 'lost';
    }
    throw new CursorStoreError(
      'UpdateItem (complete poll)',
      table.tableName,
      claimed.customerId,
      error,
    );
  }
}
