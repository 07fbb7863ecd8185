import type * as events from 'aws-cdk-lib/aws-events';

/**
 * The top-level field EventBridge adds to every event it replays from an archive (its value is the
 * replay's name). Live events never carry it; the archive's own managed rule filters on it too.
 */
const REPLAY_NAME_FIELD = 'replay-name';

/** The pattern condition that lets live events through and stops replayed ones. */
const NOT_REPLAYED: readonly Record<string, boolean>[] = [{ exists: false }];

/**
 * `pattern` with the replay guard added, unless `onReplay` is true. Rules with side effects on
 * people or other systems (alerts, webhooks, `onEvent` targets) use it, so replaying the archive
 * into the bus does not page anyone again. `EventPattern` has no field for `replay-name`, and the
 * CDK renders unknown keys as they are, so the key is added beside the typed ones.
 */
export function guardAgainstReplay(
  pattern: events.EventPattern,
  onReplay: boolean | undefined,
): events.EventPattern {
  if (onReplay === true) return pattern;
  const guard = { [REPLAY_NAME_FIELD]: NOT_REPLAYED.map((condition) => ({ ...condition })) };
  return { ...pattern, ...guard } as events.EventPattern;
}

/** Problems with the `onReplay` flags of rules given as data (alerts): it must be a boolean. */
export function validateOnReplay(
  kind: string,
  rules: readonly { readonly name?: unknown; readonly onReplay?: unknown }[],
): string[] {
  return rules.flatMap((rule, index) =>
    rule.onReplay === undefined || typeof rule.onReplay === 'boolean'
      ? []
      : [
          `${kind}[${index}] (${JSON.stringify(rule.name)}).onReplay must be true or false, got ${JSON.stringify(rule.onReplay)}`,
        ],
  );
}
