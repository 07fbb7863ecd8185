import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod';
import { describeError } from '../../domain/errors.js';

export type ParsedItem<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Never throws: the item decoded by `unmarshall` and parsed by `schema`, or what is wrong with it.
 * Every item read from the table goes through here, so a hand-edited item is a `problem`, not a
 * crash.
 */
export function parseItem<T>(
  item: Record<string, AttributeValue>,
  schema: z.ZodType<T>,
): ParsedItem<T> {
  let plain: Record<string, unknown>;
  try {
    plain = unmarshall(item);
  } catch (error) {
    return { ok: false, problem: describeError(error) };
  }
  const parsed = schema.safeParse(plain);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, problem: summarizeIssues(parsed.error) };
}

/** `path: message; path: message`, at most 5 issues: enough to find the broken attribute. */
export function summarizeIssues(error: z.ZodError): string {
  const lines = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(item)'}: ${issue.message}`);
  const more = error.issues.length - lines.length;
  return more > 0 ? `${lines.join('; ')}; and ${more} more` : lines.join('; ');
}
