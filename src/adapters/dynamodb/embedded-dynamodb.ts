import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
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
  /** `started`: served by this process; `joined`: served by another one, found announced. */
  origin: 'started' | 'joined';
  /** Stops the server and closes the LevelDB store, releasing its lock (nothing when joined). */
  close(): Promise<void>;
}

/** What a process serving the embedded database writes next to its directory for the others. */
interface Announcement {
  endpoint: string;
  pid: number;
  directory: string;
}

/** `.data/dynalite` is announced in `.data/dynalite.endpoint.json`. */
export function announcementPath(directory: string): string {
  return `${path.resolve(directory)}.endpoint.json`;
}

type LevelModule = {
  Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> };
};

export class EmbeddedDynamoDbError extends PollerError {}

/** Another process holds the directory's LevelDB lock. */
export class EmbeddedDynamoDbLockedError extends EmbeddedDynamoDbError {}

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

/** The announced database of `directory`, if its process is alive and it answers. */
async function joinAnnounced(directory: string): Promise<EmbeddedDynamoDb | undefined> {
  let announcement: Announcement;
  try {
    announcement = JSON.parse(await readFile(announcementPath(directory), 'utf8')) as Announcement;
  } catch {
    return undefined;
  }
  const endpoint = new URL(announcement.endpoint);
  // Stale announcements (a process killed before it could remove it) are ignored.
  if (
    endpoint.hostname !== '127.0.0.1' ||
    announcement.directory !== path.resolve(directory) ||
    !isAlive(announcement.pid) ||
    !(await answersAsDynamoDb(endpoint))
  ) {
    return undefined;
  }
  return { endpoint, origin: 'joined', close: async () => {} };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A ListTables call, as the SDK would send it, answered with a table list within a second. */
async function answersAsDynamoDb(endpoint: URL): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-date': '20200101T000000Z',
      },
      body: '{}',
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { TableNames?: unknown };
    return response.ok && Array.isArray(body.TableNames);
  } catch {
    return false;
  }
}

/** Writes the announcement (atomically) and removes it on close, if it is still this one. */
async function announced(embedded: EmbeddedDynamoDb, directory: string): Promise<EmbeddedDynamoDb> {
  const file = announcementPath(directory);
  const announcement: Announcement = {
    endpoint: embedded.endpoint.href,
    pid: process.pid,
    directory: path.resolve(directory),
  };
  const text = `${JSON.stringify(announcement)}\n`;
  try {
    await writeFile(`${file}.${process.pid}`, text, { mode: 0o600 });
    await rename(`${file}.${process.pid}`, file);
  } catch (error) {
    await embedded.close();
    throw error;
  }
  return {
    ...embedded,
    async close() {
      try {
        if ((await readFile(file, 'utf8')) === text) await unlink(file);
      } catch {
        // Already gone: nothing to withdraw.
      }
      await embedded.close();
    },
  };
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
