// Plain-data implementations of the domain's ports, for unit tests of the domain alone.
import type { CapillaryEvent } from '../../src/domain/capillary-event.js';
import { CapillaryEventSchema } from '../../src/domain/capillary-event.js';
import type { CustomerState } from '../../src/domain/customer-state.js';
import type {
  CursorStore,
  CustomerEventsSource,
  DeadLetterSink,
  EventPublisher,
  FetchedEvents,
  Logger,
  OutgoingEvent,
  ParkOutcome,
  PublishOutcome,
  StoredCustomer,
} from '../../src/domain/ports.js';

export class InMemoryCursorStore implements CursorStore {
  readonly states = new Map<string, CustomerState>();
  readonly unreadable = new Map<string, string>();
  writes = 0;
  /** Whole-state reads: the sweep should only pay them when a window changed. */
  reads = 0;

  async *listCustomers(): AsyncIterable<StoredCustomer> {
    for (const [customerId, reason] of this.unreadable)
      yield { kind: 'unreadable', customerId, reason };
    for (const { seen: _seen, seenFloor: _floor, ...watch } of this.states.values()) {
      yield { kind: 'ok', watch: structuredClone(watch) };
    }
  }
  async getCustomer(customerId: string) {
    this.reads++;
    const state = this.states.get(customerId);
    return state && structuredClone(state);
  }
  async addCustomer(state: CustomerState) {
    if (this.states.has(state.customerId)) return false;
    this.states.set(state.customerId, structuredClone(state));
    return true;
  }
  async removeCustomer(customerId: string) {
    return this.states.delete(customerId);
  }
  async saveState(next: CustomerState, expectedVersion: number) {
    if (this.states.get(next.customerId)?.version !== expectedVersion) return 'conflict' as const;
    this.writes++;
    this.states.set(next.customerId, structuredClone(next));
    return 'saved' as const;
  }
}

/** Serves each customer's current window, newest first; `fail` makes its next fetches throw. */
export class ScriptedSource implements CustomerEventsSource {
  readonly windows = new Map<string, CapillaryEvent[]>();
  readonly failures = new Map<string, string[]>();
  calls = 0;

  setWindow(customerId: string, events: unknown[]): void {
    this.windows.set(
      customerId,
      events.map((event) => CapillaryEventSchema.parse(event)),
    );
  }
  fail(customerId: string, ...reasons: string[]): void {
    this.failures.set(customerId, [...(this.failures.get(customerId) ?? []), ...reasons]);
  }
  async fetchEvents({ customerId }: { customerId: string }): Promise<FetchedEvents> {
    this.calls++;
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
