import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/index.ts';
import { classifyingPool, type PoolOptions } from './pg-pool.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './types.ts';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /** `pglite` is the embedded default: one process at a time may open its folder. */
  readonly kind: 'postgres' | 'pglite';
  /** Connections of the pool (PostgreSQL only): open, idle, and callers waiting for one. */
  stats(): { total: number; idle: number; waiting: number } | undefined;
  close(): Promise<void>;
}

/** PostgreSQL through `pg` when DATABASE_URL is set, else PGlite in DATA_DIR/pglite. */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databasePoolSize' | 'databaseStatementTimeoutMs' | 'databaseNamedStatements'>>,
): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    return postgresHandle(new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.databasePoolSize ?? 10,
      // Bounded waits everywhere: a slow or unreachable database answers 503, not a hang.
      connectionTimeoutMillis: 5_000,
      statement_timeout: config.databaseStatementTimeoutMs ?? 5_000,
      query_timeout: (config.databaseStatementTimeoutMs ?? 5_000) + 1_000,
    }), { namedStatements: config.databaseNamedStatements ?? true });
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const folder = join(config.dataDir, 'pglite');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  return pgliteHandle(await PGlite.create(folder));
}

export function postgresHandle(pool: pg.Pool, options: PoolOptions = { namedStatements: true }): DatabaseHandle {
  // An idle client that loses its server must not crash the process; the next query on
  // the pool reports the failure to its caller.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: classifyingPool(pool, options) }) });
  const stats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { db, kind: 'postgres', stats, close: () => db.destroy() };
}

export function pgliteHandle(pglite: PGlite): DatabaseHandle {
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', stats: () => undefined, close: () => db.destroy() };
}
