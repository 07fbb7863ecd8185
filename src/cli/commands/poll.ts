import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { schedulePolicy } from '../../config/settings.js';
import { newClaimOwner } from '../../domain/claim/claim-due.js';
import type { FeedRun } from '../../domain/feed/change-feed.js';
import { currentBackstop } from '../../domain/feed/feed-backstop.js';
import { laneLimit } from '../../domain/feed/priority-lane.js';
import { pollNamed } from '../../domain/poll/poll-named.js';
import { boundedSummary, type PollSummary } from '../../domain/poll/poll-summary.js';
import { runSweep, type SweepSummary } from '../../domain/poll/run-sweep.js';
import { type CommandContext, EXIT_CUSTOMER_FAILED, EXIT_OK } from '../cli-io.js';
import { commonFailureHint } from '../failure-hint.js';
import { QuietSweeps } from '../quiet-sweeps.js';

/**
 * `poll`: one sweep with `--once`, else a sweep whenever customers are due until Ctrl-C; with
 * customer ids, one poll of those customers now.
 */
export async function runPoll(
  command: { customerIds: readonly string[]; once: boolean; json: boolean },
  { runtime, settings, io, json, say }: CommandContext,
): Promise<number> {
  const deps = await runtime.pollDependencies();
  const policy = schedulePolicy(settings, runtime.defaultIntervalSeconds);
  const options = {
    concurrency: settings.poll.concurrency,
    // Sized from CAPILLARY_RPS and the observed latency; POLL_CONCURRENCY only bounds it.
    inFlightLimit: deps.inFlightLimit,
    psiMode: settings.poll.psiMode,
    seenCapacity: settings.poll.seenCapacity,
    version: runtime.version,
    policy,
    claimSeconds: settings.poll.claimSeconds,
    maxPolls: settings.poll.sweepMaxPolls,
    laneLimit: laneLimit(settings.poll.sweepMaxPolls, settings.changeFeed.hintShare),
    requestsPerSecond: settings.capillary.requestsPerSecond,
    owner: newClaimOwner('cli'),
  };
  const exitCodeOf = (summary: PollSummary) =>
    summary.failures.length > 0 ? EXIT_CUSTOMER_FAILED : EXIT_OK;
  if (command.customerIds.length > 0) {
    const summary = await pollNamed(deps, command.customerIds, options);
    if (command.json) json(summary);
    say(describeSummary(summary));
    return exitCodeOf(summary);
  }
  // Machines read --json: every sweep has its line there. People get the quiet ones summed up.
  const lines = new QuietSweeps();
  let exitCode = EXIT_OK;
  const stop = () => {
    const rest = lines.flush(Date.now());
    if (rest !== undefined) say(rest);
    return exitCode;
  };
  const feed = deps.changeFeed;
  const feedIntervalMs = settings.changeFeed.feed.intervalMs;
  let nextFeedAt = Date.now();
  while (true) {
    // The feed reads first, so the customers it hints are due for the sweep that follows. Its
    // requests take from the same quota gate as the polls; it never throws.
    let feedRun: FeedRun | undefined;
    if (feed && Date.now() >= nextFeedAt) {
      feedRun = await feed.runOnce(Date.now());
      nextFeedAt = Date.now() + feedIntervalMs;
    }
    const backstop = await currentBackstop(
      deps.feedCursors,
      Date.now(),
      {
        backstopMs: settings.changeFeed.backstopMs,
        feedIntervalMs,
      },
      deps.logger,
    );
    const summary = await runSweep(deps, { ...options, backstop });
    const hints = feedRun?.kind === 'read' ? feedRun.hintsDueNow : 0;
    exitCode = exitCodeOf(summary);
    if (command.json) json({ ...summary, hints, ...(feedRun ? { feed: feedRun } : {}) });
    // A hinted sweep always gets its line: it is what the feed is for.
    const line =
      hints > 0
        ? describeSummary(summary, hints)
        : lines.after(summary, Date.now(), describeSummary);
    if (line !== undefined) say(line);
    if (command.once || io.signal?.aborted) return stop();
    try {
      const nextDueAt = await runtime.store.nextDueAt();
      const untilFeed = feed ? Math.max(0, nextFeedAt - Date.now()) : Number.POSITIVE_INFINITY;
      await sleep(
        Math.min(
          untilFeed,
          wakeDelayMs(nextDueAt, Date.now(), policy.minIntervalMs, summary.claimed),
        ),
        undefined,
        { signal: io.signal },
      );
    } catch {
      return stop();
    }
  }
}

/**
 * How long `poll` sleeps before its next sweep: until the next customer is due, at most one
 * shortest interval (a customer added meanwhile is due at once). Customers still due (the sweep's
 * budget ran out) get a short pause only; a sweep that could claim nothing while customers look
 * due (other pollers hold them) waits a second, so it never spins.
 * @internal its test pins the wake-up delay without a running poll loop.
 */
export function wakeDelayMs(
  nextDueAt: number | undefined,
  now: number,
  intervalMs: number,
  claimed: number,
): number {
  const untilDue = nextDueAt === undefined ? intervalMs : nextDueAt - now;
  const floor = claimed > 0 ? 50 : 1_000;
  return Math.min(intervalMs, Math.max(floor, untilDue));
}

/** Failures listed one per line in the human summary; the rest are counted. */
const SUMMARY_FAILURES_SHOWN = 20;

/**
 * The human summary of one sweep, or of one poll of named customers (which counts no overdue).
 * @internal its test pins the summary line without a running poll loop.
 */
export function describeSummary(
  summary: PollSummary & Partial<Pick<SweepSummary, 'overdue'>>,
  hints = 0,
): string {
  const parts = [
    hints > 0
      ? `${summary.polled} customer(s) polled (${hints} hinted by the change feed)`
      : `${summary.polled} customer(s) polled`,
    `${summary.newEvents} new event(s)`,
    `${summary.published} published`,
  ];
  if (summary.parked > 0) parts.push(`${summary.parked} parked in the dead-letter queue`);
  if (summary.baselined > 0) parts.push(`${summary.baselined} baselined`);
  if (summary.deferred > 0) parts.push(`${summary.deferred} still due, left to the next sweep`);
  if (summary.overdue) parts.push(`${summary.overdue} overdue`);
  if (summary.coverageGaps > 0) parts.push(`${summary.coverageGaps} coverage gap(s)`);
  if (summary.claimsLost > 0) parts.push(`${summary.claimsLost} claim(s) lost`);
  if (summary.conflicts > 0) parts.push(`${summary.conflicts} lost a race`);
  parts.push(`${summary.failures.length} failed`);
  const lines = [`sweep: ${parts.join(', ')} in ${summary.durationMs} ms`];
  const shown = boundedSummary(summary, SUMMARY_FAILURES_SHOWN);
  for (const failure of shown.failures)
    lines.push(`  failed ${failure.customerId}: ${failure.reason}`);
  const hidden = shown.failureCount - shown.failures.length;
  if (hidden > 0) lines.push(`  … and ${hidden} more (all of them with --json)`);
  const hint = commonFailureHint(summary);
  if (hint) lines.push(hint);
  return lines.join('\n');
}

/**
 * `--webhook`'s endpoint and secret: the one given, or a new one for this run, which the banner
 * shows (a local receiver cannot verify without it).
 */
export function webhookTarget(
  webhook: { url: URL; secret: string | undefined } | undefined,
): { url: URL; secret: string; secretShown: boolean } | undefined {
  if (!webhook) return undefined;
  const { url, secret } = webhook;
  return secret === undefined
    ? { url, secret: `whsec_${randomBytes(32).toString('base64')}`, secretShown: true }
    : { url, secret, secretShown: false };
}
