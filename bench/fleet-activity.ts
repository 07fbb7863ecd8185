/*
 * The events a simulated fleet produces: most customers idle for days, a few percent active in
 * bursts (sessions of a handful of events, a heavy tail of long ones, some in the same second).
 * Seeded, so two runs (and the schedule and the round-robin baseline within one run) see the
 * very same events.
 */

/** One kind of customer: its share of the fleet and how often it starts a session. */
interface ActivityClass {
  name: string;
  share: number;
  sessionsPerDay: number;
}

export interface ActivityMix {
  classes: readonly ActivityClass[];
  /** A session's length in minutes: lognormal (median e^mu), so most are short, a few last hours. */
  sessionMinutes: { mu: number; sigma: number };
  /** Mean seconds between two events of a session (exponential); a session has at least one. */
  meanGapSeconds: number;
  /** Share of events in the same second as the one before. */
  sameSecondShare: number;
}

/** Most customers idle for weeks; 4% have a session on a given day, 1% several. */
export const REALISTIC_MIX: ActivityMix = {
  classes: [
    { name: 'dormant', share: 0.95, sessionsPerDay: 1 / 20 },
    { name: 'occasional', share: 0.04, sessionsPerDay: 1 },
    { name: 'busy', share: 0.01, sessionsPerDay: 8 },
  ],
  sessionMinutes: { mu: Math.log(15), sigma: 1.0 },
  meanGapSeconds: 45,
  sameSecondShare: 0.1,
};

/** Every customer's event dates (epoch ms), sorted, in one flat array indexed by `offsets`. */
export interface FleetEvents {
  /** Customer `c`'s events are `times[offsets[c]] .. times[offsets[c + 1] - 1]`. */
  offsets: Int32Array;
  times: Float64Array;
}

/** mulberry32: small, fast and seedable; `Math.random` cannot be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

function poisson(random: () => number, mean: number): number {
  // Knuth's method: the means here are small (sessions per customer in a day or two).
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random();
  while (product > limit) {
    count++;
    product *= random();
  }
  return count;
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Events of `customers` customers dated in [fromMs, toMs). */
export function generateFleetEvents(options: {
  customers: number;
  fromMs: number;
  toMs: number;
  mix: ActivityMix;
  seed: number;
}): FleetEvents {
  const { customers, fromMs, toMs, mix } = options;
  const random = seededRandom(options.seed);
  const spanDays = (toMs - fromMs) / 86_400_000;
  const offsets = new Int32Array(customers + 1);
  const chunks: number[] = [];
  const shares = mix.classes.map((activity) => activity.share);
  const totalShare = shares.reduce((sum, share) => sum + share, 0);
  const own: number[] = [];
  for (let customer = 0; customer < customers; customer++) {
    offsets[customer] = chunks.length;
    let pick = random() * totalShare;
    let activity = mix.classes[mix.classes.length - 1] as ActivityClass;
    for (const candidate of mix.classes) {
      if (pick < candidate.share) {
        activity = candidate;
        break;
      }
      pick -= candidate.share;
    }
    own.length = 0;
    const sessions = poisson(random, activity.sessionsPerDay * spanDays);
    for (let session = 0; session < sessions; session++) {
      let at = fromMs + random() * (toMs - fromMs);
      const minutes = Math.exp(mix.sessionMinutes.mu + mix.sessionMinutes.sigma * normal(random));
      const ends = Math.min(toMs, at + minutes * 60_000);
      do {
        own.push(Math.floor(at / 1000) * 1000);
        if (random() >= mix.sameSecondShare) at += exponential(random, mix.meanGapSeconds) * 1000;
      } while (at < ends);
    }
    own.sort((a, b) => a - b);
    for (const at of own) chunks.push(at);
  }
  offsets[customers] = chunks.length;
  return { offsets, times: Float64Array.from(chunks) };
}

/** The same sessions, `factor` times as many of them. */
export function scaledMix(mix: ActivityMix, factor: number): ActivityMix {
  return {
    ...mix,
    classes: mix.classes.map((activity) => ({
      ...activity,
      sessionsPerDay: activity.sessionsPerDay * factor,
    })),
  };
}
