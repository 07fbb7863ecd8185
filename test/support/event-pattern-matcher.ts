// A local EventBridge event-pattern matcher, for the operators this project's rules use. It follows
// the documented rules (Amazon EventBridge User Guide, "Event patterns" and "Content filtering"):
// - every field named in the pattern must match; fields the pattern does not name are ignored;
// - a nested object in the pattern matches the nested object of the event, field by field;
// - a leaf is an array of conditions, any of which may match (OR); an array in the event
//   matches when any of its elements matches a condition;
// - conditions: a literal (exact string, number or null), {prefix}, {suffix},
//   {anything-but: literal | [literals] | {prefix}}, {numeric: [op, value, ...]}, {exists}.
// `exists` applies to leaves only: `false` matches a field that is absent, `true` one present.
// Unknown operators throw, so a test cannot pass on a pattern this matcher does not understand.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Condition = Json;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `event` matches `pattern` (both as JSON: a rule's `EventPattern` and a bus event). */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, expected]) => matchField(expected, event, key));
}

function matchField(expected: unknown, event: Record<string, unknown>, key: string): boolean {
  const present = Object.hasOwn(event, key);
  const actual = event[key];
  if (isObject(expected)) {
    return present && isObject(actual) && matchesEventPattern(expected, actual);
  }
  if (!Array.isArray(expected) || expected.length === 0) {
    throw new Error(`pattern field "${key}" must be an object or a non-empty array`);
  }
  return expected.some((condition: Condition) => matchCondition(condition, present, actual));
}

function matchCondition(condition: Condition, present: boolean, actual: unknown): boolean {
  if (isObject(condition)) {
    const operators = Object.keys(condition);
    if (operators.length !== 1) throw new Error(`one operator per condition, got ${operators}`);
    const operator = operators[0] as string;
    const operand = condition[operator];
    if (operator === 'exists') {
      if (typeof operand !== 'boolean') throw new Error('exists takes true or false');
      const leafPresent = present && !isObject(actual);
      return operand ? leafPresent : !present;
    }
    if (!present) return false;
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((value) => matchOperator(operator, operand, value));
  }
  if (!present) return false;
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((value) => equalsLiteral(condition, value));
}

function equalsLiteral(literal: Condition, value: unknown): boolean {
  if (typeof literal === 'number' && typeof value === 'number') return literal === value;
  return literal === value;
}

function matchOperator(operator: string, operand: unknown, value: unknown): boolean {
  switch (operator) {
    case 'prefix':
      return typeof operand === 'string' && typeof value === 'string' && value.startsWith(operand);
    case 'suffix':
      return typeof operand === 'string' && typeof value === 'string' && value.endsWith(operand);
    case 'anything-but': {
      if (isObject(operand)) {
        if (typeof operand.prefix !== 'string') throw new Error('anything-but takes {prefix}');
        return typeof value === 'string' && !value.startsWith(operand.prefix);
      }
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((literal) => equalsLiteral(literal as Condition, value));
    }
    case 'numeric':
      return typeof value === 'number' && matchNumeric(operand, value);
    default:
      throw new Error(`operator "${operator}" is not implemented by this matcher`);
  }
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};

function matchNumeric(operand: unknown, value: number): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error('numeric takes [op, number, ...] pairs');
  }
  for (let index = 0; index < operand.length; index += 2) {
    const compare = COMPARE[operand[index] as string];
    const bound = operand[index + 1];
    if (compare === undefined || typeof bound !== 'number') {
      throw new Error(`numeric: bad pair ${JSON.stringify(operand.slice(index, index + 2))}`);
    }
    if (!compare(value, bound)) return false;
  }
  return true;
}
