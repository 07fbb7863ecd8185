import { Duration } from 'aws-cdk-lib';
import type { PollerWebhook } from './delivery/webhook-props.js';
import { validateWebhooks } from './delivery/webhook-validation.js';

const show = (value: unknown): string => JSON.stringify(value);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A webhook as written in cdk.json: the props, with `maxEventAgeSeconds` for `maxEventAge`. */
type ContextWebhook = Omit<PollerWebhook, 'maxEventAge' | 'inputTemplate'> & {
  readonly maxEventAgeSeconds?: number;
  readonly inputTemplate?: Record<string, unknown>;
};

const CONTEXT_WEBHOOK_KEYS = new Set([
  'name',
  'eventNames',
  'detail',
  'url',
  'auth',
  'preset',
  'routingKey',
  'severity',
  'inputTemplate',
  'rateLimitPerSecond',
  'maxEventAgeSeconds',
  'retryAttempts',
  'onReplay',
  'enabled',
  'signing',
]);

/**
 * Reads `-c webhooks` (a JSON list, or real JSON in cdk.json) into props, pushing every problem,
 * shape and value alike, as `-c webhooks...` messages so the app stops before synthesizing.
 */
export function readContextWebhooks(value: unknown, problems: string[]): PollerWebhook[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`-c webhooks: expected a JSON list of webhooks, got ${show(value)}`);
    return [];
  }
  const webhooks: PollerWebhook[] = [];
  const shapeProblems: string[] = [];
  value.forEach((item: unknown, index) => {
    if (!isObject(item)) {
      shapeProblems.push(`-c webhooks[${index}]: expected an object, got ${show(item)}`);
      return;
    }
    const unknownKeys = Object.keys(item).filter((key) => !CONTEXT_WEBHOOK_KEYS.has(key));
    if (unknownKeys.length > 0) {
      shapeProblems.push(
        `-c webhooks[${index}]: unknown key${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map(show).join(', ')} (known: ${[...CONTEXT_WEBHOOK_KEYS].join(', ')})`,
      );
    }
    const { maxEventAgeSeconds, ...rest } = item as ContextWebhook;
    let maxEventAge: Duration | undefined;
    if (maxEventAgeSeconds !== undefined) {
      if (typeof maxEventAgeSeconds === 'number' && Number.isFinite(maxEventAgeSeconds)) {
        maxEventAge = Duration.seconds(maxEventAgeSeconds);
      } else {
        shapeProblems.push(
          `-c webhooks[${index}].maxEventAgeSeconds: expected a number, got ${show(maxEventAgeSeconds)}`,
        );
      }
    }
    webhooks.push({ ...rest, ...(maxEventAge === undefined ? {} : { maxEventAge }) });
  });
  problems.push(...shapeProblems);
  if (shapeProblems.length === 0) {
    problems.push(...validateWebhooks(webhooks).map((problem) => `-c ${problem}`));
  }
  return webhooks;
}
