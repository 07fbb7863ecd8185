// The scale figures the docs state, from the committed result of `npm run bench -- scale --save`
// (bench/scale-result.json): docs/scale.md's table, and every figure a sentence of the README or
// docs/scale.md marks (`scale.feed@5.activeP95DelaySeconds`...). A new run rewrites the result;
// `npm run schema` then rewrites the docs, so no figure of the run is typed by hand.
import { readFileSync } from 'node:fs';
import {
  GOAL_RATE,
  type Goal,
  SCALE_GOALS,
  SCALE_RESULT_PATH,
  scaleGoals,
  TICK_SECONDS,
} from '../bench/scale-goals.js';
import type { ModeReport } from '../bench/scale-report.js';
import type { StatedValue, Unit } from './inline-values.js';

/** What `scale --save` writes, as far as the docs read it. */
export interface ScaleResult {
  readonly scenario: {
    readonly customers: number;
    readonly requestsPerMinute: number;
    readonly orgEventsPerSecond: readonly number[];
    readonly maxPollIntervalSeconds: number;
    readonly changeFeedBackstopSeconds: number;
    readonly seed: number;
  };
  readonly modes: readonly ModeReport[];
  readonly backstopSensitivity: readonly ModeReport[];
}

export function readScaleResult(root: URL): ScaleResult {
  return JSON.parse(readFileSync(new URL(SCALE_RESULT_PATH, root), 'utf8')) as ScaleResult;
}

/** A mode's short name in the values' names: `feed`, `schedule`, `roundRobin`. */
function modeKey(report: ModeReport): string {
  if (report.feed !== undefined) return 'feed';
  if (report.mode === 'schedule only') return 'schedule';
  if (report.mode === 'round robin') return 'roundRobin';
  throw new Error(`${SCALE_RESULT_PATH}: unknown mode ${report.mode}`);
}

function unitOf(field: string): Unit | undefined {
  if (field.endsWith('Seconds')) return 's';
  if (field.endsWith('Share') || field.endsWith('ShareOfQuota')) return 'share';
  return undefined;
}

/** Every number of one report, named `prefix.field` (the feed's own figures too). */
function reportValues(prefix: string, report: ModeReport): StatedValue[] {
  const numbers: Record<string, number> = { ...report.feed };
  for (const [field, value] of Object.entries(report)) {
    if (typeof value === 'number') numbers[field] = value;
  }
  numbers.provisionedDollarsPerMonth = report.dynamodb.provisionedDollarsPerMonth;
  numbers.writeUnitsPerDay = report.dynamodb.writeUnitsPerDay;
  if (report.feed !== undefined) {
    numbers.feedAndHintsShareOfQuota = Number(
      (report.feedShareOfQuota + report.hintShareOfQuota).toFixed(3),
    );
  }
  return Object.entries(numbers).map(([field, value]) => {
    const unit = unitOf(field);
    return { name: `${prefix}.${field}`, value, ...(unit ? { unit } : {}) };
  });
}

function feedAt(result: ScaleResult, rate: number): ModeReport {
  const report = result.modes.find(
    (mode) => mode.orgEventsPerSecond === rate && mode.feed !== undefined,
  );
  if (report === undefined) throw new Error(`${SCALE_RESULT_PATH} has no change feed at ${rate}/s`);
  return report;
}

/** The goals as the bench judges them, from the result's own reports. */
function goals(result: ScaleResult): Goal[] {
  const top = Math.max(...result.scenario.orgEventsPerSecond);
  return scaleGoals(feedAt(result, GOAL_RATE), feedAt(result, top));
}

/**
 * Every figure of the run the docs may state: `scale.<mode>@<rate>.<field>` for each mode and org
 * rate, `scale.backstop@<seconds>.<field>` for the backstop sensitivity, the scenario's own
 * (`scale.customers`...), each goal (`scale.goal.<key>`) and whether it was met
 * (`scale.goal.<key>.verdict`: met or missed).
 */
export function scaleValues(result: ScaleResult): StatedValue[] {
  const { scenario } = result;
  return [
    ...result.modes.flatMap((report) =>
      reportValues(`scale.${modeKey(report)}@${report.orgEventsPerSecond}`, report),
    ),
    ...result.backstopSensitivity.flatMap((report) =>
      reportValues(`scale.backstop@${report.stalenessBoundSeconds}`, report),
    ),
    { name: 'scale.customers', value: scenario.customers },
    { name: 'scale.requestsPerMinute', value: scenario.requestsPerMinute },
    { name: 'scale.seed', value: scenario.seed },
    { name: 'scale.maxPollIntervalSeconds', value: scenario.maxPollIntervalSeconds, unit: 's' },
    { name: 'scale.backstopSeconds', value: scenario.changeFeedBackstopSeconds, unit: 's' },
    { name: 'scale.goalRate', value: GOAL_RATE },
    { name: 'scale.tickSeconds', value: TICK_SECONDS, unit: 's' },
    ...Object.entries(SCALE_GOALS).map(([key, value]) => {
      const unit = unitOf(key);
      return { name: `scale.goal.${key}`, value, ...(unit ? { unit } : {}) };
    }),
    ...goals(result).map((goal) => ({
      name: `scale.goal.${goal.key}.verdict`,
      value: goal.met ? 'met' : 'missed',
    })),
  ];
}

const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
/** Seconds as docs/scale.md's table shows them: one decimal below 100 s, whole and grouped above. */
const delay = (seconds: number) => (seconds < 100 ? seconds.toFixed(1) : thousands(seconds));
const percent = (share: number) => `${(100 * share).toFixed(1)}%`;

/** docs/scale.md's table: every mode at every org rate. */
export function scaleRows(result: ScaleResult): string[][] {
  return result.modes.map((report) => [
    String(report.orgEventsPerSecond),
    report.feed !== undefined ? 'change feed' : report.mode,
    delay(report.activeP95DelaySeconds),
    delay(report.p95DelaySeconds),
    thousands(report.scrolledOut),
    thousands(report.maxStalenessSeconds),
    report.feed !== undefined
      ? `${percent(report.feedShareOfQuota)} / ${percent(report.hintShareOfQuota)}`
      : '–',
    report.dynamodbDollarsPerMonth.toFixed(2),
  ]);
}

/** docs/scale.md's goals: each as the bench states it, met or missed, and what was measured. */
export function scaleGoalRows(result: ScaleResult): string[][] {
  return goals(result).map((goal) => [goal.goal, goal.met ? 'met' : '**missed**', goal.detail]);
}

export const SCALE_HEADER = [
  'org events/s',
  'mode',
  'active p95 (s)',
  'p95 (s)',
  'scrolled out',
  'max staleness (s)',
  'feed / hints share',
  '$/month',
];
