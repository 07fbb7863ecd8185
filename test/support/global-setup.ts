// Starts the services the integration tests share: one DynamoDB Local for the whole run.
import type { TestProject } from 'vitest/node';
import { ENDPOINT_VARIABLE, startDynamoDbLocal } from './dynamodb-local.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env[ENDPOINT_VARIABLE];
  if (existing) {
    project.provide('dynamoDbLocalEndpoint', existing);
    return async () => {};
  }
  const dynamoDbLocal = await startDynamoDbLocal();
  project.provide('dynamoDbLocalEndpoint', dynamoDbLocal.endpoint);
  return () => dynamoDbLocal.stop();
}
