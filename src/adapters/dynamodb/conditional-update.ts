import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

interface ConditionalUpdate {
  /** Attributes to set, by name: `null` stores NULL, `undefined` leaves the attribute as it is. */
  set: Record<string, unknown>;
  remove?: readonly string[];
  /** Written with `#attribute` for every attribute name, so reserved words need no care. */
  condition: string;
  /** The `:placeholders` of the condition; they must not reuse an attribute name of `set`. */
  conditionValues?: Record<string, unknown>;
}

/**
 * The expression parts of a conditional UpdateItem, one way for every write of the table:
 * `SET #a = :a, … REMOVE #b, …`, every `#name` in the expressions mapped to its attribute, values
 * encoded by `marshall`.
 */
export function conditionalUpdate(
  update: ConditionalUpdate,
): Pick<
  UpdateItemCommandInput,
  | 'UpdateExpression'
  | 'ConditionExpression'
  | 'ExpressionAttributeNames'
  | 'ExpressionAttributeValues'
> {
  const sets = Object.entries(update.set).filter(([, value]) => value !== undefined);
  const values: Record<string, unknown> = { ...update.conditionValues };
  for (const [name, value] of sets) {
    if (`:${name}` in values) throw new Error(`the condition reuses the placeholder :${name}`);
    values[`:${name}`] = value;
  }
  const clauses = [
    sets.length > 0 ? `SET ${sets.map(([name]) => `#${name} = :${name}`).join(', ')}` : '',
    update.remove?.length ? `REMOVE ${update.remove.map((name) => `#${name}`).join(', ')}` : '',
  ];
  const expression = clauses.filter((clause) => clause !== '').join(' ');
  const names: Record<string, string> = {};
  for (const [placeholder, name] of `${expression} ${update.condition}`.matchAll(/#(\w+)/g)) {
    names[placeholder] = name as string;
  }
  return {
    UpdateExpression: expression,
    ConditionExpression: update.condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
  };
}

/** DynamoDB refused a write because its condition did not hold: a lost race, not a failure. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
