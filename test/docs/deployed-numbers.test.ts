// Every number docs/deploying.md states about what the stack deploys (the resources table, the
// context table's construct defaults, the alarms) is read from the doc and compared with the
// template `cdk synth` builds from cdk.json, so the construct and its docs cannot drift apart. That
// template is synthesized once per run (test/infra/shared-stacks.ts); the other contexts here
// (hourly polls, a webhook) are synthesized by this file.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CapillaryEventPollerStack } from '../../infra/capillary-event-poller-stack.js';
import { readAppContext } from '../../infra/context.js';
import { validatePollerProps } from '../../infra/props-validation.js';
import { appTemplate } from '../infra/shared-stacks.js';

/** The CloudFormation properties read here (each resource has only its own). */
interface Properties {
  Environment: { Variables: Record<string, unknown> };
  Runtime: string;
  Architectures: string[];
  MemorySize: number;
  Timeout: number;
  ReservedConcurrentExecutions: number;
  MaximumRetryAttempts: number;
  MaximumEventAgeInSeconds: number;
  BatchSize: number;
  ScalingConfig: { MaximumConcurrency: number };
  VisibilityTimeout: number;
  MessageRetentionPeriod: number;
  RedrivePolicy?: { maxReceiveCount: number };
  MaximumMessageSize?: number;
  RetentionInDays: number;
  RetentionDays: number;
  ScheduleExpression: string;
  FunctionName: unknown;
  Description: string;
  Target: { RetryPolicy: { MaximumRetryAttempts: number } };
  MetricName: string;
  Namespace: string;
  Dimensions: unknown;
  Threshold: number;
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  TreatMissingData: string;
}
interface Deployed {
  resources: { Type: string; Properties: Properties }[];
}

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'))
  .context as Record<string, unknown>;

/** The stack `cdk synth` builds with cdk.json's context and `extra`, without bundling. */
function synth(extra: Record<string, unknown> = {}): Deployed {
  const app = new App({ context: { ...cdkJson, 'aws:cdk:bundling-stacks': [], ...extra } });
  const settings = readAppContext((key) => app.node.tryGetContext(key));
  const stack = new CapillaryEventPollerStack(app, settings.stackName, { poller: settings.poller });
  const template = Template.fromStack(stack).toJSON() as { Resources: Deployed['resources'] };
  return { resources: Object.values(template.Resources) };
}

/** The problems `cdk synth` would report for this context, without synthesizing. */
function contextProblems(extra: Record<string, unknown>): string {
  const app = new App({ context: { ...cdkJson, ...extra } });
  try {
    const settings = readAppContext((key) => app.node.tryGetContext(key));
    return validatePollerProps(settings.poller(new Stack(app, 'Check'))).join('\n');
  } catch (error) {
    return (error as Error).message;
  }
}

const deploying = readFileSync(new URL('../../docs/deploying.md', import.meta.url), 'utf8');
/** The table row starting with `label`, its padding collapsed. */
function row(label: string): string {
  const line = deploying.split('\n').find((text) => text.startsWith(`| ${label}`));
  if (line === undefined) throw new Error(`docs/deploying.md has no row "${label}"`);
  return line.replace(/\s+/g, ' ');
}
/** The number `pattern` captures in `text`. */
function stated(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`"${text.slice(0, 80)}…" no longer says ${pattern}`);
  return Number(match[1]);
}

const all = (deployed: Deployed, type: string) =>
  deployed.resources.filter((resource) => resource.Type === type).map((r) => r.Properties);
function one(deployed: Deployed, type: string, where: (p: Properties) => boolean = () => true) {
  const found = all(deployed, type).filter(where);
  if (found.length !== 1) throw new Error(`${found.length} ${type} match`);
  return found[0] as Properties;
}
const env = (fn: Properties) => fn.Environment.Variables;
const scheduler = (d: Deployed) =>
  one(d, 'AWS::Lambda::Function', (fn) => 'WORK_QUEUE_URL' in env(fn));
const worker = (d: Deployed) => one(d, 'AWS::Lambda::Function', (fn) => 'DLQ_URL' in env(fn));
/** The scheduler's (the change feed has one of each too). */
const tickInvokeConfig = (d: Deployed) =>
  one(d, 'AWS::Lambda::EventInvokeConfig', (c) =>
    JSON.stringify(c.FunctionName).includes('PollerScheduler'),
  );
const tickSchedule = (d: Deployed) =>
  one(d, 'AWS::Scheduler::Schedule', (s) => s.Description.includes('tick'));
const workQueue = (d: Deployed) => one(d, 'AWS::SQS::Queue', (q) => q.RedrivePolicy !== undefined);
const alarm = (d: Deployed, metric: string, namespace?: string, fn?: 'scheduler' | 'worker') =>
  one(
    d,
    'AWS::CloudWatch::Alarm',
    (a) =>
      a.MetricName === metric &&
      (namespace === undefined || a.Namespace === namespace) &&
      (fn === undefined ||
        JSON.stringify(a.Dimensions).includes(fn === 'scheduler' ? 'Scheduler' : 'Worker')),
  );
const minutes = (seconds: number) => seconds / 60;
const days = (seconds: number) => seconds / 86_400;

let byDefault: Deployed;
let hourly: Deployed;
beforeAll(() => {
  byDefault = {
    resources: Object.values(appTemplate().Resources as Record<string, Deployed['resources'][0]>),
  };
  hourly = synth({ pollIntervalMinutes: 60 });
}, 120_000);

describe('docs/deploying.md: the resources table', () => {
  it('states the functions as deployed', () => {
    for (const [label, fn, longest] of [
      ['Scheduler Lambda', scheduler(byDefault), scheduler(hourly)],
      ['Worker Lambda', worker(byDefault), worker(hourly)],
    ] as const) {
      const text = row(label);
      expect(fn.Runtime).toBe(`nodejs${stated(text, /Node\.js (\d+)/)}.x`);
      expect(fn.Architectures).toEqual([text.includes('ARM64') ? 'arm64' : 'x86_64']);
      expect(fn.MemorySize).toBe(stated(text, /(\d+) MB/));
      expect(fn.Timeout).toBe(60 - stated(text, /timeout = poll interval − (\d+) s/));
      expect(longest.Timeout).toBe(stated(text, /at most (\d+) min/) * 60);
    }
    const text = row('Scheduler Lambda');
    expect(scheduler(byDefault).ReservedConcurrentExecutions).toBe(
      stated(text, /reserved concurrency (\d+)/),
    );
    expect(tickInvokeConfig(byDefault).MaximumRetryAttempts).toBe(0);
    const source = one(byDefault, 'AWS::Lambda::EventSourceMapping');
    expect(source.BatchSize).toBe(stated(row('Worker Lambda'), /batch size (\d+)/));
    expect(source.ScalingConfig.MaximumConcurrency).toBe(
      stated(row('Worker Lambda'), /at most `workers` \((\d+)\) at once/),
    );
  });

  it('states the queues, logs, archive and schedule as deployed', () => {
    const queue = workQueue(byDefault);
    const text = row('SQS work queue');
    expect(queue.VisibilityTimeout - worker(byDefault).Timeout).toBe(
      stated(text, /visibility = worker timeout \+ (\d+) s/),
    );
    expect(queue.MessageRetentionPeriod).toBe(stated(text, /messages kept (\d+) hour/) * 3600);
    expect(queue.RedrivePolicy?.maxReceiveCount).toBe(stated(text, /parked after (\d+) receives/));
    const queues = all(byDefault, 'AWS::SQS::Queue');
    const workDlq = queues.find((q) => q !== queue && q.MaximumMessageSize === undefined);
    const eventDlq = queues.find((q) => q.MaximumMessageSize !== undefined);
    expect(days(workDlq?.MessageRetentionPeriod ?? 0)).toBe(stated(text, /\(kept (\d+) days\)/));
    expect(days(eventDlq?.MessageRetentionPeriod ?? 0)).toBe(
      stated(row('SQS dead-letter queue (events'), /(\d+) days/),
    );
    for (const group of all(byDefault, 'AWS::Logs::LogGroup')) {
      expect(group.RetentionInDays).toBe(stated(row('Log groups'), /(\d+) days/));
    }
    expect(one(byDefault, 'AWS::Events::Archive').RetentionDays).toBe(
      stated(row('EventBridge custom bus'), /archive of this poller's events \((\d+) days\)/),
    );
    const schedule = tickSchedule(byDefault);
    expect(row('EventBridge Scheduler schedule')).toContain(
      `\`${schedule.ScheduleExpression}\`, no retries`,
    );
    expect(schedule.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
  });

  it('states how long a throttled tick waits, and when lost work comes back', () => {
    const text = deploying.replace(/\s+/g, ' ');
    expect(tickInvokeConfig(byDefault).MaximumEventAgeInSeconds).toBe(
      stated(text, /for at most (\d+) seconds \(`maxEventAge`/),
    );
    expect(workQueue(byDefault).VisibilityTimeout - worker(byDefault).Timeout).toBe(
      stated(text, /after the visibility timeout \(the worker timeout \+ (\d+) s\)/),
    );
    expect(workQueue(byDefault).RedrivePolicy?.maxReceiveCount).toBe(
      stated(text, /After (\d+) receives a message/),
    );
  });
});

describe('docs/deploying.md: the context table states the construct defaults', () => {
  const defaultOf = (key: string) => stated(row(`\`${key}\``), /^\| `\w+` \| `(\d+)`/);

  it('as deployed', () => {
    const fn = worker(byDefault);
    expect(one(byDefault, 'AWS::Events::Archive').RetentionDays).toBe(
      defaultOf('archiveRetentionDays'),
    );
    expect(fn.MemorySize).toBe(defaultOf('memorySize'));
    expect(one(byDefault, 'AWS::Lambda::EventSourceMapping').ScalingConfig.MaximumConcurrency).toBe(
      defaultOf('workers'),
    );
    for (const group of all(byDefault, 'AWS::Logs::LogGroup')) {
      expect(group.RetentionInDays).toBe(defaultOf('logRetentionDays'));
    }
    expect(Number(env(fn).POLL_INTERVAL_SECONDS)).toBe(
      minutes(60) * 60 * defaultOf('pollIntervalMinutes'),
    );
    expect(Number(env(fn).MAX_POLL_INTERVAL_SECONDS)).toBe(
      defaultOf('maxPollIntervalMinutes') * 60,
    );
    expect(alarm(byDefault, 'PollErrors').Threshold).toBe(defaultOf('pollErrorsAlarmThreshold'));
    expect(minutes(alarm(byDefault, 'SweepCompleted').Period)).toBe(
      defaultOf('noSweepAlarmMinutes'),
    );
    expect(minutes(alarm(byDefault, 'LagSeconds').Threshold)).toBe(defaultOf('lagAlarmMinutes'));
  });

  // Refused, whatever the message: at 0 minutes the construct fails on a negative derived
  // timeout before it can name pollIntervalMinutes.
  it.each(['workers', 'memorySize', 'pollIntervalMinutes'])(
    '%s: the stated range is the one accepted',
    (key) => {
      const match = /^\| `\w+` \| [^|]+ \| (\d+) to (\d+) \|/.exec(row(`\`${key}\``));
      const [min, max] = [Number(match?.[1]), Number(match?.[2])];
      for (const accepted of [min, max]) expect(contextProblems({ [key]: accepted })).toBe('');
      for (const refused of [min - 1, max + 1]) {
        expect(contextProblems({ [key]: refused }), `${key}=${refused}`).not.toBe('');
      }
    },
  );

  it('derives the timeout and the claim from the interval as stated', () => {
    const timeout = row('`timeoutSeconds`');
    const headroom = stated(timeout, /interval − (\d+) s/);
    expect(worker(byDefault).Timeout).toBe(60 - headroom);
    expect(worker(hourly).Timeout).toBe(stated(timeout, /at most (\d+) min/) * 60);
    const claim = row('`claimSeconds`');
    const plus = stated(claim, /worker timeout \+ (\d+) s/);
    const floor = stated(claim, /at least (\d+)/);
    for (const deployed of [byDefault, hourly]) {
      expect(Number(env(worker(deployed)).CLAIM_SECONDS)).toBe(
        Math.max(floor, worker(deployed).Timeout + plus),
      );
    }
  });
});

describe('docs/deploying.md: the alarms table', () => {
  const fiveMinutes = 300;
  it.each([
    ['Poll errors', () => alarm(byDefault, 'PollErrors'), /`PollErrors` ≥ (\d+) in 5 minutes/],
    ['Coverage gaps', () => alarm(byDefault, 'CoverageGaps'), /`CoverageGaps` ≥ (\d+) in 5/],
    [
      'Cursors over budget',
      () => alarm(byDefault, 'CursorsOverBudget'),
      /`CursorsOverBudget` ≥ (\d+) in 5/,
    ],
    ['Corrupt items', () => alarm(byDefault, 'CorruptItems'), /`CorruptItems` ≥ (\d+) in 5/],
    [
      'Scheduler errors',
      () => alarm(byDefault, 'Errors', 'AWS/Lambda', 'scheduler'),
      /`Errors` ≥ (\d+) in 5/,
    ],
    [
      'Worker errors',
      () => alarm(byDefault, 'Errors', 'AWS/Lambda', 'worker'),
      /`Errors` ≥ (\d+) in 5/,
    ],
  ] as const)('%s: at least N in one five-minute period', (label, found, pattern) => {
    const deployed = found();
    expect(deployed.Threshold).toBe(stated(row(label), pattern));
    expect([deployed.Period, deployed.EvaluationPeriods]).toEqual([fiveMinutes, 1]);
  });

  it.each([
    [
      'Customers overdue',
      () => alarm(byDefault, 'CustomersOverdue'),
      /> (\d+) in each of 3 five-minute/,
    ],
    [
      'Scheduler throttles',
      () => alarm(byDefault, 'Throttles', 'AWS/Lambda', 'scheduler'),
      /≥ (\d+) in each of 3 five-minute/,
    ],
    [
      'Worker throttles',
      () => alarm(byDefault, 'Throttles', 'AWS/Lambda', 'worker'),
      /≥ (\d+) in each of 3 five-minute/,
    ],
  ] as const)('%s: in each of 3 five-minute periods', (label, found, pattern) => {
    const deployed = found();
    expect(deployed.Threshold).toBe(stated(row(label), pattern));
    expect([deployed.Period, deployed.EvaluationPeriods, deployed.DatapointsToAlarm]).toEqual([
      fiveMinutes,
      3,
      3,
    ]);
  });

  it('Feed stalled: lag above N seconds, or none reported, in each of 2 five-minute periods', () => {
    const deployed = alarm(byDefault, 'FeedLagSeconds');
    expect(deployed.Threshold).toBe(stated(row('Feed stalled'), /`FeedLagSeconds` > (\d+)/));
    expect([deployed.Period, deployed.EvaluationPeriods, deployed.DatapointsToAlarm]).toEqual([
      fiveMinutes,
      2,
      2,
    ]);
    expect(deployed.TreatMissingData).toBe('breaching');
  });

  it('no scheduler run, worker duration, lag and the dead-letter queues', () => {
    const noRun = alarm(byDefault, 'SweepCompleted');
    expect(minutes(noRun.Period)).toBe(stated(row('No scheduler run'), /for (\d+) minutes/));
    expect(noRun.TreatMissingData).toBe('breaching');
    const duration = alarm(byDefault, 'Duration', 'AWS/Lambda', 'worker');
    const text = row('Worker duration');
    expect(duration.Threshold / (worker(byDefault).Timeout * 1000)).toBeCloseTo(
      stated(text, /≥ (\d+)% of the timeout/) / 100,
    );
    expect(minutes(duration.Period * duration.EvaluationPeriods)).toBe(
      stated(text, /for (\d+) minutes/),
    );
    const lag = alarm(byDefault, 'LagSeconds');
    expect(minutes(lag.Threshold)).toBe(stated(row('Lag'), /> (\d+) minutes in each of 3/));
    expect([lag.Period, lag.EvaluationPeriods]).toEqual([fiveMinutes, 3]);
    const queues = all(byDefault, 'AWS::CloudWatch::Alarm').filter(
      (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    expect(queues.map((a) => a.Threshold)).toEqual([
      stated(row('Dead-letter queue'), /has ≥ (\d+) visible/),
      stated(row('Work dead-letter queue'), /has ≥ (\d+) visible/),
    ]);
  });
});

describe('the webhooks table and delivery guarantees', () => {
  const webhook = {
    name: 'orders',
    eventNames: ['Purchase'],
    url: 'https://orders.example.com/capillary',
    auth: { apiKey: { header: 'x-api-key', secret: 'orders/capillary-webhook' } },
  };
  const withWebhook = (fields: Record<string, unknown> = {}) =>
    synth({ webhooks: JSON.stringify([{ ...webhook, ...fields }]) });
  const range = (field: string) => {
    const match = /\| (\d+) to (\d+)/.exec(row(`\`${field}\``));
    if (!match) throw new Error(`the ${field} row states no range`);
    return [Number(match[1]), Number(match[2])] as const;
  };

  const problemsOf = (fields: Record<string, unknown>) =>
    contextProblems({ webhooks: JSON.stringify([{ ...webhook, ...fields }]) });

  it.each(['rateLimitPerSecond', 'retryAttempts', 'maxEventAgeSeconds'])(
    '%s: the stated range is the one accepted',
    (field) => {
      const [min, max] = range(field);
      const problem = field.replace('Seconds', '');
      for (const accepted of [min, max]) expect(problemsOf({ [field]: accepted })).toBe('');
      for (const refused of [min - 1, max + 1]) {
        expect(problemsOf({ [field]: refused }), `${field}=${refused}`).toContain(problem);
      }
    },
  );

  it('deploys the stated defaults', () => {
    const deployed = withWebhook();
    const rule = one(deployed, 'AWS::Events::Rule', (r) =>
      JSON.stringify(r).includes('Purchase'),
    ) as unknown as {
      Targets: {
        RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
      }[];
    };
    const retry = rule.Targets[0]?.RetryPolicy;
    const text = deploying.replace(/\s+/g, ' ');
    expect(retry?.MaximumRetryAttempts).toBe(
      stated(text, /a \*\*retry policy\*\*: (\d+) attempts/),
    );
    expect(minutes(retry?.MaximumEventAgeInSeconds ?? 0) / 60).toBe(
      stated(text, /attempts over (\d+) hours by default/),
    );
    // The webhook's own retries are on its queue and in its delivery function.
    const webhookQueue = one(deployed, 'AWS::SQS::Queue', (q) =>
      JSON.stringify(q.RedrivePolicy ?? '').includes('Webhook'),
    ) as unknown as { RedrivePolicy: { maxReceiveCount: number } };
    expect(webhookQueue.RedrivePolicy.maxReceiveCount - 1).toBe(
      stated(row('`retryAttempts`'), /^\| `\w+` \| `(\d+)`/),
    );
    const delivery = JSON.parse(
      (
        one(
          deployed,
          'AWS::Lambda::Function',
          (fn) => 'WEBHOOK_DELIVERY' in env(fn),
        ) as unknown as {
          Environment: { Variables: { WEBHOOK_DELIVERY: { 'Fn::Join': [string, unknown[]] } } };
        }
      ).Environment.Variables.WEBHOOK_DELIVERY['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : 'token'))
        .join(''),
    ) as { maxEventAgeSeconds: number; requestsPerSecond: number };
    expect(delivery.maxEventAgeSeconds).toBe(
      stated(row('`maxEventAgeSeconds`'), /^\| `\w+` \| `(\d+)`/),
    );
    const mapping = one(deployed, 'AWS::Lambda::EventSourceMapping', (m) =>
      JSON.stringify(m).includes('Webhook'),
    ) as unknown as { ScalingConfig: { MaximumConcurrency: number } };
    expect(mapping.ScalingConfig.MaximumConcurrency * delivery.requestsPerSecond).toBe(
      stated(row('`rateLimitPerSecond`'), /otherwise (\d+)/),
    );
    const failed = alarm(deployed, 'FailedInvocations');
    expect([failed.Threshold, minutes(failed.Period)]).toEqual([
      stated(text, /`FailedInvocations` \(≥ (\d+) in/),
      stated(text, /`FailedInvocations` \(≥ \d+ in (\d+) minutes\)/),
    ]);
  });
});

describe('README.md: the work queue', () => {
  it('states the receives before a message is parked', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(workQueue(byDefault).RedrivePolicy?.maxReceiveCount).toBe(
      stated(readme, /──\((\d+) failed receives\)──/),
    );
  });
});
