// Virtual time for tests of code that sleeps and reads clocks while it talks to DynamoDB Local:
// time stands still while a request is out and jumps to the next timer once everything waits, so
// a minute of quota runs in seconds and what is measured is counts, never the wall clock.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const MAX_TIMER_MS = 2 ** 31 - 1;

interface Timer {
  at: number;
  order: number;
  resolve: () => void;
}

export class VirtualTime {
  /** Epoch ms, the true time every clock derives from. */
  now: number;
  #timers: Timer[] = [];
  #order = 0;
  #inFlight = 0;

  constructor(start = Date.now()) {
    this.now = start;
  }

  /** A clock `offsetMs` ahead of the true time (behind when negative). */
  clock(offsetMs = 0): () => number {
    return () => this.now + offsetMs;
  }

  /**
   * Resolves once the true time has moved `ms` on. As Node's `setTimeout`: a delay past 2^31 - 1
   * ms fires after 1 ms, so code that would overflow a real timer does here too.
   */
  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const delay = ms > MAX_TIMER_MS ? 1 : Math.max(0, ms);
      this.#timers.push({ at: this.now + delay, order: this.#order++, resolve });
    });

  /** `client` with its requests counted, so time does not move while one is out. */
  track(client: DynamoDBClient): DynamoDBClient {
    return new Proxy(client, {
      get: (target, property, receiver) => {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return (...args: Parameters<DynamoDBClient['send']>) => {
          this.#inFlight++;
          return (target.send as (...a: unknown[]) => Promise<unknown>)
            .apply(target, args)
            .finally(() => {
              this.#inFlight--;
            });
        };
      },
    });
  }

  /** Runs timers in order until the true time reaches `until` (or nothing is left to run). */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await this.#settle();
      this.#timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.#timers[0];
      if (next === undefined || next.at > until) {
        this.now = Math.max(this.now, until);
        return;
      }
      this.#timers.shift();
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
  }

  /** Waits until no request is out and every continuation has run. */
  async #settle(): Promise<void> {
    for (let quiet = 0; quiet < 2; ) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#inFlight > 0) {
        quiet = 0;
        await new Promise((resolve) => setTimeout(resolve, 1));
      } else {
        quiet++;
      }
    }
  }
}
