// The CDK app's entry (infra/app.ts) as `cdk synth` runs it: slips in the context are refused
// before anything is synthesized, one line each, and what the docs show synthesizes cleanly.
import { readFileSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { runApp } from '../../infra/app.js';
import { testApp } from './support.js';

function run(context: Record<string, unknown>): { code: number; stderr: string; app: App } {
  const app = testApp(context);
  let stderr = '';
  const code = runApp(app, { write: (text: string) => (stderr += text) });
  return { code, stderr, app };
}

describe('infra/app.ts', () => {
  it('refuses a misspelt context key, suggesting the nearest known key', () => {
    const { code, stderr } = run({ pollIntervallMinutes: '5', webhoks: '[]', zzzzzzzz: '1' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'Invalid CDK context:',
      '- -c pollIntervallMinutes: unknown context key; did you mean pollIntervalMinutes? (the keys are listed in docs/deploying.md)',
      '- -c webhoks: unknown context key; did you mean webhooks? (the keys are listed in docs/deploying.md)',
      '- -c zzzzzzzz: unknown context key (the keys are listed in docs/deploying.md)',
    ]);
  });

  it('names the key and its range for a value out of range, instead of CDK’s Duration error', () => {
    const { code, stderr } = run({ pollIntervalMinutes: '0', timeoutSeconds: '5', workers: '1' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toContain(
      '- -c pollIntervalMinutes: pollInterval must be a whole number of minutes from 1 to 1440, got 0 minutes',
    );
    expect(
      lines.some((line) =>
        line.startsWith('- -c timeoutSeconds: timeout must be from 40 seconds to 15 minutes'),
      ),
    ).toBe(true);
    expect(lines.some((line) => line.startsWith('- -c workers: '))).toBe(true);
    expect(stderr).not.toContain('Duration amounts cannot be negative');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('sets the change feed backstop and hint share from the context, and refuses them out of range', () => {
    const { code, stderr, app } = run({
      changeFeedBackstopHours: '12',
      changeFeedHintShare: '0.3',
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const template = app.synth().stacks[0]?.template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const scheduler = Object.entries(template.Resources).find(
      ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.includes('Scheduler'),
    )?.[1];
    const environment = scheduler?.Properties.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    expect(environment?.Variables).toMatchObject({
      CHANGE_FEED_BACKSTOP_SECONDS: '43200',
      CHANGE_FEED_HINT_MAX_SHARE: '0.3',
    });
    const refused = run({ changeFeedBackstopHours: '200', changeFeedHintShare: '1' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('-c changeFeedBackstopHours: ');
    expect(refused.stderr).toContain('at most 604800');
    expect(refused.stderr).toContain('-c changeFeedHintShare: ');
    expect(refused.stderr).toContain('at most 0.9');
  }, 120_000);

  it('prints an error the constructs throw as its message alone, without a stack trace', () => {
    const { code, stderr } = run({ stackName: 'not a stack name!' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('not a stack name!');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('synthesizes the documented topicArn alert without a warning', () => {
    const { code, stderr, app } = run({
      alerts: JSON.stringify([
        {
          name: 'tier-upgrade',
          eventNames: ['TierUpgrade', 'TierDowngrade'],
          topicArn: 'arn:aws:sns:eu-west-1:123456789012:crm-desk',
        },
      ]),
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const messages = app.synth().stacks.flatMap((stack) => stack.messages);
    expect(messages.filter((message) => message.level !== 'info')).toEqual([]);
  }, 120_000);

  it('sets the bus LogConfig and delivers its logs to a log group when busLogLevel is given', () => {
    const { code, stderr, app } = run({ busLogLevel: 'INFO', busLogIncludeDetail: 'true' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const template = app.synth().stacks[0]?.template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const of = (type: string) =>
      Object.values(template.Resources).filter((resource) => resource.Type === type);
    expect(of('AWS::Events::EventBus')[0]?.Properties.LogConfig).toEqual({
      Level: 'INFO',
      IncludeDetail: 'FULL',
    });
    expect(of('AWS::Logs::DeliverySource').map((source) => source.Properties.LogType)).toEqual([
      'ERROR_LOGS',
      'INFO_LOGS',
    ]);
    expect(of('AWS::Logs::Delivery')).toHaveLength(2);
    expect(of('AWS::Logs::DeliveryDestination')).toHaveLength(1);
    expect(
      of('AWS::Logs::LogGroup').some((group) =>
        String(group.Properties.LogGroupName).startsWith('/aws/vendedlogs/events/'),
      ),
    ).toBe(true);
    expect(run({ busLogIncludeDetail: 'true' }).stderr).toContain(
      '-c busLogIncludeDetail needs -c busLogLevel (ERROR, INFO or TRACE)',
    );
  }, 120_000);

  it('turns CLI notices off in cdk.json, so an offline synth reaches for no network', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    expect(cdkJson.notices).toBe(false);
  });
});
