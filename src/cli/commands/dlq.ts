import {
  type DeadLetterQueue,
  type ParkedEvent,
  purge,
  type RedriveOptions,
  type RedriveOutcome,
  type RedriveSummary,
  readParked,
  redrive,
} from '../../domain/publish/dead-letter-redrive.js';
import type { Runtime } from '../../runtime/create-runtime.js';
import { type CommandContext, EXIT_CUSTOMER_FAILED, EXIT_OK } from '../cli-io.js';
import { formatAge } from '../format-age.js';

/** Runs longer than this many events report progress on stderr. */
const PROGRESS_FROM = 100;

/**
 * The poller's dead-letter queue and the bus, or (`--webhook <name>`) that webhook's dead-letter
 * queue and its own queue: a webhook redrive reaches that endpoint only.
 */
function parkedQueue(runtime: Runtime, webhook: string | undefined): DeadLetterQueue<unknown> {
  // Listing and purging never look into what a message would be redriven as.
  return (
    webhook === undefined ? runtime.deadLetters().queue : runtime.webhookDeadLetters(webhook).queue
  ) as DeadLetterQueue<unknown>;
}

/** What the summaries call the queue. */
const queueName = (webhook: string | undefined) =>
  webhook === undefined ? 'the dead-letter queue' : `the ${webhook} webhook's dead-letter queue`;

/** `dlq list`: every parked event, oldest first, on stdout; nothing is removed. */
export async function runDlqList(
  command: { json: boolean; webhook?: string | undefined },
  { runtime, io, json, say, now }: CommandContext,
): Promise<number> {
  const queue = parkedQueue(runtime, command.webhook);
  const parked = await readParked(queue, {
    signal: io.signal,
    onProgress: (read) => {
      if (read % 1000 === 0) say(`dlq list: ${read} read…`);
    },
  });
  // Listing must not hide the events from the next command.
  await queue.release(parked);
  const rows = parked.map((message) => describeParked(message, now));
  if (command.json) json(rows);
  else {
    for (const row of rows) {
      io.stdout.write(
        `${formatAge(row.ageSeconds).padStart(4)}  ${(row.customerId ?? '-').padEnd(19)} ${(row.eventName ?? '-').padEnd(24)} ${row.key ?? row.messageId}  ${row.reason}${row.publishable ? '' : ` [cannot be redriven: ${row.unpublishable}]`}\n`,
      );
    }
  }
  say(`${rows.length} parked event(s) in ${queueName(command.webhook)}`);
  return EXIT_OK;
}

function describeParked(message: ParkedEvent<unknown>, now: Date) {
  return {
    messageId: message.messageId,
    customerId: message.customerId,
    eventName: message.eventName,
    key: message.key,
    eventTime: message.eventTime?.toISOString() ?? null,
    parkedAt: message.parkedAt.toISOString(),
    ageSeconds: Math.max(0, Math.round((now.getTime() - message.parkedAt.getTime()) / 1000)),
    reason: message.reason,
    redriveAttempts: message.redriveAttempts,
    publishable: message.event !== undefined,
    unpublishable: message.unpublishable ?? null,
  };
}

/** `dlq redrive`: publishes parked events again, oldest first. */
export async function runDlqRedrive(
  command: {
    limit: number | undefined;
    dryRun: boolean;
    json: boolean;
    webhook?: string | undefined;
  },
  { runtime, io, json, say }: CommandContext,
): Promise<number> {
  const options: RedriveOptions = {
    limit: command.limit,
    dryRun: command.dryRun,
    signal: io.signal,
    onProgress: ({ done, total, published }) => {
      if (total >= PROGRESS_FROM)
        say(`dlq redrive: ${done}/${total} tried, ${published} published`);
    },
  };
  let summary: RedriveSummary;
  if (command.webhook === undefined) {
    const { queue, publisher } = runtime.deadLetters();
    summary = await redrive(queue, publisher, options);
  } else {
    const { queue, publisher } = runtime.webhookDeadLetters(command.webhook);
    summary = await redrive(queue, publisher, options);
  }
  if (command.json) json(summary.outcomes);
  else for (const outcome of summary.outcomes) io.stdout.write(`${describeOutcome(outcome)}\n`);
  const verb = command.dryRun
    ? 'would be published (dry run: nothing sent or deleted)'
    : command.webhook === undefined
      ? 'published and deleted'
      : `moved back to the ${command.webhook} webhook's queue`;
  const counted = command.dryRun
    ? summary.outcomes.filter((outcome) => outcome.status === 'would-publish').length
    : summary.published;
  say(
    `dlq redrive: ${summary.found} parked event(s) found, ${counted} ${verb}, ${summary.stillParked} still parked${summary.interrupted ? ' (interrupted)' : ''}`,
  );
  return summary.outcomes.some((outcome) => outcome.status === 'still-parked')
    ? EXIT_CUSTOMER_FAILED
    : EXIT_OK;
}

function describeOutcome(outcome: RedriveOutcome): string {
  const subject = outcome.key ?? outcome.messageId;
  switch (outcome.status) {
    case 'published':
      return `published ${subject}`;
    case 'would-publish':
      return `would publish ${subject}`;
    case 'still-parked':
      return `still parked ${subject}: ${outcome.reason}`;
  }
}

/** `dlq purge --yes`: deletes every parked event. */
export async function runDlqPurge(
  command: { webhook?: string | undefined },
  { runtime, io, say }: CommandContext,
): Promise<number> {
  const queue = parkedQueue(runtime, command.webhook);
  const { deleted, failed } = await purge(queue, {
    signal: io.signal,
    onProgress: (count) => {
      if (count % 1000 < 10 && count >= 1000) say(`dlq purge: ${count} deleted…`);
    },
  });
  for (const { message, reason } of failed) say(`not deleted ${message.messageId}: ${reason}`);
  say(
    `dlq purge: ${deleted} parked event(s) deleted${failed.length > 0 ? `, ${failed.length} not deleted` : ''}`,
  );
  return failed.length > 0 ? EXIT_CUSTOMER_FAILED : EXIT_OK;
}
