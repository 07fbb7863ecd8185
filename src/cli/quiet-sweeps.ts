import type { SweepSummary } from '../domain/poll/run-sweep.js';

/** Sweeps with nothing to say are summed up in one line this often at most. */
const QUIET_LINE_EVERY_MS = 60_000;

/**
 * Nothing new, nothing failed, nothing left behind: a sweep whose line would only say that the
 * poller is alive.
 */
function isQuiet(summary: SweepSummary): boolean {
  return (
    summary.failures.length === 0 &&
    summary.unpublished.length === 0 &&
    summary.newEvents === 0 &&
    summary.published === 0 &&
    summary.parked === 0 &&
    summary.baselined === 0 &&
    summary.deferred === 0 &&
    summary.overdue === 0 &&
    summary.coverageGaps === 0 &&
    summary.claimsLost === 0 &&
    summary.conflicts === 0
  );
}

/**
 * What `poll` prints for people after each sweep: a sweep with events, failures or anything else
 * to say gets its line at once; quiet ones (every 5 s on the sandbox) are counted and summed up in
 * one line a minute at most. The first sweep always gets its line, so a new run shows it works.
 */
export class QuietSweeps {
  readonly #everyMs: number;
  #lastLineAt: number | undefined;
  #sweeps = 0;
  #polled = 0;

  constructor(everyMs = QUIET_LINE_EVERY_MS) {
    this.#everyMs = everyMs;
  }

  /** The line(s) to print after a sweep that ended at `now` (epoch ms), or none yet. */
  after(summary: SweepSummary, now: number, describe: (summary: SweepSummary) => string) {
    if (this.#lastLineAt === undefined || !isQuiet(summary)) {
      this.#reset(now);
      return describe(summary);
    }
    this.#sweeps++;
    this.#polled += summary.polled;
    return now - this.#lastLineAt >= this.#everyMs ? this.flush(now) : undefined;
  }

  /** The quiet sweeps not summed up yet (when `poll` stops), or none. */
  flush(now: number): string | undefined {
    if (this.#sweeps === 0 || this.#lastLineAt === undefined) return undefined;
    const seconds = Math.round((now - this.#lastLineAt) / 1000);
    const line = `sweep: ${this.#sweeps} sweep(s) in ${seconds} s with nothing new, ${this.#polled} customer poll(s), 0 failed`;
    this.#reset(now);
    return line;
  }

  #reset(now: number): void {
    this.#lastLineAt = now;
    this.#sweeps = 0;
    this.#polled = 0;
  }
}
