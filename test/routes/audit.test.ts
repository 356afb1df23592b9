import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp, generate, identity, refresh } from '../helper.ts';

t.test('the audit log tells who generated, disabled and deleted which token, newest first', async (t) => {
  const app = await buildApp(t, { devIdentity: true });
  const alice = await identity(app, 'alice', 'ws-1');
  const created = await app.inject({
    method: 'POST', url: '/v1/workspaces/ws-1/tokens', headers: bearer(alice), payload: { name: 'laptop', lifetimeDays: 3 },
    remoteAddress: '203.0.113.7',
  });
  const token = created.json();
  await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${token.id}/disable`, headers: bearer(alice) });
  await app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${token.id}`, headers: bearer(OPERATOR_KEY) });

  const response = await app.inject({ url: '/v1/workspaces/ws-1/audit-events', headers: bearer(OPERATOR_KEY) });
  t.equal(response.statusCode, 200);
  const events = response.json().items;
  t.same(events.map((e: { action: string }) => e.action), ['token.deleted', 'token.disabled', 'token.generated']);
  t.match(events[2], { tokenId: token.id, actor: { type: 'user', id: 'alice' }, clientIp: '203.0.113.7', details: { name: 'laptop', lifetimeDays: 3 } });
  const key = await app.db.selectFrom('operator_keys').select('id').executeTakeFirstOrThrow();
  t.match(events[0].actor, { type: 'operator', id: key.id }, 'an operator is named by the key used');
  t.notOk(response.body.includes(token.refresh_token), 'no secret in the audit log');
});

t.test('reuse is audited, and the log pages by cursor and filters by token', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 0 });
  const stolen = await generate(app, { name: 'stolen' });
  const other = await generate(app, { name: 'other' });
  await refresh(app, stolen.refresh_token);
  await refresh(app, stolen.refresh_token);

  const byToken = await app.inject({ url: `/v1/workspaces/ws-1/audit-events?tokenId=${stolen.id}`, headers: bearer(OPERATOR_KEY) });
  t.same(byToken.json().items.map((e: { action: string }) => e.action), ['reuse_detected', 'token.generated']);
  t.match(byToken.json().items[0], { actor: { type: 'system', id: null } });

  const first = await app.inject({ url: '/v1/workspaces/ws-1/audit-events?limit=2', headers: bearer(OPERATOR_KEY) });
  const page = first.json();
  t.equal(page.items.length, 2);
  t.type(page.nextCursor, 'string');
  const second = await app.inject({ url: `/v1/workspaces/ws-1/audit-events?limit=2&cursor=${page.nextCursor}`, headers: bearer(OPERATOR_KEY) });
  t.equal(second.json().items.length, 1);
  t.equal(second.json().nextCursor, null);
  const all = [...page.items, ...second.json().items].map((e: { tokenId: string }) => e.tokenId);
  t.same(all.sort(), [stolen.id, stolen.id, other.id].sort());
});
