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

/** Several settings are wrong at once: one line per problem. */
export class ConfigErrors extends PollerError {
  constructor(readonly problems: readonly ConfigError[]) {
    super(problems.map((problem) => problem.message).join('\n'), 'fix the settings listed');
  }
}

/** A customer id that cannot be a Capillary user id. Refused before any request. */
export class InvalidCustomerIdError extends PollerError {
  constructor(readonly customerId: string) {
    super(
      `invalid customer id ${JSON.stringify(customerId)}: a customer id is 1 to 19 digits (0-9) and nothing else`,
      'pass the numeric Capillary userId of the customer',
    );
  }
}

/** Turns anything thrown into one line for logs and summaries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
