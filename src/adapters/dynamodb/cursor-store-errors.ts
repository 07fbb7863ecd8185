import { describeError, PollerError } from '../../domain/errors.js';

/** A DynamoDB call for the cursor table failed (not a lost optimistic-locking race). */
export class CursorStoreError extends PollerError {
  constructor(
    readonly operation: string,
    readonly tableName: string,
    readonly customerId: string | undefined,
    cause: unknown,
  ) {
    const subject = customerId === undefined ? '' : ` for customer ${customerId}`;
    super(
      `DynamoDB ${operation}${subject} on table ${tableName} failed: ${errorName(cause)}${describeError(cause)}`,
      adviceFor(cause),
      { cause },
    );
  }
}

/** A customer's item exists but is not a valid customer state (edited by hand, older layout). */
export class UnreadableCustomerError extends PollerError {
  constructor(
    readonly customerId: string,
    readonly tableName: string,
    readonly problem: string,
  ) {
    super(
      `the item of customer ${customerId} in table ${tableName} cannot be read: ${problem}`,
      'fix the item in DynamoDB, or remove the customer and add it again',
    );
  }
}

/** The cause of a `CursorStoreError` about the table itself (its state, key or indexes). */
export function tableStateError(message: string): Error {
  const error = new Error(message);
  error.name = 'TableState';
  return error;
}

function errorName(error: unknown): string {
  return error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
}

function adviceFor(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'ResourceNotFoundException':
      return 'create the table (the CLI `init` command, or deploy the stack) and check TABLE_NAME and AWS_REGION';
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'CredentialsProviderError':
      return 'check the AWS credentials and that they may read and write the table';
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return 'DynamoDB is throttling: retry later or raise the table capacity';
    case 'InvalidCustomerState':
      return 'a bug: the poller built a state that does not match CustomerStateSchema';
    case 'TableState':
      return 'check the table in DynamoDB: use another TABLE_NAME, or wait/recreate it and run `init` again';
    case 'ValidationException':
      return 'DynamoDB refused the request as invalid: see the message (an item over 400 KB: lower SEEN_CAPACITY)';
    default:
      return 'check that DynamoDB is reachable (DYNAMODB_ENDPOINT, AWS_REGION) and retry';
  }
}
