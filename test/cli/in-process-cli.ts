// runCli in this process, against DynamoDB Local (a table of the file's own), a Capillary double
// and an EventBridge double: faster than a child process where the test is about what a command does, not the process.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, inject } from 'vitest';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { runCli } from '../../src/cli/run-cli.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble, TEST_BUS } from '../support/eventbridge-double.js';

export interface InProcessCli {
  /** Started before the file's tests, closed after them. */
  capillary: CapillaryDouble;
  /** Where `poll` publishes (a real table needs a real bus). */
  eventBridge: EventBridgeDouble;
  /** Runs one command with the file's settings; its exit code and what it printed. */
  run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Runs one command in this process with exactly `env`: its exit code and what it printed. */
export async function runCliInProcess(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runCli(argv, { env, stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Registers the hooks that start and stop the services; use at the top of a test file. */
export function useInProcessCli(
  tablePrefix: string,
  settings: Record<string, string> = {},
): InProcessCli {
  let env: NodeJS.ProcessEnv = {};
  const harness: InProcessCli = {
    capillary: undefined as unknown as CapillaryDouble,
    eventBridge: undefined as unknown as EventBridgeDouble,
    run: (...argv) => runCliInProcess(argv, env),
  };

  beforeAll(async () => {
    [harness.capillary, harness.eventBridge] = await Promise.all([
      CapillaryDouble.start(),
      EventBridgeDouble.start(),
    ]);
    const client = dynamoDbLocalClient();
    const tableName = await createTestTable(client, tablePrefix);
    client.destroy();
    env = {
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      CAPILLARY_BASE_URL: harness.capillary.url.toString(),
      CAPILLARY_USERNAME: 'till',
      CAPILLARY_PASSWORD: `pw-for-${tablePrefix}-test`,
      EVENT_BUS_NAME: TEST_BUS,
      EVENTBRIDGE_ENDPOINT: harness.eventBridge.url,
      LOG_LEVEL: 'SILENT',
      ...settings,
    };
  });

  afterAll(async () => {
    await Promise.all([harness.capillary?.close(), harness.eventBridge?.close()]);
    await closeSharedDispatcher();
  });

  return harness;
}
