import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import t, { type Test } from 'tap';
import { pgliteHandle, postgresHandle, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { OPERATOR_KEY, createTestDatabase, generate, refresh, startApp, testConfig } from '../helper.ts';

/**
 * The app on a database whose connection the test can cut underneath it: the pool is
 * ended (PostgreSQL) or the engine closed (PGlite), as when the server goes away.
 */
async function appWithBreakableDatabase(t: Test): Promise<{ app: FastifyInstance; cut: () => Promise<void> }> {
  const database = await createTestDatabase(t);
  let handle: DatabaseHandle;
  let cut: () => Promise<void>;
  if (database.databaseUrl) {
    const pool = new pg.Pool({ connectionString: database.databaseUrl });
    handle = postgresHandle(pool);
    cut = () => pool.end();
  } else {
    const folder = await mkdtemp(join(tmpdir(), 'aac-tokens-pglite-'));
    t.teardown(() => rm(folder, { recursive: true, force: true }));
    const pglite = await PGlite.create(folder);
    handle = pgliteHandle(pglite);
    cut = () => pglite.close();
  }
  await migrateToLatest(handle.db);
  const app = await startApp(t, testConfig(database), handle);
  return { app, cut };
}

t.test('when the database goes away, callers get 503 and never a success or a 500', async (t) => {
  const { app, cut } = await appWithBreakableDatabase(t);
  const token = await generate(app);

  await cut();

  const grant = await refresh(app, token.refresh_token);
  t.equal(grant.statusCode, 503);
  t.equal(grant.json().error, 'temporarily_unavailable');
  t.equal(grant.headers['retry-after'], '5');
  t.equal(grant.headers['cache-control'], 'no-store');

  const generation = await app.inject({
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    payload: { userId: 'alice', name: 'x', lifetimeDays: 1 },
  });
  t.equal(generation.statusCode, 503);
  t.equal(generation.json().error, 'temporarily_unavailable');
  t.notMatch(generation.body, /stack|at .*\.ts/, 'no internals in the body');

  const ready = await app.inject('/readyz');
  t.equal(ready.statusCode, 503);
  t.equal(ready.json().checks.database, false);
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process itself is up');
});
