import { sql } from 'kysely';
import t from 'tap';
import { openDatabase } from '../../src/db/connect.ts';
import { SqlFileMigrationProvider, isSchemaCurrent, migrateToLatest } from '../../src/db/migrate.ts';
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
