// Moved to src (the cursor store's byte budget is tested against it); kept for benchmarks that import it here.
export { dynamoItemSize } from '../src/adapters/dynamodb/dynamodb-item-size.js';
