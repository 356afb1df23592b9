import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import type { Database } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
    databaseKind: DatabaseHandle['kind'];
    databaseStats: DatabaseHandle['stats'];
  }
}

export interface DbOptions {
  /** An open database to use instead of opening one; its owner closes it. */
  database?: DatabaseHandle | undefined;
}

/** Opens the database (PostgreSQL or the embedded PGlite), migrates it, closes it last. */
async function db(app: FastifyInstance, { database }: DbOptions) {
  const handle = database ?? await openDatabase(app.config);
  if (!database) app.addHook('onClose', () => handle.close());
  if (app.config.migrateOnStart) {
    const applied = await migrateToLatest(handle.db);
    for (const result of applied) app.log.info({ migration: result.migrationName }, 'migration applied');
  }
  app.decorate('db', handle.db);
  app.decorate('databaseKind', handle.kind);
  app.decorate('databaseStats', () => handle.stats());
}

export default fp(db, { name: 'db', dependencies: ['config'] });
