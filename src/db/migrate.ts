import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER } from '../paths.ts';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';

const FILE_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

/** Plain SQL files, `NNNN_name.sql`, applied in order of their names. */
export class SqlFileMigrationProvider implements MigrationProvider {
  readonly #folder: string;

  constructor(folder = MIGRATIONS_FOLDER) {
    this.#folder = folder;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const file of (await readdir(this.#folder)).filter((f) => FILE_NAME.test(f)).sort()) {
      const text = await readFile(join(this.#folder, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: async (db: Kysely<any>) => {
          // Building an index on a large table may take longer than requests are allowed.
          await sql`SET LOCAL statement_timeout = 0`.execute(db);
          await sql.raw(text).execute(db);
        },
      };
    }
    return migrations;
  }
}

/**
 * Brings the schema up to date. Kysely's Migrator takes a lock in the database, so
 * instances that start together apply each migration once.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider() });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, { cause: error });
  }
  return results;
}

/** True when every migration in the folder has been applied. */
export async function isSchemaCurrent(db: Kysely<any>): Promise<boolean> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider() });
  const migrations = await migrator.getMigrations();
  return migrations.every((m) => m.executedAt !== undefined);
}
