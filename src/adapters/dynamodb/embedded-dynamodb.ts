import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describeError, PollerError } from '../../domain/errors.js';
import { announced, joinAnnounced } from './embedded-dynamodb-announcement.js';

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
  /** `started`: served by this process; `joined`: served by another one, found announced. */
  origin: 'started' | 'joined';
  /** Stops the server and closes the LevelDB store, releasing its lock (nothing when joined). */
  close(): Promise<void>;
}

type LevelModule = {
  Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> };
};

/** The embedded DynamoDB could not start or be reached. */
class EmbeddedDynamoDbError extends PollerError {}

/** Another process holds the directory's LevelDB lock. */
class EmbeddedDynamoDbLockedError extends EmbeddedDynamoDbError {}

/**
 * The embedded database of `directory`, shared between processes: joins the one another process
 * announced when it is alive and answers, else starts it here (and, with `announce`, announces it
 * so the commands of a second terminal reach the same data while this process runs). LevelDB lets
 * one process open the directory: a process that finds it locked and unannounced waits a little
 * for the holder (a short command) to finish before giving up.
 */
export async function openEmbeddedDynamoDb(options: {
  directory: string;
  announce: boolean;
  /** How long to wait for a locked directory to be announced or freed. Default 10 s. */
  lockWaitMs?: number;
}): Promise<EmbeddedDynamoDb> {
  const deadline = Date.now() + (options.lockWaitMs ?? 10_000);
  while (true) {
    const joined = await joinAnnounced(options.directory);
    if (joined) return joined;
    try {
      const started = await startEmbeddedDynamoDb({ directory: options.directory });
      if (!options.announce) return started;
      return await announced(started, options.directory);
    } catch (error) {
      if (!(error instanceof EmbeddedDynamoDbLockedError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

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
    const locked = /lock/i.test(`${describeError(error)}${causeOf(error)}`);
    const Failure = locked ? EmbeddedDynamoDbLockedError : EmbeddedDynamoDbError;
    throw new Failure(
      `the embedded DynamoDB (dynalite) cannot open ${directory}: ${describeError(error)}${causeOf(error)}`,
      locked
        ? 'another command holds it and did not finish: wait for it, or stop it (a running `npm start` shares it with other commands)'
        : 'delete the directory to start afresh (its data is lost)',
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

  return { endpoint, origin: 'started', close };
}

function causeOf(error: unknown): string {
  return error instanceof Error && error.cause !== undefined
    ? ` (${describeError(error.cause)})`
    : '';
}
