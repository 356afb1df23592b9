import { randomUUID } from 'node:crypto';
import { Migrator, sql } from 'kysely';
import t from 'tap';
import { openDatabase } from '../../src/db/connect.ts';
import { SqlFileMigrationProvider, isSchemaCurrent, migrateToLatest } from '../../src/db/migrate.ts';
import { hashSecret } from '../../src/secrets.ts';
import { createTokenService } from '../../src/tokens/service.ts';
import { createTestDatabase } from '../helper.ts';

t.test('instances that start together apply each migration once', async (t) => {
  const database = await createTestDatabase(t);
  const first = await openDatabase(database);
  t.teardown(() => first.close());
  // PGlite admits one process to its folder, so there the two instances share it.
  const second = database.databaseUrl ? await openDatabase(database) : first;
  if (second !== first) t.teardown(() => second.close());

  t.notOk(await isSchemaCurrent(first.db), 'a new database is not current');
  const [a, b] = await Promise.all([migrateToLatest(first.db), migrateToLatest(second.db)]);
  const files = Object.keys(await new SqlFileMigrationProvider().getMigrations());
  t.equal(a.length + b.length, files.length, 'every migration ran exactly once between them');
  t.ok(await isSchemaCurrent(second.db));

  const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(first.db);
  t.same(applied.rows.map((row) => row.name).sort(), files.sort());
  t.same(await migrateToLatest(first.db), [], 'a third run has nothing to do');
});

t.test('refresh tokens rotated before the spent ones were kept still answer as retries and reuse', async (t) => {
  const handle = await openDatabase(await createTestDatabase(t));
  t.teardown(() => handle.close());
  const { db } = handle;
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider() });
  t.notOk((await migrator.migrateTo('0004_signing_key_purpose')).error);

  // Two tokens rotated under the old schema: one a moment ago, one an hour ago.
  const rotated = async (name: string, rotatedAgo: string) => {
    const id = randomUUID();
    await sql`
      INSERT INTO api_tokens (id, workspace_id, user_id, client_id, name, lifetime_days, created_at, expires_at,
                              refresh_hash, previous_refresh_hash, rotated_at, rotations)
      VALUES (${id}, 'ws-1', 'alice', 'aac-api-tokens', ${name}, 30, now() - interval '1 day', now() + interval '29 days',
              ${hashSecret(`${name}-live`)}, ${hashSecret(`${name}-previous`)}, now() - ${rotatedAgo}::interval, 1)`.execute(db);
    return id;
  };
  const recent = await rotated('recent', '1 second');
  const old = await rotated('old', '1 hour');
  await migrateToLatest(db);

  const tokens = createTokenService({ db, refreshRetryLeeway: 30, maxActiveTokensPerUser: 10 });
  t.match(await tokens.lookupRefresh(hashSecret('recent-previous')), { ok: true, token: { id: recent } },
    'the previous refresh token within the leeway is a retry');
  t.match(await tokens.lookupRefresh(hashSecret('old-previous')), { ok: false, reason: 'reuse_detected', token: { id: old } },
    'the previous refresh token after the leeway is reuse');
  t.match(await tokens.lookupRefresh(hashSecret('recent-live')), { ok: true, token: { id: recent } });
});
