/*
 * The scale bench's goals, judged on the change feed at one org event rate: the bench prints them,
 * and `npm run schema` states them in the README and docs/scale.md from the committed result
 * (bench/scale-result.json), so neither a goal nor a measured figure is typed by hand.
 */
import { type ModeReport, round } from './scale-report.js';

/** Where `npm run bench -- scale --save` writes its result, from the repository's root. */
export const SCALE_RESULT_PATH = 'bench/scale-result.json';

/** The org event rate the goals are judged at. */
export const GOAL_RATE = 5;
/** A due customer waits for the next scheduler tick: the bound is judged with one tick on top. */
export const TICK_SECONDS = 60;
/** What the change feed must achieve at `GOAL_RATE`, besides the staleness bound. */
export const SCALE_GOALS = {
  activeP95Seconds: 60,
  p95Seconds: 120,
  scrolledOutShare: 0.001,
  feedAndHintsShare: 0.15,
  dollarsPerMonth: 30,
} as const;

export interface Goal {
  key: keyof typeof SCALE_GOALS | 'staleness' | 'stalenessAtTopRate';
  goal: string;
  met: boolean;
  detail: string;
}

function withinBound(report: ModeReport): boolean {
  return report.maxStalenessSeconds <= report.stalenessBoundSeconds + TICK_SECONDS;
}

/** The goals, from the change feed's reports at `GOAL_RATE` and at the busiest rate. */
export function scaleGoals(atGoalRate: ModeReport, atTopRate: ModeReport): Goal[] {
  const r = atGoalRate;
  const quotaShare = round(r.feedShareOfQuota + r.hintShareOfQuota, 3);
  const scrolledShare = r.scrolledOut / r.events;
  const percent = (share: number) => round(100 * share, 3);
  const bound = (report: ModeReport) =>
    `${report.maxStalenessSeconds} s against ${report.stalenessBoundSeconds} s + one ${TICK_SECONDS} s tick`;
  const at = `at ${GOAL_RATE} org events/s`;
  const goal = SCALE_GOALS;
  return [
    {
      key: 'activeP95Seconds',
      goal: `active p95 <= ${goal.activeP95Seconds} s ${at}`,
      met: r.activeP95DelaySeconds <= goal.activeP95Seconds,
      detail: `${r.activeP95DelaySeconds} s`,
    },
    {
      key: 'p95Seconds',
      goal: `p95 of all events <= ${goal.p95Seconds} s ${at}`,
      met: r.p95DelaySeconds <= goal.p95Seconds,
      detail: `${r.p95DelaySeconds} s`,
    },
    {
      key: 'scrolledOutShare',
      goal: `scrolled out <= ${percent(goal.scrolledOutShare)}% of events ${at}`,
      met: scrolledShare <= goal.scrolledOutShare,
      detail: `${r.scrolledOut} of ${r.events} (${(100 * scrolledShare).toFixed(3)}%)`,
    },
    {
      key: 'feedAndHintsShare',
      goal: `feed + hints <= ${percent(goal.feedAndHintsShare)}% of the quota ${at}`,
      met: quotaShare <= goal.feedAndHintsShare,
      detail: `${round(100 * quotaShare)}% (feed ${round(100 * r.feedShareOfQuota)}%, hints ${round(100 * r.hintShareOfQuota)}%)`,
    },
    {
      key: 'staleness',
      goal: `max staleness <= the backstop bound ${at}`,
      met: withinBound(r),
      detail: bound(r),
    },
    {
      key: 'dollarsPerMonth',
      goal: `DynamoDB <= $${goal.dollarsPerMonth} a month ${at}`,
      met: r.dynamodbDollarsPerMonth <= goal.dollarsPerMonth,
      detail: `$${r.dynamodbDollarsPerMonth} on demand`,
    },
    {
      key: 'stalenessAtTopRate',
      goal: `max staleness <= the backstop bound at ${atTopRate.orgEventsPerSecond} org events/s`,
      met: withinBound(atTopRate),
      detail: `${bound(atTopRate)}; the feed's furthest lag there: ${atTopRate.feed?.maxLagSeconds} s`,
    },
  ];
}
