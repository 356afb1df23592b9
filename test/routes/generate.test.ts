import t from 'tap';
import { OPERATOR_KEY, buildApp } from '../helper.ts';

function post(app: Awaited<ReturnType<typeof buildApp>>, payload: unknown, key = OPERATOR_KEY, workspace = 'ws-1') {
  return app.inject({
    method: 'POST',
    url: `/v1/workspaces/${workspace}/tokens`,
    headers: { authorization: `Bearer ${key}` },
    payload: payload as object,
  });
}

t.test('an operator generates a token and gets its secrets once, not cached', async (t) => {
  const app = await buildApp(t);
  const before = Date.now();
  const response = await post(app, { userId: 'alice', name: '  nightly export  ', lifetimeDays: 30 });
  t.equal(response.statusCode, 201);
  t.equal(response.headers['cache-control'], 'no-store');
  const body = response.json();
  t.match(body, {
    name: 'nightly export',
    userId: 'alice',
    workspaceId: 'ws-1',
    status: 'active',
    token_type: 'Bearer',
    expires_in: 3600,
    client_id: 'aac-api-tokens',
    token_endpoint: 'http://localhost:8080/oauth2/token',
    lastUsedAt: null,
    disabledAt: null,
  });
  t.match(body.id, /^[0-9a-f-]{36}$/);
  t.ok(body.refresh_token.length >= 43, 'at least 256 bits of randomness');
  const lifetime = Date.parse(body.expiresAt) - Date.parse(body.createdAt);
  t.equal(lifetime, 30 * 86_400_000, 'expiresAt is createdAt plus the lifetime');
  t.ok(Date.parse(body.createdAt) >= before - 1000);

  const audit = await app.db.selectFrom('audit_events').selectAll().where('token_id', '=', body.id).execute();
  t.equal(audit.length, 1);
  t.match(audit[0], { action: 'token.generated', actor_type: 'operator', workspace_id: 'ws-1' });
});

t.test('lifetimes outside 1 to 365 whole days are refused with a clear message', async (t) => {
  const app = await buildApp(t);
  for (const lifetimeDays of [0, 366, 1.5, '30', null, -1]) {
    const response = await post(app, { userId: 'alice', name: 'x', lifetimeDays });
    t.equal(response.statusCode, 400, `lifetimeDays ${JSON.stringify(lifetimeDays)}`);
    t.equal(response.json().error, 'invalid_request');
    t.match(response.json().message, /lifetimeDays/);
  }
  const missing = await post(app, { userId: 'alice', name: 'x' });
  t.equal(missing.statusCode, 400);
  t.match(missing.json().message, /lifetimeDays is required \(the token's lifetime: a whole number of days from 1 to 365\)/);

  for (const lifetimeDays of [1, 365]) {
    t.equal((await post(app, { userId: 'alice', name: 'x', lifetimeDays })).statusCode, 201, `lifetimeDays ${lifetimeDays}`);
  }
  const count = await app.db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(count.n), 2, 'nothing was stored for the refused requests');
});

t.test('names must be 1 to 100 characters after trimming', async (t) => {
  const app = await buildApp(t);
  for (const name of ['', '   ', 'x'.repeat(101), 'tab\there', 42]) {
    const response = await post(app, { userId: 'alice', name, lifetimeDays: 30 });
    t.equal(response.statusCode, 400, `name ${JSON.stringify(name)}`);
    t.match(response.json().message, /name/);
  }
  t.equal((await post(app, { userId: 'alice', name: 'é'.repeat(100), lifetimeDays: 30 })).statusCode, 201);
  t.equal((await post(app, { userId: 'alice', name: '🔑'.repeat(100), lifetimeDays: 30 })).statusCode, 201, '100 characters, not 100 UTF-16 units');
});

t.test('unknown fields, a missing owner and malformed ids are refused', async (t) => {
  const app = await buildApp(t);
  const extra = await post(app, { userId: 'alice', name: 'x', lifetimeDays: 30, scope: 'admin' });
  t.equal(extra.statusCode, 400);
  t.match(extra.json().message, /scope is not a field/);

  const owner = await post(app, { name: 'x', lifetimeDays: 30 });
  t.equal(owner.statusCode, 400);
  t.match(owner.json().message, /userId is required/);

  t.equal((await post(app, { userId: "alice'; DROP TABLE api_tokens; --", name: 'x', lifetimeDays: 30 })).statusCode, 400);
  t.equal((await post(app, { userId: 'alice', name: 'x', lifetimeDays: 30 }, OPERATOR_KEY, 'ws%20one')).statusCode, 400);
  const text = await post(app, 'not json at all');
  t.equal(text.statusCode, 415);
  t.equal(text.json().error, 'unsupported_media_type');
  const broken = await app.inject({
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: { authorization: `Bearer ${OPERATOR_KEY}`, 'content-type': 'application/json' },
    payload: '{"userId": "alice",',
  });
  t.equal(broken.statusCode, 400);
  t.equal(broken.json().error, 'invalid_request');
});

t.test('generation needs a valid operator key', async (t) => {
  const app = await buildApp(t);
  const none = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens', payload: { userId: 'a', name: 'x', lifetimeDays: 1 } });
  t.equal(none.statusCode, 401);
  t.match(none.headers['www-authenticate'], /^Bearer realm=/);

  const wrong = await post(app, { userId: 'alice', name: 'x', lifetimeDays: 30 }, 'aacop_wrong');
  t.equal(wrong.statusCode, 401);
  t.match(wrong.headers['www-authenticate'], /error="invalid_token"/);
  t.notMatch(wrong.body, /aacop_wrong/, 'the credential is not echoed');
});
