import { sql } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import { postgresHandle, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { prepare } from '../../src/db/prepared.ts';
import { createPostgresDatabase, generate, refresh, startApp, testConfig } from '../helper.ts';

// Prepared statements live in a PostgreSQL session, so this runs on a PostgreSQL server
// whatever DATABASE_URL says. A pool of one connection puts every statement of the app
// and of the test in the same session.

async function appOnOneConnection(t: Test, namedStatements: boolean) {
  const database = await createPostgresDatabase(t);
  const handle = postgresHandle(new pg.Pool({ connectionString: database.databaseUrl, max: 1 }), { namedStatements });
  await migrateToLatest(handle.db);
  const app = await startApp(t, testConfig(database), handle);
  return { app, handle, databaseUrl: database.databaseUrl };
}

async function preparedInSession(handle: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(handle.db);
  return rows.map((row) => row.name);
}

t.test('the refresh path sends its two statements once per connection, then only runs them', async (t) => {
  const { app, handle } = await appOnOneConnection(t, true);
  const token = await generate(app);
  const first = await refresh(app, token.refresh_token);
  t.equal(first.statusCode, 200);
  t.same(await preparedInSession(handle), ['aac_rotate_refresh_hash', 'aac_select_by_refresh_hash']);

  const second = await refresh(app, first.json().refresh_token);
  t.equal(second.statusCode, 200, 'the next refresh runs the prepared statements');
  t.same(await preparedInSession(handle), ['aac_rotate_refresh_hash', 'aac_select_by_refresh_hash'], 'and prepares nothing more');
});

t.test('with DATABASE_NAMED_STATEMENTS off, nothing stays prepared in the session', async (t) => {
  const { app, handle } = await appOnOneConnection(t, false);
  const token = await generate(app);
  const first = await refresh(app, token.refresh_token);
  t.equal(first.statusCode, 200);
  t.equal((await refresh(app, first.json().refresh_token)).statusCode, 200);
  t.same(await preparedInSession(handle), []);
});

t.test('a column added by a migration while the service runs does not break its prepared statements', async (t) => {
  const { app, databaseUrl } = await appOnOneConnection(t, true);
  const token = await generate(app);
  const first = await refresh(app, token.refresh_token);
  t.equal(first.statusCode, 200);

  const other = new pg.Client({ connectionString: databaseUrl });
  await other.connect();
  t.teardown(() => other.end());
  // What the service's statements avoid by naming their columns: a prepared SELECT * is
  // refused once the table has another column.
  await other.query({ name: 'star', text: 'SELECT * FROM api_tokens LIMIT 1' });
  await other.query('ALTER TABLE api_tokens ADD COLUMN note text');
  await t.rejects(other.query({ name: 'star', text: 'SELECT * FROM api_tokens LIMIT 1' }), /cached plan must not change result type/);

  const second = await refresh(app, first.json().refresh_token);
  t.equal(second.statusCode, 200, 'the refresh after the migration succeeds');
  t.type(second.json().access_token, 'string');
});

t.test('a prepared query that selects * is refused before it reaches the database', async (t) => {
  const { handle } = await appOnOneConnection(t, true);
  const everything = prepare('test_select_star', () => handle.db.selectFrom('api_tokens').selectAll().limit(1), []);
  await t.rejects(everything(handle.db, {}), /Prepared query test_select_star must name its columns/);
  t.same(await preparedInSession(handle), [], 'nothing was sent');
});
