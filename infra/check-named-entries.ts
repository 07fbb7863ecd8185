/**
 * Walks a list of named entries (alerts, webhooks). Each names its own resources, so its name must
 * be 1 to 64 letters, digits or "-" and not taken by an earlier entry; `check` then looks at the
 * rest of the entry, given the label its problems start with (`alerts[2] ("vip")`).
 */
export function checkNamedEntries<Entry extends { name: unknown }>(
  problems: string[],
  list: { list: string; kind: string; pattern: RegExp; entries: readonly Entry[] },
  check: (entry: Entry, label: string) => void,
): void {
  const seen = new Set<string>();
  list.entries.forEach((entry, index) => {
    const at = `${list.list}[${index}]`;
    const { name } = entry;
    const shown = JSON.stringify(name);
    if (typeof name !== 'string' || !list.pattern.test(name)) {
      problems.push(
        `${at}.name must be 1 to 64 letters, digits or "-", starting with a letter or digit, got ${shown}`,
      );
    } else if (seen.has(name)) {
      problems.push(`${at}.name ${shown} is used by another ${list.kind}`);
    } else {
      seen.add(name);
    }
    check(entry, `${at} (${shown})`);
  });
}
