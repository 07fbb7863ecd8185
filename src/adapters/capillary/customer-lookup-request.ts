import * as z from 'zod';
import { CustomerIdSchema } from '../../domain/customer-state.js';
import type { CustomerLookupAnswer } from '../../domain/ports.js';
import type { Interpretation } from './response-interpreter.js';

/*
 * Capillary's customer lookup, `GET /v2/customers/lookup/customerDetails?source=&identifierName=
 * &identifierValue=`. Its request carries an identifier value and its answer a customer's profile:
 * personal data both ways, so no message of this module quotes a body, only statuses and codes.
 *
 * The reference documents the parameters, not the answer's shape. Assumed, as Capillary's v2
 * customer object has it: the customer's id is the top-level `id` (a number, or digits). An answer
 * without one is a failed lookup, never a guess.
 */

/** The documented path. */
export const DEFAULT_CUSTOMER_LOOKUP_PATH = '/v2/customers/lookup/customerDetails';

/** `identifierName` values the reference lists, and `auto`: chosen by the value's form. */
export const LOOKUP_IDENTIFIER_NAMES = [
  'auto',
  'mobile',
  'email',
  'externalId',
  'cardnumber',
  'wechat',
] as const;
export type LookupIdentifierName = (typeof LOOKUP_IDENTIFIER_NAMES)[number];

/**
 * Capillary's error codes that mean "no such customer" (its customer status codes: 816 customer
 * not found for the org, 1011/1012 no customer for the identifier, 8015 not found for the given
 * identifiers). Whatever the HTTP status, they are an answer, not a failure.
 */
const NOT_FOUND_CODES: ReadonlySet<number> = new Set([816, 1011, 1012, 8015]);

/** `auto`: an email has `@`, a mobile number is 7 to 15 digits (`+` allowed), anything else an external id. */
export function identifierNameFor(value: string, name: LookupIdentifierName): string {
  if (name !== 'auto') return name;
  if (value.includes('@')) return 'email';
  return /^\+?\d{7,15}$/.test(value) ? 'mobile' : 'externalId';
}

/** The request URL of one lookup; every value URL-encoded. */
export function customerLookupUrl(
  baseUrl: URL,
  path: string,
  query: { source: string; identifierName: string; identifierValue: string },
): URL {
  const params = new URLSearchParams(query);
  const prefix = `${baseUrl.origin}${baseUrl.pathname.replace(/\/+$/, '')}`;
  return new URL(`${prefix}${path}?${params.toString().replaceAll('+', '%20')}`);
}

/** The numeric codes of a body's `errors` (at most 10), for messages that show no body text. */
export function lookupErrorCodes(json: unknown): number[] {
  if (!json || typeof json !== 'object') return [];
  const { errors } = json as Record<string, unknown>;
  if (!Array.isArray(errors)) return [];
  const codes: number[] = [];
  for (const entry of errors.slice(0, 10)) {
    const code =
      entry && typeof entry === 'object' ? (entry as { code?: unknown }).code : undefined;
    const number = typeof code === 'string' && /^\d{1,9}$/.test(code) ? Number(code) : code;
    if (typeof number === 'number' && Number.isSafeInteger(number)) codes.push(number);
  }
  return codes;
}

/** Whether an answer says there is no such customer: HTTP 404, or a not-found code. */
export function isNoCustomer(status: number, codes: readonly number[]): boolean {
  return status === 404 || codes.some((code) => NOT_FOUND_CODES.has(code));
}

/** `HTTP 500, Capillary error codes 500, 1004`: what a failed lookup may say about its answer. */
export function describeLookupAnswer(status: number, codes: readonly number[]): string {
  const shown = codes.length === 0 ? '' : `, Capillary error codes ${codes.join(', ')}`;
  return `HTTP ${status}${shown} (the body is not shown: it may hold personal data)`;
}

const CustomerIdFieldSchema = z.object({
  id: z.union([
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^\d{1,19}$/),
  ]),
});

/** A 2xx body of the lookup: the customer's `id`, or why it cannot be read (no body text). */
export function interpretCustomerLookupBody(
  status: number,
  json: { ok: true; value: unknown } | { ok: false },
): Interpretation<CustomerLookupAnswer> {
  if (!json.ok) {
    return { ok: false, failure: 'malformed', detail: `the answer is not JSON (HTTP ${status})` };
  }
  const codes = lookupErrorCodes(json.value);
  const errors = (json.value as { errors?: unknown } | null)?.errors;
  if (codes.length > 0 || (Array.isArray(errors) && errors.length > 0)) {
    return { ok: false, failure: 'api-errors', detail: describeLookupAnswer(status, codes) };
  }
  const parsed = CustomerIdFieldSchema.safeParse(json.value);
  const customerId = parsed.success ? String(parsed.data.id) : undefined;
  if (customerId === undefined || !CustomerIdSchema.safeParse(customerId).success) {
    return {
      ok: false,
      failure: 'invalid-response',
      detail: `the answer has no customer id at \`id\` (HTTP ${status}): is this the lookup endpoint?`,
    };
  }
  return { ok: true, value: { kind: 'found', customerId } };
}
