import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * An item's billed size by DynamoDB's documented rules: names and strings in UTF-8 bytes,
 * numbers about one byte per two significant digits plus one, binary its length, 3 bytes per list
 * or map plus one per element, 1 byte for NULL and BOOL.
 */
export function dynamoItemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.NULL !== undefined || value.BOOL !== undefined) return 1;
  if (value.L !== undefined)
    return 3 + value.L.reduce((sum, inner) => sum + 1 + valueSize(inner), 0);
  if (value.M !== undefined) return 3 + dynamoItemSize(value.M) + Object.keys(value.M).length;
  throw new Error(`unsized attribute ${JSON.stringify(value)}`);
}
