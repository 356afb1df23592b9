import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp, generate } from '../helper.ts';

function attempt(app: Awaited<ReturnType<typeof buildApp>>, userId: string, name: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: bearer(OPERATOR_KEY),
    payload: { userId, name, lifetimeDays: 1 },
  });
}

t.test('concurrent generation never exceeds the per-user cap', async (t) => {
  const app = await buildApp(t, { maxActiveTokensPerUser: 5 });
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(app, 'alice', `race ${i}`)));
  t.equal(responses.filter((r) => r.statusCode === 201).length, 5);
  const refused = responses.filter((r) => r.statusCode !== 201);
  t.equal(refused.length, 15);
  for (const response of refused) {
    t.equal(response.statusCode, 409);
    t.equal(response.json().error, 'token_limit_reached');
    t.match(response.json().message, /already has 5 active tokens.*Disable or delete/);
  }
  const rows = await app.db.selectFrom('api_tokens').select('id').where('user_id', '=', 'alice').execute();
  t.equal(rows.length, 5, 'nothing half-written for the refused ones');
  t.equal((await attempt(app, 'bob', 'another user')).statusCode, 201, 'the cap is per user');
});

t.test('disabling or deleting a token frees a slot; expired tokens do not count', async (t) => {
  const app = await buildApp(t, { maxActiveTokensPerUser: 2 });
  const first = await generate(app, { name: 'one' });
  await generate(app, { name: 'two' });
  t.equal((await attempt(app, 'alice', 'three')).statusCode, 409);
  await app.tokens.disable({ workspaceId: 'ws-1' }, [first.id], { type: 'operator', id: 'test' });
  t.equal((await attempt(app, 'alice', 'three')).statusCode, 201);
});
