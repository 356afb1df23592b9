import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
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

/**
 * A checked-out client, classifying its failures. It goes back to the pool only while its
 * connection is known to be sound: after a lost connection or a read timeout the driver
 * may still have a statement on the wire (a BEGIN that arrives once the network is back
 * would leave the connection inside a transaction nobody commits), so it is destroyed.
 */
function classifyingClient(client: pg.PoolClient): PostgresPoolClient {
  let broken = false;
  // pg-pool listens for errors on idle clients only: a connection lost while checked out
  // would otherwise be an unhandled 'error' that ends the process. The caller learns of
  // it from its query.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  return {
    async query(sql: string, parameters: readonly unknown[]) {
      try {
        return await client.query(sql, parameters as unknown[]);
      } catch (err) {
        if (!isServerError(err)) broken = true;
        throw classifyDatabaseError(err);
      }
    },
    release: (destroy?: boolean) => {
      client.removeListener('error', onError);
      client.release(destroy || broken);
    },
  } as unknown as PostgresPoolClient;
}

/** The server reported on the statement, over a connection still in step with the driver. */
const isServerError = (err: unknown) => err instanceof pg.DatabaseError;
