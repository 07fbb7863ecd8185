import { customerIdProblem } from './customer-state.js';

/** Base of every error the poller raises on purpose: `reason` tells a person what to do. */
export class PollerError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or wrong. The CLI exits with code 2 on it. */
export class ConfigError extends PollerError {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`, `fix the ${setting} setting`);
  }
}

/**
 * Some services are configured and others the command uses are not: refused rather than mixing
 * real state with an embedded stand-in. Names every missing setting at once.
 */
export class IncompleteConfigError extends ConfigError {
  constructor(
    readonly missing: readonly string[],
    /** The settings given that make the configuration real. */
    readonly configured: readonly string[],
    consequence: string,
  ) {
    super(
      missing.join(', '),
      `${missing.length === 1 ? 'is' : 'are'} required because ${configured.join(', ')} ${configured.length === 1 ? 'is' : 'are'} set: without ${missing.length === 1 ? 'it' : 'them'}, ${consequence}`,
    );
  }
}

/** Several settings are wrong at once: one line per problem. */
export class ConfigErrors extends PollerError {
  constructor(readonly problems: readonly ConfigError[]) {
    super(problems.map((problem) => problem.message).join('\n'), 'fix the settings listed');
  }
}

/** A customer id that cannot be a Capillary user id. Refused before any request. */
export class InvalidCustomerIdError extends PollerError {
  constructor(readonly customerId: string) {
    // A pasted file line may be huge: the message shows its start only.
    const shown = customerId.length > 40 ? `${customerId.slice(0, 40)}…` : customerId;
    super(
      `invalid customer id ${JSON.stringify(shown)}: ${customerIdProblem(customerId) ?? 'not a customer id'}`,
      'pass the numeric Capillary userId of the customer, as Capillary writes it',
    );
  }
}

/** Turns anything thrown into one line for logs and summaries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The Capillary budget could not be had within the wait allowed (a request timeout, or what is left
 * of the invocation): nothing was sent, and the poll hands its customer back untouched.
 */
export class QuotaWaitError extends PollerError {
  constructor(
    readonly maxWaitMs: number,
    why = 'the shared quota is busy',
  ) {
    super(
      `no Capillary budget within ${Math.round(maxWaitMs)} ms: ${why}`,
      'nothing to do if it is rare: the customer is due again at once; if it lasts, raise CAPILLARY_RPS (if the API allows) or POLL_INTERVAL_SECONDS',
    );
  }
}
