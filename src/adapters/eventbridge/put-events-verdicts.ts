// What a PutEvents failure means for the events in it: retry, give up for now, or reject for good.

/** An entry's verdict: retry it now, `failed` (a later run tries again), or `rejected` for good. */
type EntryVerdict = 'retry' | 'failed' | 'rejected';

/**
 * Per AWS (PutEventsResultEntry.ErrorCode) the retryable entry errors are InternalFailure and
 * ThrottlingException: retried with backoff, `failed` when attempts run out. The access errors
 * AWS lists as non-retryable are about the publisher's permissions or account, not about the
 * event, which would be accepted once access is fixed: they are `failed` rather than `rejected`.
 */
const ENTRY_CODE_VERDICTS = new Map<string, EntryVerdict>([
  ['InternalFailure', 'retry'],
  ['ThrottlingException', 'retry'],
  ['AccessDeniedException', 'failed'],
  ['InvalidAccountIdException', 'failed'],
  ['NotAuthorizedForSourceException', 'failed'],
  ['NotAuthorizedForDetailTypeException', 'failed'],
]);

/**
 * Everything else (MalformedDetail, InvalidArgument, RedactionFailure, unknown codes) is about the
 * entry itself and non-retryable: sending the same entry again cannot succeed, so it is `rejected`.
 */
export function classifyEntryCode(code: string): EntryVerdict {
  return ENTRY_CODE_VERDICTS.get(code) ?? 'rejected';
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
