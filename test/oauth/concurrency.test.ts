import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import t from 'tap';
import { postgresHandle } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { hashSecret } from '../../src/secrets.ts';
import { insertToken } from '../../src/tokens/repository.ts';
import { createTokenService } from '../../src/tokens/service.ts';
import { buildApp, createPostgresDatabase, generate, refresh } from '../helper.ts';

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

// Two connections racing for one row: on a PostgreSQL server whatever DATABASE_URL says.
t.test('a rotation that waited for another one to commit is not taken for a retry of it', async (t) => {
  const { databaseUrl } = await createPostgresDatabase(t);
  const { db, close } = postgresHandle(new pg.Pool({ connectionString: databaseUrl, max: 2 }));
  t.teardown(close);
  await migrateToLatest(db);
  const id = randomUUID();
  const now = Date.now();
  await insertToken(db, {
    id, workspace_id: 'ws-1', user_id: 'alice', client_id: 'aac-api-tokens', name: 'raced', lifetime_days: 30,
    created_at: new Date(now), expires_at: new Date(now + 30 * 86_400_000), refresh_hash: hashSecret('live'),
  });
  const tokens = createTokenService({ db, refreshRetryLeeway: 0, maxActiveTokensPerUser: 10 });
  const lookup = await tokens.lookupRefresh(hashSecret('live'));
  if (!lookup.ok) throw new Error('the live refresh token was not found');

  // The other rotation holds the row while this one starts, then rotates and commits:
  // its rotation time is later than the moment this statement began.
  const other = new pg.Client({ connectionString: databaseUrl });
  await other.connect();
  t.teardown(() => other.end());
  await other.query('BEGIN');
  await other.query('SELECT 1 FROM api_tokens WHERE id = $1 FOR UPDATE', [id]);
  const waiting = tokens.rotate(lookup.token, hashSecret('live'), hashSecret('second'));
  while ((await other.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rowCount === 0) {
    await sleep(5);
  }
  await other.query(
    `UPDATE api_tokens SET previous_refresh_hash = refresh_hash, refresh_hash = $2, rotated_at = clock_timestamp(), rotations = rotations + 1
     WHERE id = $1`, [id, hashSecret('first')]);
  await other.query('COMMIT');

  t.match(await waiting, { ok: false, reason: 'reuse_detected' }, 'without leeway, the second use of a refresh token is reuse');
  const row = await db.selectFrom('api_tokens').select(['rotations', 'refresh_hash']).where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(row.rotations, 1, 'only the first rotation happened');
  t.same(Buffer.from(row.refresh_hash), hashSecret('first'));
});
