import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describeError, PollerError } from '../../domain/errors.js';

/** The part of dynalite's API used here (the package ships no types). */
type Dynalite = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

export interface EmbeddedDynamoDb {
  /** `http://127.0.0.1:<port>`: point a DynamoDBClient here (any credentials, any region). */
  endpoint: URL;
  /** Stops the server and closes the LevelDB store, releasing its lock. */
  close(): Promise<void>;
}

type LevelModule = {
  Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> };
};

export class EmbeddedDynamoDbError extends PollerError {}

/**
 * Starts dynalite in this process, on 127.0.0.1 with a free port, storing its data with LevelDB
 * (classic-level) under `directory`, created if missing. One process at a time per directory:
 * LevelDB locks it. dynalite has no transactions; the cursor store does not need them.
 */
export async function startEmbeddedDynamoDb(options: {
  directory: string;
}): Promise<EmbeddedDynamoDb> {
  const directory = path.resolve(options.directory);
  await mkdir(directory, { recursive: true });
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite') as Dynalite;
  // dynalite opens LevelDB in the background and, when that fails (the directory is locked by
  // another process), crashes the process on the first request. Open it once here to fail cleanly.
  const { Level } = createRequire(require.resolve('dynalite'))('level') as LevelModule;
  const check = new Level(directory);
  try {
    await check.open();
  } catch (error) {
    throw new EmbeddedDynamoDbError(
      `the embedded DynamoDB (dynalite) cannot open ${directory}: ${describeError(error)}${causeOf(error)}`,
      'stop the other poller using this directory (LevelDB allows one process at a time), or delete the directory to start afresh',
      { cause: error },
    );
  } finally {
    await check.close();
  }
  const server = dynalite({
    path: directory,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = new URL(`http://127.0.0.1:${port}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error?: Error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets of SDK clients would hold the server open until they time out.
      server.closeAllConnections();
    });
    return closing;
  };

  return { endpoint, close };
}

function causeOf(error: unknown): string {
  return error instanceof Error && error.cause !== undefined
    ? ` (${describeError(error.cause)})`
    : '';
}
