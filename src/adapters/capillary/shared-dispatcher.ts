import { Agent, type Dispatcher } from 'undici';

let agent: Agent | undefined;

/** The longest a TCP/TLS connect may take, whatever the request timeout. */
const MAX_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The process-wide keep-alive connection pool for Capillary, created on first use and reused by
 * every client (and every warm Lambda invocation). The first caller's `timeoutMs` sets the pool's
 * defaults; each request also carries its own timeouts.
 */
export function sharedDispatcher(timeoutMs = 10_000): Dispatcher {
  agent ??= new Agent({
    connect: { timeout: Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
  });
  return agent;
}

/** Closes the shared pool (graceful shutdown, tests); the next `sharedDispatcher()` makes a new one. */
export async function closeSharedDispatcher(): Promise<void> {
  const closing = agent;
  agent = undefined;
  await closing?.close();
}
