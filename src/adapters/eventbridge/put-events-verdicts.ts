// What a PutEvents failure means for the events in it: retry, give up for now, or reject for good.

/** An entry's verdict: retry it now, `failed` (a later run tries again), or `rejected` for good. */
type EntryVerdict = 'retry' | 'failed' | 'rejected';

/**
 * The entry codes AWS documents (EventBridge API reference, PutEventsResultEntry.ErrorCode).
 * Retryable: InternalFailure, ThrottlingException. Non-retryable: MalformedDetail, InvalidArgument
 * and RedactionFailure are about the entry itself, so sending it again cannot succeed: `rejected`
 * (parked). The access errors are about the publisher's permissions or account, not the event,
 * which would be accepted once access is fixed: `failed` (a later poll tries again).
 */
const ENTRY_CODE_VERDICTS = new Map<string, EntryVerdict>([
  ['InternalFailure', 'retry'],
  ['ThrottlingException', 'retry'],
  ['MalformedDetail', 'rejected'],
  ['InvalidArgument', 'rejected'],
  ['RedactionFailure', 'rejected'],
  ['AccessDeniedException', 'failed'],
  ['InvalidAccountIdException', 'failed'],
  ['NotAuthorizedForSourceException', 'failed'],
  ['NotAuthorizedForDetailTypeException', 'failed'],
]);

/**
 * Any other code (`InternalException`, a code added after this list) is treated as transient:
 * retried within the budget, then `failed`. Only a documented permanent code parks an event, since
 * parking takes it off the stream until someone redrives it.
 */
export function classifyEntryCode(code: string): EntryVerdict {
  return ENTRY_CODE_VERDICTS.get(code) ?? 'retry';
}

/** Throttling and transient server or network errors of a whole request: worth sending again. */
const TRANSIENT_REQUEST_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'InternalException',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

type RequestVerdict = 'transient' | 'invalid' | 'permanent';

/** A whole request's failure: retry it, isolate a bad entry, or give up for now. */
export function classifyRequestError(error: unknown): RequestVerdict {
  if (!(error instanceof Error)) return 'transient';
  const { name } = error;
  const sdk = error as Error & {
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = sdk.$metadata?.httpStatusCode;
  if (TRANSIENT_REQUEST_ERRORS.has(name) || sdk.$retryable) return 'transient';
  // No HTTP status: the request never got an answer (connection refused or reset, timeout).
  if (status === undefined || status >= 500 || status === 429) return 'transient';
  if (name === 'ValidationException' || name === 'SerializationException') return 'invalid';
  return 'permanent';
}
