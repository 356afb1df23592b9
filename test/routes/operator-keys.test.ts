import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp, identity } from '../helper.ts';

t.test('operators create, list and revoke operator keys; a revoked key stops working', async (t) => {
  const app = await buildApp(t);
  const created = await app.inject({ method: 'POST', url: '/v1/operator-keys', headers: bearer(OPERATOR_KEY), payload: { name: 'deploy pipeline' } });
  t.equal(created.statusCode, 201);
  t.equal(created.headers['cache-control'], 'no-store');
  const { id, key } = created.json();
  t.match(key, /^aacop_[\w-]{43}$/);

  const list = await app.inject({ url: '/v1/operator-keys', headers: bearer(key) });
  t.equal(list.statusCode, 200, 'the new key works');
  t.ok(list.json().items.some((item: { id: string; name: string }) => item.id === id && item.name === 'deploy pipeline'));
  t.notOk(list.body.includes(key), 'keys are never listed');

  const revoked = await app.inject({ method: 'POST', url: `/v1/operator-keys/${id}/revoke`, headers: bearer(OPERATOR_KEY) });
  t.equal(revoked.statusCode, 200);
  t.type(revoked.json().revokedAt, 'string');
  t.equal((await app.inject({ url: '/v1/operator-keys', headers: bearer(key) })).statusCode, 401);
});

t.test('the last live operator key cannot be revoked', async (t) => {
  const app = await buildApp(t);
  const keys = (await app.inject({ url: '/v1/operator-keys', headers: bearer(OPERATOR_KEY) })).json().items
    .filter((item: { revokedAt: string | null }) => item.revokedAt === null);
  t.equal(keys.length, 1);
  const response = await app.inject({ method: 'POST', url: `/v1/operator-keys/${keys[0].id}/revoke`, headers: bearer(OPERATOR_KEY) });
  t.equal(response.statusCode, 409);
  t.match(response.json().message, /last live operator key/);
});

t.test('users may not manage operator keys', async (t) => {
  const app = await buildApp(t, { devIdentity: true });
  const admin = await identity(app, 'carol', 'ws-1', true);
  t.equal((await app.inject({ url: '/v1/operator-keys', headers: bearer(admin) })).statusCode, 403);
  t.equal((await app.inject({ method: 'POST', url: '/v1/operator-keys', headers: bearer(admin), payload: { name: 'x' } })).statusCode, 403);
  const mint = await app.inject({ method: 'POST', url: '/v1/dev/identity-tokens', headers: bearer(admin), payload: { userId: 'carol', workspaceId: 'ws-1', admin: true } });
  t.equal(mint.statusCode, 403, 'nor mint identity tokens');
});

t.test('operators mint development identity tokens only when the development provider is on', async (t) => {
  const dev = await buildApp(t, { devIdentity: true });
  const minted = await dev.inject({ method: 'POST', url: '/v1/dev/identity-tokens', headers: bearer(OPERATOR_KEY), payload: { userId: 'alice', workspaceId: 'ws-1' } });
  t.equal(minted.statusCode, 201);
  const list = await dev.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(minted.json().identity_token) });
  t.equal(list.statusCode, 200, 'the minted token is accepted');

  const prod = await buildApp(t);
  t.equal((await prod.inject({ method: 'POST', url: '/v1/dev/identity-tokens', headers: bearer(OPERATOR_KEY), payload: { userId: 'alice', workspaceId: 'ws-1' } })).statusCode, 404);
});
