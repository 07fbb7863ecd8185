// A steady stream of new Capillary events for the proofs: some late (dated minutes back), some in
// the same second as the one before, some without ids (identified by content). Every event carries
// a sequence number in its attributes, so what was served can be matched with what was published.
import type { CapillaryDouble } from './capillary-double.js';
import { detailOf, type WirePutEventsEntry } from './eventbridge-double.js';

type StreamedKind = 'fresh' | 'late' | 'same-second' | 'no-ids';

export interface StreamedEvent {
  customerId: string;
  seq: number;
  kind: StreamedKind;
  /** Epoch ms, whole seconds (the API's dates have no fraction). */
  at: number;
}

const KINDS: readonly StreamedKind[] = ['fresh', 'fresh', 'late', 'same-second', 'no-ids'];

/**
 * Feeds `double` with new events for `customerIds`, keeping each customer's window to its
 * `windowSize` newest events by date, as the API does.
 */
export class EventStream {
  readonly served: StreamedEvent[] = [];
  private readonly byCustomer = new Map<string, StreamedEvent[]>();
  private timer: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(
    private readonly double: CapillaryDouble,
    private readonly customerIds: readonly string[],
    private readonly windowSize = 50,
  ) {
    for (const customerId of customerIds) {
      this.byCustomer.set(customerId, []);
      double.setEvents(customerId, []);
    }
  }

  /** Adds one event to the next customer in turn, of the next kind in turn. */
  add(): StreamedEvent {
    const seq = this.served.length + 1;
    const customerId = this.customerIds[this.next % this.customerIds.length] as string;
    const kind = KINDS[
      Math.floor(this.next / this.customerIds.length) % KINDS.length
    ] as StreamedKind;
    this.next++;
    const own = this.byCustomer.get(customerId) as StreamedEvent[];
    const now = Math.floor(Date.now() / 1000) * 1000;
    const newest = own.reduce((latest, event) => Math.max(latest, event.at), 0);
    const at = kind === 'late' ? now - 20_000 : kind === 'same-second' && newest > 0 ? newest : now;
    const event = { customerId, seq, kind, at };
    own.push(event);
    this.served.push(event);
    const window = [...own].sort((a, b) => b.at - a.at || b.seq - a.seq).slice(0, this.windowSize);
    this.double.setEvents(customerId, window.map(toRawEvent));
    return event;
  }

  /** One event every `everyMs` until `stop()`. */
  start(everyMs: number): void {
    this.timer = setInterval(() => this.add(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function toRawEvent(event: StreamedEvent): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    orgId: 100737,
    userId: Number(event.customerId),
    date: new Date(event.at).toISOString().replace('.000Z', 'Z'),
    eventName: `Proof_${event.kind.replace('-', '_')}`,
    source: 'INSTORE',
    tillCode: 'till_one',
    additonalAttributes: { seq: event.seq, kind: event.kind },
    psiAttributes: [],
  };
  if (event.kind !== 'no-ids') {
    raw.eventId = `request-${event.seq}`;
    raw.uniqueId = `u-${event.customerId}-${event.seq}`;
  }
  return raw;
}

/** `customerId#seq` of a published entry. */
function streamKeyOf(entry: WirePutEventsEntry): string {
  const detail = detailOf(entry) as { customerId: string; attributes: { seq?: unknown } };
  return `${detail.customerId}#${String(detail.attributes.seq)}`;
}

/** What was served against what was published: lost events and duplicates. */
export function deliveryReport(
  served: readonly StreamedEvent[],
  accepted: readonly WirePutEventsEntry[],
) {
  const published = new Map<string, number>();
  for (const entry of accepted) {
    const key = streamKeyOf(entry);
    published.set(key, (published.get(key) ?? 0) + 1);
  }
  const lost = served.filter((event) => !published.has(`${event.customerId}#${event.seq}`));
  const distinct = published.size;
  const duplicates = accepted.length - distinct;
  return {
    served: served.length,
    published: accepted.length,
    distinct,
    duplicates,
    duplicateRate: distinct === 0 ? 0 : duplicates / distinct,
    lost,
  };
}
