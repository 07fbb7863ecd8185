import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddedDynamoDb } from './embedded-dynamodb.js';

/*
 * How processes share one embedded database: the process serving it announces its endpoint in a
 * file next to the directory, and the commands of a second terminal join it there instead of
 * fighting over the LevelDB lock.
 */

/** What a process serving the embedded database writes next to its directory for the others. */
interface Announcement {
  endpoint: string;
  pid: number;
  directory: string;
}

/**
 * `.data/dynalite` is announced in `.data/dynalite.endpoint.json`.
 */
function announcementPath(directory: string): string {
  return `${path.resolve(directory)}.endpoint.json`;
}

/** The announced database of `directory`, if its process is alive and it answers. */
export async function joinAnnounced(directory: string): Promise<EmbeddedDynamoDb | undefined> {
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
export async function announced(
  embedded: EmbeddedDynamoDb,
  directory: string,
): Promise<EmbeddedDynamoDb> {
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
