// Secrets that straddle the cut of a shown body, at every position, for both kinds of
// authentication: through HTTP error bodies, HTML 200 bodies, token endpoint errors and thrown
// errors. Not even a 6-character piece may be shown. And every form a secret takes on the wire
// (URL-encoded, JSON-escaped, inside base64, its MD5 in either case), echoed back, is removed.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryCredentials } from '../../src/adapters/capillary/capillary-auth.js';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { BODY_SNIPPET_CHARS } from '../../src/adapters/capillary/capillary-responses.js';
import { describeError } from '../../src/domain/errors.js';
import { SecretRedactor } from '../../src/domain/redaction.js';
import { basicAuthorization } from '../support/capillary-basic-auth.js';
import { capturingLogger } from '../support/poller-fixtures.js';
import { type Behaviour, HostileCapillary, json, md5, raw } from './hostile-capillary.js';
import { expectNoSecretPieces, shownForms, type WireForm, wireForms } from './secret-pieces.js';

/** What a redacted secret reads as in logs and messages. */
const REDACTION_MARKER = '[REDACTED]';

const USERNAME = 'cut_till';
const PASSWORD = 'Kp7-Straddle-Pa55w0rd';
const CLIENT_KEY = 'cut-client-key';
const CLIENT_SECRET = 'oAuth-Cl1ent-Secret-Wq9Z';
const CUSTOMER = '424242';

let capillary: HostileCapillary;

beforeAll(async () => {
  capillary = await HostileCapillary.start();
});

afterAll(async () => {
  await capillary.close();
});

function client(credentials: CapillaryCredentials | (() => Promise<CapillaryCredentials>)) {
  const log = capturingLogger();
  return {
    log,
    client: new CapillaryClient({
      baseUrl: capillary.url,
      credentials,
      timeoutMs: 5_000,
      maxAttempts: 1,
      requestsPerSecond: 10_000,
      logger: log.logger,
    }),
  };
}

/** Everything a failed poll shows: its message, reason and the client's log lines. */
async function failureText(
  subject: ReturnType<typeof client>,
  customerId = CUSTOMER,
): Promise<string> {
  const error = await subject.client.fetchEvents({ customerId, scope: 'default' }).then(
    () => undefined,
    (thrown: unknown) => thrown as Error & { reason?: string },
  );
  expect(error, 'the poll must fail').toBeDefined();
  return `${describeError(error)}\n${error?.reason ?? ''}\n${subject.log.text()}`;
}

/**
 * Padding that puts `secret` across the cut at every position: from ending just before the cut
 * to starting just after it. The shown text starts with `prefix`, which counts.
 */
function straddling(secret: string, prefix: string): string[] {
  const bodies: string[] = [];
  for (
    let start = BODY_SNIPPET_CHARS - secret.length - 1;
    start <= BODY_SNIPPET_CHARS + 1;
    start++
  ) {
    const padding = '.'.repeat(Math.max(0, start - prefix.length));
    bodies.push(`${prefix}${padding}${secret} and the rest of the page`);
    // The same secret already cut short by the server (an echo that truncates), across the cut:
    // whole-text redaction cannot match it, only the rule for a secret's start at the cut can.
    if (start + secret.length - 1 > BODY_SNIPPET_CHARS) {
      bodies.push(`${prefix}${padding}${secret.slice(0, -1)} and the rest of the page`);
    }
  }
  return bodies;
}

const BODY_KINDS: { name: string; answer: (body: string) => Behaviour; prefix: string }[] = [
  { name: 'an HTTP 400 text body', prefix: '', answer: (body) => raw(400, body) },
  {
    name: 'an HTTP 400 JSON error message',
    prefix: '',
    answer: (body) => json(400, { message: body }),
  },
  {
    name: 'an HTML 200 body',
    prefix: '<p>',
    answer: (body) => raw(200, body, { 'content-type': 'text/html' }),
  },
];

/**
 * Each secret straddles the cut of `kind`'s body at every position: the failure shows the body
 * (its padding) and no piece of any secret. Returns how many bodies were shown.
 */
async function expectCleanAtEveryCut(
  subject: ReturnType<typeof client>,
  kind: (typeof BODY_KINDS)[number],
  secrets: string[],
): Promise<number> {
  let shown = 0;
  for (const secret of secrets) {
    for (const body of straddling(secret, kind.prefix)) {
      capillary.on(CUSTOMER, kind.answer(body));
      const text = await failureText(subject);
      expect(text).toContain('.....');
      expectNoSecretPieces(text, secrets);
      shown++;
    }
  }
  return shown;
}

describe('Basic credentials: the password, its MD5 and the Basic value, cut anywhere', () => {
  const basic = basicAuthorization(USERNAME, PASSWORD).slice('Basic '.length);
  const secrets = [PASSWORD, md5(PASSWORD), basic];

  for (const kind of BODY_KINDS) {
    it(`through ${kind.name}`, async () => {
      const subject = client({ kind: 'basic', username: USERNAME, password: PASSWORD });
      const shown = await expectCleanAtEveryCut(subject, kind, secrets);
      expect(shown).toBeGreaterThan(100);
    });
  }

  it('through an error thrown while loading the credentials again', async () => {
    let loads = 0;
    const log = capturingLogger();
    const reloading = new CapillaryClient({
      baseUrl: capillary.url,
      // The first load succeeds (the client learns the secrets); the reload throws them back.
      credentials: async () => {
        loads++;
        if (loads === 1) return { kind: 'basic', username: USERNAME, password: PASSWORD };
        throw new Error(
          `secret JSON {"password":"${PASSWORD}","md5":"${md5(PASSWORD)}"} is invalid`,
        );
      },
      credentialsMaxAgeMs: 0,
      timeoutMs: 5_000,
      maxAttempts: 1,
      requestsPerSecond: 10_000,
      logger: log.logger,
    });
    capillary.on(CUSTOMER, json(200, { data: [], errors: [] }));
    await reloading.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    const text = await failureText({ client: reloading, log });
    expect(text).toContain('is invalid');
    expectNoSecretPieces(text, secrets);
  });
});

describe('OAuth credentials: the client secret and the token, cut anywhere', () => {
  const credentials: CapillaryCredentials = {
    kind: 'oauth',
    clientKey: CLIENT_KEY,
    clientSecret: CLIENT_SECRET,
  };

  for (const kind of BODY_KINDS) {
    it(`through ${kind.name}`, async () => {
      const subject = client(credentials);
      capillary.on(CUSTOMER, json(200, { data: [], errors: [] }));
      await subject.client.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
      const token = capillary.issuedTokens.at(-1) as string;
      await expectCleanAtEveryCut(subject, kind, [CLIENT_SECRET, token]);
    });
  }

  it('through token endpoint errors', async () => {
    for (const body of straddling(CLIENT_SECRET, '')) {
      capillary.onToken(raw(401, body));
      const text = await failureText(client(credentials));
      expect(text).toContain('OAuth token generation failed');
      expectNoSecretPieces(text, [CLIENT_SECRET]);
    }
    for (const body of straddling(CLIENT_SECRET, '<html>')) {
      capillary.onToken(raw(200, body, { 'content-type': 'text/html' }));
      const text = await failureText(client(credentials));
      expect(text).toContain('token response: the body is HTML');
      expectNoSecretPieces(text, [CLIENT_SECRET]);
    }
    capillary.onToken(undefined);
  });
});

describe('every form a secret takes on the wire, echoed back', () => {
  // Characters that URL-encoding and JSON-escaping both change, and one outside ASCII.
  const password = 'Echo "pa$$" & w/ð+rd\\1';
  const username = 'echo_till';

  /** Each form echoed in a 500 text body and in a 400 JSON message: none is shown. */
  async function expectNoFormShown(subject: ReturnType<typeof client>, forms: WireForm[]) {
    for (const form of forms) {
      for (const answer of [
        raw(500, `Internal error for ${form.echo} (echoed)`),
        json(400, { message: `bad credentials ${form.echo}` }),
      ]) {
        capillary.on(CUSTOMER, answer);
        const text = await failureText(subject);
        expect(text, form.name).toMatch(/echoed|bad credentials/);
        expect(shownForms(text, forms), form.name).toEqual([]);
      }
    }
  }

  it('Basic: the password, username:password and username:md5(password), in every form', async () => {
    const forms = [
      ...wireForms('password', password),
      ...wireForms('username:password', `${username}:${password}`),
      ...wireForms('username:md5(password)', `${username}:${md5(password)}`),
    ];
    expect(forms).toHaveLength(24);
    const subject = client({ kind: 'basic', username, password });
    await expectNoFormShown(subject, forms);
    // The text around each echo is still shown: only the secret goes.
    capillary.on(CUSTOMER, raw(500, `Internal error for ${encodeURIComponent(password)} (echoed)`));
    expect(await failureText(subject)).toContain(`Internal error for ${REDACTION_MARKER} (echoed)`);
  });

  it('OAuth: the client secret and the token, in every form', async () => {
    const subject = client({ kind: 'oauth', clientKey: CLIENT_KEY, clientSecret: password });
    capillary.on(CUSTOMER, json(200, { data: [], errors: [] }));
    await subject.client.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    const token = capillary.issuedTokens.at(-1) as string;
    await expectNoFormShown(subject, [
      ...wireForms('client secret', password),
      ...wireForms('token', token),
    ]);
  });

  it('any secret, in any form, anywhere in any text (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 40, unit: 'binary' }),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        (secret, before, after) => {
          const redactor = new SecretRedactor();
          redactor.add(secret);
          for (const form of wireForms('secret', secret)) {
            fc.pre(!REDACTION_MARKER.includes(form.secretPart));
            const shown = redactor.redact(`${before}${form.echo}${after}`);
            expect(shown.includes(form.secretPart), form.name).toBe(false);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
