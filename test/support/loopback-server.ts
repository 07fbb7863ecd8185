// The HTTP plumbing the test doubles share: a server on 127.0.0.1 with a free port.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Starts a server whose requests go to `handler()`'s result (resolved late, so a double can be
 * built around the server). A handler that throws answers 500 with the error.
 */
export async function startLoopbackServer(
  handler: () => Handler | undefined,
): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    handler()?.(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** Closes the server at once, dropping kept-alive connections. */
export async function closeLoopbackServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `body` as JSON, its length set; `headers` (the content type first) may override it. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-length': Buffer.byteLength(payload), ...headers });
  response.end(payload);
}

/** An answer in the AWS JSON protocol (`1.0` for SQS, `1.1` for EventBridge). */
export function sendAwsJson(
  response: ServerResponse,
  protocol: '1.0' | '1.1',
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, body, {
    'Content-Type': `application/x-amz-json-${protocol}`,
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
}
