import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { DatabaseUnavailableError, classifyDatabaseError } from './errors.ts';

/**
 * The pool as Kysely sees it, with every driver failure classified at the edge, so the
 * rest of the service tells "the database is down" from "the statement was refused"
 * without reading messages.
 */
export function classifyingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        // Whatever the reason, no connection means the database cannot serve this request.
        throw new DatabaseUnavailableError({ cause: err });
      }
      return classifyingClient(client);
    },
    end: () => pool.end(),
  };
}

function classifyingClient(client: pg.PoolClient): PostgresPoolClient {
  return {
    async query(sql: string, parameters: readonly unknown[]) {
      try {
        return await client.query(sql, parameters as unknown[]);
      } catch (err) {
        throw classifyDatabaseError(err);
      }
    },
    release: (destroy?: boolean) => client.release(destroy),
  } as unknown as PostgresPoolClient;
}
