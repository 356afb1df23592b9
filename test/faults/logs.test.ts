import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import t, { type Test } from 'tap';
import app from '../../src/app.ts';
import { loggerOptions } from '../../src/logger.ts';
import { serverOptions } from '../../src/server-options.ts';
import { OPERATOR_KEY, bearer, createTestDatabase, testConfig } from '../helper.ts';

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  req?: { url?: string };
  res?: unknown;
  [field: string]: unknown;
}

/** The app as server.ts builds it, logging everything at `trace` into `lines`. */
async function loggingApp(t: Test, lines: string[]): Promise<FastifyInstance> {
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const database = await createTestDatabase(t);
  const config = testConfig(database, { devIdentity: true, logLevel: 'trace' });
  const server = Fastify(serverOptions(config, loggerOptions('trace', capture)));
  // The app opens its own database, so start-up (migrations, bootstrap key, signing keys) logs too.
  await server.register(app, { config });
  await server.ready();
  t.teardown(() => server.close());
  return server;
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

t.test('a full flow at trace level logs no secret, and every request line carries the X-Request-Id sent', async (t) => {
  const lines: string[] = [];
  const server = await loggingApp(t, lines);
  const secrets = new Map<string, string>([['the operator key', OPERATOR_KEY]]);
  const sentIds: string[] = [];

  const send = async (what: string, options: InjectOptions & { headers?: Record<string, string> }, status: number) => {
    const id = `flow-${sentIds.length + 1}-${what.replaceAll(' ', '-')}`;
    sentIds.push(id);
    const response = await server.inject({ ...options, headers: { ...options.headers, 'x-request-id': id } });
    t.equal(response.statusCode, status, `${what} answers ${status}`);
    return response;
  };
  const keep = (what: string, body: { access_token?: string; refresh_token?: string }) => {
    if (body.access_token) secrets.set(`${what}: access token`, body.access_token);
    if (body.refresh_token) secrets.set(`${what}: refresh token`, body.refresh_token);
  };

  const generated = (await send('generation by an operator', {
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: bearer(OPERATOR_KEY),
    payload: { userId: 'alice', name: 'logged', lifetimeDays: 7 },
  }, 201)).json();
  keep('generation', generated);

  const refreshed = (await send('refresh', {
    method: 'POST',
    url: '/oauth2/token',
    ...form({ grant_type: 'refresh_token', client_id: 'aac-api-tokens', refresh_token: generated.refresh_token }),
  }, 200)).json();
  keep('refresh', refreshed);

  const identityToken = await server.devIdentity!.mint({ userId: 'bob', workspaceId: 'ws-1', admin: false, ttlSeconds: 600 });
  secrets.set('the identity token', identityToken);
  keep('generation by a user', (await send('generation by a user', {
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: bearer(identityToken),
    payload: { name: 'mine', lifetimeDays: 1 },
  }, 201)).json());

  await send('disable', {
    method: 'POST',
    url: `/v1/workspaces/ws-1/tokens/${generated.id}/disable`,
    headers: bearer(OPERATOR_KEY),
  }, 200);

  await send('refresh of a disabled token', {
    method: 'POST',
    url: '/oauth2/token',
    ...form({ grant_type: 'refresh_token', client_id: 'aac-api-tokens', refresh_token: refreshed.refresh_token }),
  }, 400);

  // JWT-shaped, so it is checked as an identity token, and forged.
  const forged = `${Buffer.from('{"alg":"ES256","kid":"x"}').toString('base64url')}.${Buffer.from('{"sub":"mallory"}').toString('base64url')}.Zm9yZ2VkLXNpZ25hdHVyZS1mb3JnZWQtc2lnbmF0dXJl`;
  secrets.set('a forged identity token', forged);
  await send('a forged identity token', { method: 'GET', url: '/v1/workspaces/ws-1/tokens', headers: bearer(forged) }, 401);

  const wrongKey = `aacop_wrong_${'w'.repeat(40)}`;
  secrets.set('a wrong operator key', wrongKey);
  await send('a wrong operator key', { method: 'GET', url: '/v1/workspaces/ws-1/tokens', headers: bearer(wrongKey) }, 401);

  // A secret in a query string, where no client should put it, still stays out of the log.
  const inQuery = secrets.get('generation by a user: refresh token')!;
  const queried = await send('a refresh token in the query string', {
    method: 'POST',
    url: `/oauth2/token?refresh_token=${inQuery}`,
    ...form({ grant_type: 'refresh_token', client_id: 'aac-api-tokens' }),
  }, 400);
  t.equal(queried.json().error, 'invalid_request');
  await send('a refresh token in the query of a management route', {
    method: 'GET',
    url: `/v1/workspaces/ws-1/tokens?refresh_token=${inQuery}`,
    headers: bearer(OPERATOR_KEY),
  }, 400);

  const keys = await server.db.selectFrom('signing_keys').select(['purpose', 'private_jwk']).execute();
  t.ok(keys.length >= 2, 'an access-token key and a development identity key are stored');
  for (const { purpose, private_jwk } of keys) {
    secrets.set(`the private part of the ${purpose} key`, (private_jwk as { d: string }).d);
  }

  const output = lines.join('');
  t.ok(lines.length > sentIds.length * 2, `${lines.length} lines captured`);
  for (const [what, secret] of secrets) {
    t.notOk(output.includes(secret), `${what} is not logged`);
    // A part is as bad as the whole: a JWT's signature, an opaque secret's first characters.
    const part = secret.split('.').length === 3 ? secret.split('.')[2]! : secret.slice(0, 16);
    t.notOk(output.includes(part), `no part of ${what} is logged`);
  }
  t.notMatch(output, /"d":/, 'no private key material');
  t.notMatch(output, /Bearer /i, 'no Authorization header value');

  const parsed = lines.map((line) => JSON.parse(line) as LogLine);
  const requestLines = parsed.filter((line) => line.req !== undefined || line.res !== undefined);
  for (const id of sentIds) {
    const own = requestLines.filter((line) => line.reqId === id);
    t.ok(own.some((line) => line.msg === 'incoming request') && own.some((line) => line.msg === 'request completed'),
      `request ${id} is logged coming in and going out under its id`);
  }
  t.same(requestLines.filter((line) => !sentIds.includes(line.reqId ?? '')), [], 'no request line without an id that was sent');
  t.same(requestLines.filter((line) => line.req?.url?.includes('?')), [], 'request URLs are logged without their query');
});

t.test('secret fields a log call hands to the logger are censored, at the top or one level down', async (t) => {
  const lines: string[] = [];
  const server = await loggingApp(t, lines);
  const secret = `s3cret-${'x'.repeat(32)}`;
  server.log.trace({ refresh_token: secret, access_token: secret, client_secret: secret }, 'top level');
  server.log.trace({ body: { refresh_token: secret, access_token: secret, client_secret: secret } }, 'a body');
  server.log.trace({ headers: { authorization: `Bearer ${secret}` } }, 'headers');
  server.log.trace({ config: { bootstrapOperatorKey: secret, operatorKey: secret } }, 'configuration');
  server.log.trace({ key: { d: secret, private_jwk: secret } }, 'a key');

  const logged = lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.level === 10);
  t.equal(logged.length, 5, 'every trace line is written');
  for (const line of logged) {
    t.notOk(JSON.stringify(line).includes(secret), `"${line.msg}" holds no secret`);
    t.match(JSON.stringify(line), /\[redacted\]/, `"${line.msg}" shows where a secret was`);
  }
});
