/**
 * The name check alerts and webhooks share: each names its own resources, so a name must be well
 * formed and not taken by an earlier entry of the same list (`seen` collects them, in order).
 * `at` is where the entry stands (`alerts[2]`), `kind` what it is (`alert`).
 */
export function checkUniqueName(
  problems: string[],
  entry: { at: string; kind: string; name: unknown; pattern: RegExp },
  seen: Set<string>,
): void {
  const { at, kind, name, pattern } = entry;
  const shown = JSON.stringify(name);
  if (typeof name !== 'string' || !pattern.test(name)) {
    problems.push(
      `${at}.name must be 1 to 64 letters, digits or "-", starting with a letter or digit, got ${shown}`,
    );
  } else if (seen.has(name)) {
    problems.push(`${at}.name ${shown} is used by another ${kind}`);
  } else {
    seen.add(name);
  }
}
