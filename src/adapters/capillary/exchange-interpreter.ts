import type * as z from 'zod';
import { describeApiMessage } from '../../domain/capillary-event.js';
import type { CustomerLookupAnswer, EventLogPage, FetchedEvents } from '../../domain/ports.js';
import type { SecretRedactor } from '../../domain/redaction.js';
import type { CapillaryFailure } from './capillary-errors.js';
import type { Exchange } from './capillary-transport.js';
import {
  describeLookupAnswer,
  interpretCustomerLookupBody,
  isNoCustomer,
  lookupErrorCodes,
} from './customer-lookup-request.js';
import { interpretEventLogBody } from './event-log-request.js';
import { type AccessToken, TokenResponseSchema } from './oauth-token-provider.js';
import { decodeUtf8 } from './response-body.js';
import {
  apiErrors,
  BODY_SNIPPET_CHARS,
  type BodyView,
  describeErrorBody,
  describeNotJson,
  describeRedirect,
  interpretEventsBody,
  parseJson,
} from './response-interpreter.js';
import { parseRetryAfterMs } from './retry-after.js';

/** A request that did not give what was asked, and whether trying again may help. */
export interface Failed {
  ok: false;
  failure: CapillaryFailure;
  status: number | undefined;
  /** Not yet redacted: whoever shows it redacts it. */
  detail: string;
  retryable: boolean;
  retryAfterMs?: number | undefined;
  /** Retry at once without counting the attempt (after an OAuth token regeneration). */
  retryNow?: boolean;
  cause?: unknown;
}
export type Verdict<T> = { ok: true; value: T } | Failed;

type Response = Extract<Exchange, { kind: 'response' }>;

/**
 * Reads what an exchange means: the events of a customer, or a new OAuth token, or a failure
 * that says what went wrong and whether to retry. Body text it quotes is redacted and cut.
 */
export class ExchangeInterpreter {
  constructor(private readonly redactor: SecretRedactor) {}

  events(exchange: Exchange): Verdict<FetchedEvents> {
    const common = this.common(exchange);
    if (common) return common;
    const view = this.view(exchange as Response);
    if (!view.ok) return view;
    const interpreted = interpretEventsBody(view.value, this.show);
    if (!interpreted.ok) return failed(interpreted.failure, view.value.status, interpreted.detail);
    const { events, rejected, warnings } = interpreted.value;
    const redact = (text: string) => this.redactor.redact(text);
    return {
      ok: true,
      value: {
        events,
        rejected: (rejected ?? []).map((event) => ({
          ...event,
          key: redact(event.key),
          reason: redact(event.reason),
        })),
        warnings: warnings.map((entry) => redact(describeApiMessage(entry))),
      },
    };
  }

  /** The org-wide event log: a 404 means the org has none (an outcome, not a failure). */
  eventLog(exchange: Exchange): Verdict<EventLogPage> {
    if (exchange.kind === 'response' && exchange.status === 404) {
      const view = this.view(exchange);
      const detail = view.ok ? describeErrorBody(view.value, this.show) : 'HTTP 404';
      return { ok: true, value: { kind: 'unavailable', detail: `HTTP 404: ${detail}` } };
    }
    const common = this.common(exchange);
    if (common) return common;
    const view = this.view(exchange as Response);
    if (!view.ok) return view;
    const interpreted = interpretEventLogBody(view.value, this.show);
    if (!interpreted.ok) return failed(interpreted.failure, view.value.status, interpreted.detail);
    return interpreted;
  }

  /**
   * The customer lookup: "no such customer" (404, or a not-found code at any status) is an
   * answer. Its bodies hold personal data, so a failure names the status and error codes only.
   */
  customerLookup(exchange: Exchange): Verdict<CustomerLookupAnswer> {
    const common = this.common(exchange);
    if (exchange.kind !== 'response' || common?.failure === 'redirected') {
      return common ?? failed('malformed', 0, 'no response');
    }
    const { status } = exchange;
    const text = decodeUtf8(exchange.bytes);
    const json = text === undefined ? ({ ok: false } as const) : parseJson(text);
    const codes = json.ok ? lookupErrorCodes(json.value) : [];
    if (isNoCustomer(status, codes)) return { ok: true, value: { kind: 'not-found' } };
    if (common) return { ...common, detail: describeLookupAnswer(status, codes) };
    const interpreted = interpretCustomerLookupBody(status, json);
    if (!interpreted.ok) return failed(interpreted.failure, status, interpreted.detail);
    return interpreted;
  }

  token(exchange: Exchange): Verdict<AccessToken> {
    const common = this.common(exchange);
    if (common) return common;
    const view = this.view(exchange as Response);
    if (!view.ok) return view;
    const { status, text } = view.value;
    const json = parseJson(text);
    if (!json.ok) {
      return failed(
        'malformed',
        status,
        `token response: ${describeNotJson(view.value, this.show)}`,
      );
    }
    const errors = apiErrors(json.value);
    if (errors !== undefined) return failed('api-errors', status, errors);
    const parsed = TokenResponseSchema.safeParse(json.value);
    if (!parsed.success) {
      return failed(
        'invalid-response',
        status,
        `unexpected token response shape: ${describeIssues(parsed.error.issues)}`,
      );
    }
    return {
      ok: true,
      value: { value: parsed.data.data.accessToken, ttlSeconds: parsed.data.data.ttlSeconds },
    };
  }

  /** Body text a message may show: redacted whole, flattened, then cut with no secret piece at the cut. */
  private readonly show = (text: string): string =>
    this.redactor.redactAndCut(
      this.redactor.redact(text).replace(/\s+/g, ' ').trim(),
      BODY_SNIPPET_CHARS,
    );

  /** The body as text, or a failure when it is not valid UTF-8. */
  private view(exchange: Response): Verdict<BodyView> {
    const text = decodeUtf8(exchange.bytes);
    if (text === undefined) {
      return failed(
        'malformed',
        exchange.status,
        `the body is not valid UTF-8 (${exchange.bytes.length} bytes, HTTP ${exchange.status})`,
      );
    }
    return { ok: true, value: { status: exchange.status, headers: exchange.headers, text } };
  }

  /** Outcomes that do not depend on the endpoint: no response, throttling, errors; `undefined` for 2xx. */
  private common(exchange: Exchange): Failed | undefined {
    if (exchange.kind === 'no-response') {
      const { failure, detail, cause } = exchange;
      return { ok: false, failure, status: undefined, detail, retryable: true, cause };
    }
    if (exchange.kind === 'bad-body') {
      const { failure, status, detail } = exchange;
      // A slow or cut-off body may be a passing fault; a too-large or compressed one is not.
      return { ok: false, failure, status, detail, retryable: failure !== 'malformed' };
    }
    const { status, headers } = exchange;
    if (status >= 200 && status < 300) return undefined;
    if (status >= 300 && status < 400) {
      return failed('redirected', status, describeRedirect(status, headers, exchange.url));
    }
    const view = this.view(exchange);
    if (!view.ok) return view;
    const message = describeErrorBody(view.value, this.show);
    if (status === 429 || status >= 500) {
      return {
        ok: false,
        failure: status === 429 ? 'throttled' : 'server',
        status,
        detail: message,
        retryable: true,
        retryAfterMs: parseRetryAfterMs(headers['retry-after']),
      };
    }
    return failed(status === 401 || status === 403 ? 'unauthorized' : 'rejected', status, message);
  }
}

function failed(failure: CapillaryFailure, status: number, detail: string): Failed {
  return { ok: false, failure, status, detail, retryable: false };
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((part, index) =>
        typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
      )
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = issues.length > shown.length ? ` (+${issues.length - shown.length} more)` : '';
  return `${shown.join('; ')}${more}`;
}
