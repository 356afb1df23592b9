import t, { type Test } from 'tap';
import { OPERATOR_KEY, bearer, buildApp, generate, identity } from '../helper.ts';

/*
 * Who sees what: a user their own tokens, a workspace admin every token of the workspace,
 * an operator every workspace; a stranger learns nothing (404), and a caller who knows
 * something exists but may not do it gets 403.
 */

async function setup(t: Test) {
  const app = await buildApp(t, { devIdentity: true });
  const alice = await identity(app, 'alice', 'ws-1');
  const bob = await identity(app, 'bob', 'ws-1');
  const admin = await identity(app, 'carol', 'ws-1', true);
  const mallory = await identity(app, 'mallory', 'ws-2', true);
  const aliceToken = await generate(app, { workspaceId: 'ws-1', userId: 'alice', name: 'alice laptop' });
  const bobToken = await generate(app, { workspaceId: 'ws-1', userId: 'bob', name: 'bob ci' });
  const otherToken = await generate(app, { workspaceId: 'ws-2', userId: 'mallory', name: 'elsewhere' });
  return { app, alice, bob, admin, mallory, aliceToken, bobToken, otherToken };
}

const ids = (body: { items: Array<{ id: string }> }) => body.items.map((item) => item.id).sort();

t.test('a user lists and reads only their own tokens', async (t) => {
  const { app, alice, aliceToken, bobToken } = await setup(t);
  const list = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(alice) });
  t.equal(list.statusCode, 200);
  t.same(ids(list.json()), [aliceToken.id]);
  t.equal((await app.inject({ url: `/v1/workspaces/ws-1/tokens/${aliceToken.id}`, headers: bearer(alice) })).statusCode, 200);
  t.equal((await app.inject({ url: `/v1/workspaces/ws-1/tokens/${bobToken.id}`, headers: bearer(alice) })).statusCode, 404);
  const others = await app.inject({ url: '/v1/workspaces/ws-1/tokens?userId=bob', headers: bearer(alice) });
  t.equal(others.statusCode, 403, 'asking for another user\'s tokens is refused as such');
});

t.test('a user cannot disable or delete another user\'s token', async (t) => {
  const { app, alice, bobToken } = await setup(t);
  const disable = await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${bobToken.id}/disable`, headers: bearer(alice) });
  t.equal(disable.statusCode, 404);
  const remove = await app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${bobToken.id}`, headers: bearer(alice) });
  t.equal(remove.statusCode, 404);
  const bulk = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens/disable', headers: bearer(alice), payload: { ids: [bobToken.id] } });
  t.same(bulk.json().results, [{ id: bobToken.id, result: 'not_found' }]);
  const row = await app.db.selectFrom('api_tokens').selectAll().where('id', '=', bobToken.id).executeTakeFirstOrThrow();
  t.equal(row.disabled_at, null);
  t.equal(row.deleted_at, null);
});

t.test('a user generates for themselves only', async (t) => {
  const { app, alice } = await setup(t);
  const own = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens', headers: bearer(alice), payload: { name: 'mine', lifetimeDays: 5 } });
  t.equal(own.statusCode, 201);
  t.equal(own.json().userId, 'alice');
  const forBob = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens', headers: bearer(alice), payload: { userId: 'bob', name: 'x', lifetimeDays: 5 } });
  t.equal(forBob.statusCode, 403);
});

t.test('a workspace admin sees and manages every token of the workspace, and no other', async (t) => {
  const { app, admin, aliceToken, bobToken, otherToken } = await setup(t);
  const list = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(admin) });
  t.same(ids(list.json()), [aliceToken.id, bobToken.id].sort());
  const disable = await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${bobToken.id}/disable`, headers: bearer(admin) });
  t.equal(disable.statusCode, 200);
  t.match(disable.json(), { status: 'disabled', disabledBy: 'user:carol', disabledReason: 'user_request' });

  t.equal((await app.inject({ url: '/v1/workspaces/ws-2/tokens', headers: bearer(admin) })).statusCode, 404);
  t.equal((await app.inject({ url: `/v1/workspaces/ws-2/tokens/${otherToken.id}`, headers: bearer(admin) })).statusCode, 404);
  t.equal((await app.inject({ url: `/v1/workspaces/ws-1/tokens/${otherToken.id}`, headers: bearer(admin) })).statusCode, 404,
    'a token of another workspace is not found through this one either');
});

t.test('a stranger from another workspace can neither see, disable nor delete', async (t) => {
  const { app, mallory, aliceToken } = await setup(t);
  const attempts = [
    app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(mallory) }),
    app.inject({ url: `/v1/workspaces/ws-1/tokens/${aliceToken.id}`, headers: bearer(mallory) }),
    app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${aliceToken.id}/disable`, headers: bearer(mallory) }),
    app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${aliceToken.id}`, headers: bearer(mallory) }),
    app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens/delete', headers: bearer(mallory), payload: { ids: [aliceToken.id] } }),
    app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens', headers: bearer(mallory), payload: { name: 'x', lifetimeDays: 1 } }),
    app.inject({ url: '/v1/workspaces/ws-1/audit-events', headers: bearer(mallory) }),
  ];
  for (const response of await Promise.all(attempts)) t.equal(response.statusCode, 404);
  // The same through mallory's own workspace, naming alice's token id:
  const sideways = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-2/tokens/delete', headers: bearer(mallory), payload: { ids: [aliceToken.id] } });
  t.same(sideways.json().results, [{ id: aliceToken.id, result: 'not_found' }]);
  const row = await app.db.selectFrom('api_tokens').selectAll().where('id', '=', aliceToken.id).executeTakeFirstOrThrow();
  t.equal(row.deleted_at, null);
  t.equal(row.disabled_at, null);
});

t.test('an operator acts in any workspace', async (t) => {
  const { app, aliceToken, otherToken } = await setup(t);
  const one = await app.inject({ url: '/v1/workspaces/ws-2/tokens', headers: bearer(OPERATOR_KEY) });
  t.same(ids(one.json()), [otherToken.id]);
  const remove = await app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${aliceToken.id}`, headers: bearer(OPERATOR_KEY) });
  t.equal(remove.statusCode, 204);
  t.equal((await app.inject({ url: `/v1/workspaces/ws-1/tokens/${aliceToken.id}`, headers: bearer(OPERATOR_KEY) })).statusCode, 404, 'a deleted token is gone');
});

t.test('audit events are for workspace admins and operators', async (t) => {
  const { app, alice, admin } = await setup(t);
  t.equal((await app.inject({ url: '/v1/workspaces/ws-1/audit-events', headers: bearer(alice) })).statusCode, 403);
  t.equal((await app.inject({ url: '/v1/workspaces/ws-1/audit-events', headers: bearer(admin) })).statusCode, 200);
  t.equal((await app.inject({ url: '/v1/workspaces/ws-1/audit-events', headers: bearer(OPERATOR_KEY) })).statusCode, 200);
});

t.test('no credential, or a malformed one, is a 401 with a challenge', async (t) => {
  const { app } = await setup(t);
  for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer' }, { authorization: 'Bearer a b' }]) {
    const response = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers });
    t.equal(response.statusCode, 401, JSON.stringify(headers));
    t.match(response.headers['www-authenticate'], /^Bearer realm="aac-token-service"/);
    t.equal(response.json().error, 'unauthorized');
  }
});
