import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { sql } from 'kysely';
import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp, generate, refresh } from '../helper.ts';

const operator = bearer(OPERATOR_KEY);

t.test('disable is irreversible: refresh fails, while the last access token runs out by itself', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  const last = (await refresh(app, token.refresh_token)).json();

  const response = await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${token.id}/disable`, headers: operator, payload: { reason: 'laptop stolen' } });
  t.equal(response.statusCode, 200);
  t.match(response.json(), { status: 'disabled', disabledReason: 'laptop stolen', disabledBy: /^operator:/ });
  t.type(response.json().disabledAt, 'string');

  const after = await refresh(app, last.refresh_token);
  t.equal(after.statusCode, 400);
  t.equal(after.json().error, 'invalid_grant');

  const jwks = createLocalJWKSet((await app.inject('/oauth2/jwks')).json());
  const { payload } = await jwtVerify(last.access_token, jwks, { typ: 'at+jwt' });
  t.equal(payload.token_id, token.id, 'the access token issued before the disable still verifies until it expires');

  // Nothing brings it back: no enable route, and disabling again changes nothing.
  for (const url of [`/v1/workspaces/ws-1/tokens/${token.id}/enable`, `/v1/workspaces/ws-1/tokens/${token.id}/activate`]) {
    t.equal((await app.inject({ method: 'POST', url, headers: operator })).statusCode, 404);
  }
  const again = await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${token.id}/disable`, headers: operator, payload: { reason: 'other' } });
  t.equal(again.json().disabledReason, 'laptop stolen', 'the first disable stands');
  const smuggled = await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${token.id}/disable`, headers: operator, payload: { status: 'active' } });
  t.equal(smuggled.statusCode, 400);
  t.equal((await refresh(app, last.refresh_token)).statusCode, 400);
});

t.test('delete removes the token from every list and stops its refresh token', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  const kept = await generate(app, { name: 'kept' });
  const removed = await app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${token.id}`, headers: operator });
  t.equal(removed.statusCode, 204);
  t.equal(removed.body, '');

  const list = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: operator });
  t.same(list.json().items.map((item: { id: string }) => item.id), [kept.id]);
  t.equal((await refresh(app, token.refresh_token)).statusCode, 400);
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${token.id}`, headers: operator })).statusCode, 404, 'deleting twice finds nothing');
  const audit = await app.db.selectFrom('audit_events').select('action').where('token_id', '=', token.id).orderBy('id').execute();
  t.same(audit.map((e) => e.action), ['token.generated', 'token.deleted']);
});

t.test('bulk disable of 500 ids gives a result per id', async (t) => {
  const app = await buildApp(t);
  const tokens = await Promise.all(Array.from({ length: 498 }, (_, i) => generate(app, { userId: `user-${i % 7}`, name: `bulk ${i}` })));
  const preDisabled = tokens[0]!.id;
  await app.tokens.disable({ workspaceId: 'ws-1' }, [preDisabled], { type: 'operator', id: 'test' });
  const unknown = [randomUUID(), randomUUID()];
  const ids = [...tokens.map((token) => token.id), ...unknown];
  t.equal(ids.length, 500);

  const response = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens/disable', headers: operator, payload: { ids } });
  t.equal(response.statusCode, 200);
  const results = new Map(response.json().results.map((r: { id: string; result: string }) => [r.id, r.result]));
  t.equal(results.size, 500);
  t.equal(results.get(preDisabled), 'already_disabled');
  for (const id of unknown) t.equal(results.get(id), 'not_found');
  t.equal([...results.values()].filter((r) => r === 'disabled').length, 497);
  const live = await app.db.selectFrom('api_tokens').select('id').where('disabled_at', 'is', null).execute();
  t.equal(live.length, 0);
  const events = await app.db.selectFrom('audit_events').select('id').where('action', '=', 'token.disabled').execute();
  t.equal(events.length, 498, 'one audit event per token disabled');
});

t.test('bulk delete collapses duplicate ids and reports other workspaces\' ids as not found', async (t) => {
  const app = await buildApp(t);
  const mine = await generate(app);
  const theirs = await generate(app, { workspaceId: 'ws-2' });
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens/delete',
    headers: operator,
    payload: { ids: [mine.id, mine.id, theirs.id] },
  });
  t.same(response.json().results, [{ id: mine.id, result: 'deleted' }, { id: theirs.id, result: 'not_found' }]);
  t.equal((await refresh(app, theirs.refresh_token)).statusCode, 200, 'the other workspace\'s token is untouched');
});

t.test('bulk requests are bounded and validated', async (t) => {
  const app = await buildApp(t);
  const cases: Array<[unknown, RegExp]> = [
    [{ ids: [] }, /ids must NOT have fewer than 1 items/],
    [{ ids: Array.from({ length: 501 }, () => randomUUID()) }, /ids must NOT have more than 500 items/],
    [{ ids: ['not-a-uuid'] }, /ids\.0 must match format "uuid"/],
    [{ ids: ["1' OR '1'='1"] }, /must match format "uuid"/],
    [{}, /ids is required/],
  ];
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens/disable', headers: operator, payload: payload as object });
    t.equal(response.statusCode, 400);
    t.match(response.json().message, message);
  }
});

t.test('a bulk disable commits its tokens and their audit events together', async (t) => {
  const app = await buildApp(t);
  const tokens = await Promise.all(Array.from({ length: 300 }, (_, i) => generate(app, { userId: `u${i % 5}`, name: `t${i}` })));
  const observed = new Set<string>();
  let done = false;
  const observer = (async () => {
    while (!done) {
      // One statement, so both counts come from one snapshot.
      const { rows: [counts] } = await sql<{ disabled: string; events: string }>`
        SELECT (SELECT count(*) FROM api_tokens WHERE disabled_at IS NOT NULL) AS disabled,
               (SELECT count(*) FROM audit_events WHERE action = 'token.disabled') AS events`.execute(app.db);
      observed.add(`${counts!.disabled}/${counts!.events}`);
      // Give the request its turns: on the embedded database a query may resolve without
      // ever leaving the microtask queue.
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  await app.inject({ method: 'POST', url: '/v1/workspaces/ws-1/tokens/disable', headers: operator, payload: { ids: tokens.map((x) => x.id) } });
  done = true;
  await observer;
  for (const state of observed) t.ok(state === '0/0' || state === '300/300', `observed ${state}`);
});
