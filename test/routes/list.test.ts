import { sql } from 'kysely';
import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp, generate, refresh } from '../helper.ts';

const operator = bearer(OPERATOR_KEY);

t.test('pages are stable while tokens are generated between them', async (t) => {
  const app = await buildApp(t);
  const first = [];
  for (let i = 0; i < 12; i++) first.push(await generate(app, { name: `old ${i}` }));

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : '';
    const response = await app.inject({ url: `/v1/workspaces/ws-1/tokens?limit=5${query}`, headers: operator });
    t.equal(response.statusCode, 200);
    const body = response.json();
    seen.push(...body.items.map((item: { id: string }) => item.id));
    cursor = body.nextCursor;
    pages++;
    await generate(app, { name: `new during page ${pages}` });
  } while (cursor);

  t.equal(pages, 3);
  t.same(seen, first.map((token) => token.id).reverse(), 'every old token once, newest first, none of the new ones');
});

t.test('filters combine: owner, status and a part of the name', async (t) => {
  const app = await buildApp(t);
  const aliceExport = await generate(app, { userId: 'alice', name: 'Nightly Export' });
  const aliceOld = await generate(app, { userId: 'alice', name: 'old export' });
  const aliceDisabled = await generate(app, { userId: 'alice', name: 'export 2' });
  await generate(app, { userId: 'bob', name: 'nightly export' });
  await app.tokens.disable({ workspaceId: 'ws-1' }, [aliceDisabled.id], { type: 'operator', id: 'test' });
  await app.db.updateTable('api_tokens').set({ created_at: sql`now() - interval '3 days'`, expires_at: sql`now() - interval '1 day'` }).where('id', '=', aliceOld.id).execute();

  const list = async (query: string) => (await app.inject({ url: `/v1/workspaces/ws-1/tokens?${query}`, headers: operator }))
    .json().items.map((item: { id: string }) => item.id);
  t.same(await list('userId=alice&status=active&name=EXPORT'), [aliceExport.id]);
  t.same(await list('userId=alice&status=expired'), [aliceOld.id]);
  t.same(await list('userId=alice&status=disabled&name=export'), [aliceDisabled.id]);
  t.same(await list('userId=bob&status=disabled'), []);
  t.same(await list('name=%25'), [], 'a % in the search is a character, not a wildcard');

  const expired = (await app.inject({ url: `/v1/workspaces/ws-1/tokens/${aliceOld.id}`, headers: operator })).json();
  t.equal(expired.status, 'expired');
});

t.test('listing answers never hold a secret', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  const body = (await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: operator })).body;
  t.notOk(body.includes(token.refresh_token));
  t.notOk(body.includes(token.access_token));
  t.same(Object.keys(JSON.parse(body).items[0]).sort(), [
    'createdAt', 'disabledAt', 'disabledBy', 'disabledReason', 'expiresAt', 'id', 'lastUsedAt', 'name', 'status', 'userId', 'workspaceId',
  ]);
});

t.test('lastUsedAt shows the last refresh', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  const before = (await app.inject({ url: `/v1/workspaces/ws-1/tokens/${token.id}`, headers: operator })).json();
  t.equal(before.lastUsedAt, null);
  await refresh(app, token.refresh_token);
  const after = (await app.inject({ url: `/v1/workspaces/ws-1/tokens/${token.id}`, headers: operator })).json();
  t.type(after.lastUsedAt, 'string');
});

t.test('bad list parameters are refused with a message', async (t) => {
  const app = await buildApp(t);
  const cases: Array<[string, RegExp]> = [
    ['limit=0', /limit must be >= 1/],
    ['limit=201', /limit must be <= 200/],
    ['limit=ten', /limit must be integer/],
    ['status=revoked', /status/],
    ['cursor=garbage', /cursor is not valid/],
    ['sort=name', /sort is not a field/],
  ];
  for (const [query, message] of cases) {
    const response = await app.inject({ url: `/v1/workspaces/ws-1/tokens?${query}`, headers: operator });
    t.equal(response.statusCode, 400, query);
    t.match(response.json().message, message, query);
  }
  t.equal((await app.inject({ url: '/v1/workspaces/ws-1/tokens/not-a-uuid', headers: operator })).statusCode, 400);
});
