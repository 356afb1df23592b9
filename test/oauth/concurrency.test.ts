import t from 'tap';
import { buildApp, generate, refresh } from '../helper.ts';

t.test('20 parallel refreshes with one refresh token yield at most one success without leeway', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 0 });
  const token = await generate(app);

  const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(app, token.refresh_token)));
  const successes = responses.filter((r) => r.statusCode === 200);
  t.ok(successes.length <= 1, `${successes.length} succeeded`);
  for (const failure of responses.filter((r) => r.statusCode !== 200)) {
    t.equal(failure.statusCode, 400);
    t.equal(failure.json().error, 'invalid_grant');
  }
  const row = await app.db.selectFrom('api_tokens').select('rotations').where('id', '=', token.id).executeTakeFirstOrThrow();
  t.equal(row.rotations, successes.length, 'exactly one rotation per success');
});

t.test('no refresh succeeds once a disable racing 50 refreshes has committed', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 0 });
  const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => generate(app, { name: `racer ${i}` })));
  const operator = { type: 'operator' as const, id: 'test' };

  const refreshes = tokens.map((token) => refresh(app, token.refresh_token));
  const disable = app.tokens.disable({ workspaceId: 'ws-1' }, tokens.map((token) => token.id), operator);
  const [results, responses] = await Promise.all([disable, Promise.all(refreshes)]);
  t.equal(results.length, 50);

  // Whatever won the race before the commit, every refresh token handed out is now dead.
  const issued = responses.filter((r) => r.statusCode === 200).map((r) => r.json().refresh_token as string);
  const afterwards = await Promise.all([
    ...issued.map((rt) => refresh(app, rt)),
    ...tokens.map((token) => refresh(app, token.refresh_token)),
  ]);
  t.ok(afterwards.every((r) => r.statusCode === 400), 'every refresh after the commit fails');
  const live = await app.db.selectFrom('api_tokens').select('id').where('disabled_at', 'is', null).execute();
  t.equal(live.length, 0, 'all 50 tokens are disabled');
});

t.test('a chain of refreshes stops at the disable, never after it', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 0 });
  const token = await generate(app);
  let current = token.refresh_token;
  let disabledAt = 0;
  const startedAfterDisable: number[] = [];

  const chain = (async () => {
    for (;;) {
      const started = Date.now();
      const response = await refresh(app, current);
      if (response.statusCode !== 200) return;
      if (disabledAt && started > disabledAt) startedAfterDisable.push(response.statusCode);
      current = response.json().refresh_token;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await app.tokens.disable({ workspaceId: 'ws-1' }, [token.id], { type: 'operator', id: 'test' });
  disabledAt = Date.now();
  await chain;

  t.same(startedAfterDisable, [], 'no refresh started after the commit succeeded');
  t.equal((await refresh(app, current)).statusCode, 400);
});
