import { describeError } from '../domain/errors.js';

/** An SDK error as `Name: message` (the name says what AWS refused), for reasons and logs. */
export function awsErrorSummary(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describeError(error);
}
