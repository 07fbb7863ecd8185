// Plain-data implementations of the domain's ports, for unit tests of the domain alone.
import type { CapillaryEvent } from '../../src/domain/capillary-event.js';
import { CapillaryEventSchema } from '../../src/domain/capillary-event.js';
import type {
  ClaimedCustomer,
  DueCustomer,
  ScheduleState,
} from '../../src/domain/claim/claimed-customer.js';
import type {
  CustomerState,
  Scope,
  WatchMode,
  WatchStatus,
} from '../../src/domain/customer-state.js';
import { hintedSchedule } from '../../src/domain/feed/priority-lane.js';
import type {
  ClaimRequest,
  ClaimTakeover,
  CursorStore,
  CustomerEventsSource,
  DeadLetterSink,
  DueRead,
  EventPublisher,
  FetchedEvents,
  HintOutcome,
  Logger,
  OffIndexWalk,
  OutgoingEvent,
  ParkOutcome,
  PollCompletion,
  PublishOutcome,
  StatusChange,
  WatchedCustomer,
} from '../../src/domain/ports.js';
import { compareMostOverdue, initialSchedule } from '../../src/domain/schedule/schedule.js';

/** A schedule item as the DynamoDB store keeps it. */
export interface InMemorySchedule {
  status: WatchStatus;
  scope: Scope;
  mode: WatchMode;
  windowDigest: string | null;
  nextPollAt: number;
  idlePolls: number;
  lastPolledAt: number | null;
  createdAt: number;
  claimOwner?: string | undefined;
  claimedUntil?: number | undefined;
  lastError: string | null;
  lastFailedAt: number | null;
}

function scheduleStateOf(schedule: InMemorySchedule): ScheduleState {
  return {
    status: schedule.status,
    nextPollAt: schedule.nextPollAt,
    idlePolls: schedule.idlePolls,
    lastPolledAt: schedule.lastPolledAt,
    claimedUntil: schedule.claimedUntil ?? null,
    lastError: schedule.lastError,
    lastFailedAt: schedule.lastFailedAt,
  };
}

/** Cursor items in `states`, schedule items in `schedules`, with the DynamoDB store's conditions. */
export class InMemoryCursorStore implements CursorStore {
  readonly states = new Map<string, CustomerState>();
  readonly schedules = new Map<string, InMemorySchedule>();
  readonly unreadable = new Map<string, string>();
  /** Cursor writes. */
  writes = 0;
  /** Whole-state reads: the sweep should only pay them when a window changed. */
  reads = 0;
  /** Schedule writes after a claim (`completePoll`): an idle poll should need none. */
  completions = 0;
  claims = 0;
  /** Claims handed on to a delivery of their work message (`takeOver`). */
  takeovers = 0;

  async getCustomer(customerId: string) {
    this.reads++;
    const state = this.states.get(customerId);
    return state && structuredClone(state);
  }
  async addCustomer(state: CustomerState) {
    const added = !this.states.has(state.customerId);
    if (added) this.states.set(state.customerId, structuredClone(state));
    const cursor = this.states.get(state.customerId) as CustomerState;
    if (!this.schedules.has(state.customerId)) {
      const createdAt = Date.parse(cursor.createdAt);
      this.schedules.set(state.customerId, {
        status: cursor.status,
        scope: cursor.scope,
        mode: cursor.mode,
        windowDigest: cursor.windowDigest,
        ...initialSchedule(createdAt),
        createdAt,
        lastError: null,
        lastFailedAt: null,
      });
    }
    return added;
  }
  async removeCustomer(customerId: string) {
    const scheduled = this.schedules.delete(customerId);
    return this.states.delete(customerId) || scheduled;
  }
  async saveState(next: CustomerState, expectedVersion: number) {
    if (this.states.get(next.customerId)?.version !== expectedVersion) return 'conflict' as const;
    this.writes++;
    this.states.set(next.customerId, structuredClone(next));
    return 'saved' as const;
  }
  async setStatus(customerId: string, status: WatchStatus, now: number): Promise<StatusChange> {
    const schedule = this.schedules.get(customerId);
    if (!schedule || !this.states.has(customerId)) return 'not watched';
    if (schedule.status === status)
      return status === 'paused' ? 'already paused' : 'already active';
    schedule.status = status;
    if (status === 'active') schedule.nextPollAt = now;
    return status;
  }
  async *listWatched(): AsyncIterable<WatchedCustomer> {
    for (const [customerId, reason] of this.unreadable)
      yield { kind: 'unreadable', customerId, reason };
    for (const { seen: _seen, seenFloor: _floor, ...watch } of this.states.values()) {
      const schedule = this.schedules.get(watch.customerId);
      yield {
        kind: 'ok',
        watch: { ...structuredClone(watch), status: schedule?.status ?? watch.status },
        schedule: schedule && scheduleStateOf(schedule),
      };
    }
  }
  /** The change feed's hint (`HintSink`), as the DynamoDB store decides it. */
  async markHinted(customerId: string, startTime: number): Promise<HintOutcome> {
    const schedule = this.schedules.get(customerId);
    if (schedule?.status !== 'active') return 'dropped';
    const hinted = hintedSchedule(schedule, startTime);
    if (hinted === undefined) return 'dropped';
    schedule.nextPollAt = hinted.nextPollAt;
    return 'due-now';
  }
  async scheduleOf(customerId: string): Promise<ScheduleState | undefined> {
    const schedule = this.schedules.get(customerId);
    return schedule && scheduleStateOf(schedule);
  }
  async *dueCustomers(now: number, read: DueRead = {}): AsyncIterable<DueCustomer> {
    const inRange = (at: number) =>
      read.lane === 'only' ? at < 0 : read.lane === 'excluded' ? at >= 0 && at <= now : at <= now;
    const due = [...this.schedules.entries()]
      .filter(([, schedule]) => schedule.status === 'active' && inRange(schedule.nextPollAt))
      .map(([customerId, schedule]) => ({
        customerId,
        nextPollAt: schedule.nextPollAt,
        idlePolls: schedule.idlePolls,
      }))
      .sort(compareMostOverdue);
    yield* due;
  }
  /** Keeps every customer on its (in-memory) due list: nobody is off the index to walk. */
  async walkOffIndex(): Promise<OffIndexWalk> {
    return { customers: [], advance: async () => {}, putBackOnIndex: async () => {} };
  }
  async claim(due: DueCustomer, request: ClaimRequest): Promise<ClaimedCustomer | undefined> {
    const schedule = this.schedules.get(due.customerId);
    if (
      schedule?.status !== 'active' ||
      (schedule.nextPollAt > request.now && !request.aheadOfSchedule) ||
      schedule.idlePolls !== due.idlePolls ||
      (schedule.claimedUntil !== undefined && schedule.claimedUntil > request.now)
    ) {
      return undefined;
    }
    this.claims++;
    const before = { ...schedule };
    Object.assign(schedule, request.tentative, {
      claimOwner: request.owner,
      claimedUntil: request.claimedUntil,
    });
    return {
      customerId: due.customerId,
      scope: before.scope,
      mode: before.mode,
      windowDigest: before.windowDigest,
      idlePolls: before.idlePolls,
      lastPolledAt: before.lastPolledAt,
      nextPollAt: request.tentative.nextPollAt,
      claimOwner: request.owner,
      claimedUntil: request.claimedUntil,
    };
  }
  async takeOver(
    claimed: ClaimedCustomer,
    takeover: ClaimTakeover,
  ): Promise<ClaimedCustomer | undefined> {
    const schedule = this.schedules.get(claimed.customerId);
    if (
      !schedule ||
      schedule.claimOwner !== claimed.claimOwner ||
      schedule.claimedUntil !== claimed.claimedUntil ||
      claimed.claimedUntil <= takeover.now
    ) {
      return undefined;
    }
    this.takeovers++;
    schedule.claimOwner = takeover.owner;
    return { ...claimed, claimOwner: takeover.owner };
  }
  async completePoll(claimed: ClaimedCustomer, completion: PollCompletion) {
    const schedule = this.schedules.get(claimed.customerId);
    if (
      !schedule ||
      schedule.claimOwner !== claimed.claimOwner ||
      schedule.claimedUntil !== claimed.claimedUntil
    ) {
      return 'lost' as const;
    }
    this.completions++;
    Object.assign(schedule, completion.schedule, {
      claimOwner: undefined,
      claimedUntil: undefined,
    });
    if (completion.mode !== undefined) schedule.mode = completion.mode;
    if (completion.windowDigest !== undefined) schedule.windowDigest = completion.windowDigest;
    if (completion.lastError !== undefined) {
      schedule.lastError = completion.lastError?.reason ?? null;
      schedule.lastFailedAt = completion.lastError?.at ?? null;
    }
    return 'completed' as const;
  }
  async nextDueAt() {
    let earliest: number | undefined;
    for (const schedule of this.schedules.values()) {
      if (schedule.status !== 'active') continue;
      earliest = Math.min(earliest ?? schedule.nextPollAt, schedule.nextPollAt);
    }
    return earliest;
  }
}

/** Serves each customer's current window, newest first; `fail` makes its next fetches throw. */
export class ScriptedSource implements CustomerEventsSource {
  readonly windows = new Map<string, CapillaryEvent[]>();
  readonly failures = new Map<string, string[]>();
  calls = 0;
  /** Customer ids in the order they were fetched. */
  readonly fetched: string[] = [];
  /** How many fetches were in flight as each one started, itself included. */
  readonly inFlightAtStart: number[] = [];
  #inFlight = 0;
  /** Runs as each fetch starts: a test moves its clock, or waits so that polls overlap. */
  beforeFetch: ((customerId: string) => void | Promise<void>) | undefined;

  setWindow(customerId: string, events: unknown[]): void {
    this.windows.set(
      customerId,
      events.map((event) => CapillaryEventSchema.parse(event)),
    );
  }
  fail(customerId: string, ...reasons: string[]): void {
    this.failures.set(customerId, [...(this.failures.get(customerId) ?? []), ...reasons]);
  }
  /** The most fetches in flight at once so far. */
  get peakInFlight(): number {
    return Math.max(0, ...this.inFlightAtStart);
  }
  async fetchEvents({ customerId }: { customerId: string }): Promise<FetchedEvents> {
    this.inFlightAtStart.push(++this.#inFlight);
    try {
      const waiting = this.beforeFetch?.(customerId);
      if (waiting) await waiting;
    } finally {
      this.#inFlight--;
    }
    this.calls++;
    this.fetched.push(customerId);
    const reason = this.failures.get(customerId)?.shift();
    if (reason) throw new Error(reason);
    return { events: structuredClone(this.windows.get(customerId) ?? []), warnings: [] };
  }
}

/** Publishes everything unless `decide` says otherwise; keeps what went out, in order. */
export class RecordingPublisher implements EventPublisher {
  readonly published: OutgoingEvent[] = [];
  decide: (event: OutgoingEvent) => PublishOutcome = (event) => ({
    key: event.key,
    status: 'published',
  });

  /** Publishes everything but the event `key`, which gets `status` and `reason`. */
  refuse(key: string, status: 'failed' | 'rejected', reason: string): void {
    this.decide = (event) =>
      event.key === key ? { key, status, reason } : { key: event.key, status: 'published' };
  }

  async publish(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    return events.map((event) => {
      const outcome = this.decide(event);
      if (outcome.status === 'published') this.published.push(event);
      return outcome;
    });
  }
}

export class RecordingDeadLetters implements DeadLetterSink {
  readonly parked: { event: OutgoingEvent; reason: string }[] = [];
  failWith: string | undefined;

  async park(items: readonly { event: OutgoingEvent; reason: string }[]): Promise<ParkOutcome[]> {
    return items.map((item) => {
      if (this.failWith) return { key: item.event.key, parked: false, reason: this.failWith };
      this.parked.push(item);
      return { key: item.event.key, parked: true };
    });
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes?: Record<string, unknown> | undefined;
}

export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, attributes?: Record<string, unknown>) =>
    lines.push({ level, message, attributes });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** An API event shaped like the reference sample, with the given identity and date. */
export function apiEvent(
  overrides: {
    uniqueId?: string | null;
    eventId?: string | null;
    date: string;
    eventName?: string;
  } & Record<string, unknown>,
): Record<string, unknown> {
  const id = overrides.uniqueId ?? overrides.eventId ?? undefined;
  return {
    orgId: 100737,
    userId: 564590100,
    eventName: 'TestingEvent_FE',
    source: 'INSTORE',
    tillCode: 'rutuja_capillary',
    additonalAttributes: {
      eventDateTime: String(Date.parse(overrides.date)),
      requestId: id ?? null,
    },
    psiAttributes: [],
    ...overrides,
  };
}
