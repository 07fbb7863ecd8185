// OAuth 2 client credentials (RFC 6749 §4.4) for webhooks whose endpoint wants a bearer token:
// fetched with the client secret, kept until shortly before it expires.
import { request } from 'undici';
import * as z from 'zod';
import { PollerError } from '../../domain/errors.js';
import { decodeUtf8, readCappedBody } from '../capillary/capillary-transport.js';
import { webhookDispatcher } from './webhook-sender.js';

const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().optional(),
});

/** A token is renewed this long before it expires, so none expires in flight. */
const RENEW_BEFORE_MS = 60_000;
/** Lifetime assumed when the server does not say. */
const DEFAULT_LIFETIME_MS = 5 * 60_000;
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/** The token endpoint refused or answered nonsense. Never shows the secret or the token. */
class OAuthTokenError extends PollerError {
  constructor(tokenUrl: string, problem: string) {
    super(
      `OAuth token from ${new URL(tokenUrl).origin}: ${problem}`,
      'check the webhook auth tokenUrl, clientId, scope and the client secret in its secret',
    );
  }
}

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string | undefined;
  timeoutMs: number;
}

/** Bearer tokens per token URL and client, reused across invocations of a warm container. */
export class ClientCredentialsTokens {
  readonly #tokens = new Map<string, { token: string; renewAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async token(credentials: ClientCredentials): Promise<string> {
    const key = `${credentials.tokenUrl} ${credentials.clientId} ${credentials.scope ?? ''}`;
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.renewAt > this.now()) return cached.token;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      ...(credentials.scope === undefined ? {} : { scope: credentials.scope }),
    });
    let status: number;
    let text: string | undefined;
    try {
      const response = await request(new URL(credentials.tokenUrl), {
        dispatcher: webhookDispatcher(),
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(credentials.timeoutMs),
      });
      status = response.statusCode;
      const read = await readCappedBody(response.body, response.headers, MAX_TOKEN_RESPONSE_BYTES);
      text = read.kind === 'complete' ? decodeUtf8(read.bytes) : undefined;
    } catch (error) {
      throw new OAuthTokenError(credentials.tokenUrl, `request failed (${(error as Error).name})`);
    }
    if (status < 200 || status >= 300) {
      throw new OAuthTokenError(credentials.tokenUrl, `HTTP ${status}`);
    }
    let parsed: z.infer<typeof TokenResponseSchema>;
    try {
      parsed = TokenResponseSchema.parse(JSON.parse(text ?? ''));
    } catch {
      throw new OAuthTokenError(credentials.tokenUrl, 'the answer has no access_token');
    }
    const lifetime =
      parsed.expires_in === undefined ? DEFAULT_LIFETIME_MS : parsed.expires_in * 1000;
    this.#tokens.set(key, {
      token: parsed.access_token,
      renewAt: this.now() + Math.max(0, lifetime - RENEW_BEFORE_MS),
    });
    return parsed.access_token;
  }
}
