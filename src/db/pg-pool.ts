import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { DatabaseUnavailableError, classifyDatabaseError } from './errors.ts';
import { statementName } from './prepared.ts';

export interface PoolOptions {
  /**
   * Send the prepared queries (src/db/prepared.ts) as named statements, parsed and planned
   * once per connection. Off behind a pooler in transaction mode that does not support
   * them (PgBouncer before 1.21, or without max_prepared_statements).
   */
  namedStatements: boolean;
}

/**
 * The pool as Kysely sees it, with every driver failure classified at the edge, so the
 * rest of the service tells "the database is down" from "the statement was refused"
 * without reading messages.
 */
export function classifyingPool(pool: pg.Pool, options: PoolOptions): PostgresPool {
  // One wrapper per connection, for its lifetime: Kysely keeps its own per-connection
  // state by the object it is given, so a new wrapper per checkout would rebuild it.
  const wrappers = new WeakMap<pg.PoolClient, ClassifyingClient>();
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        // Whatever the reason, no connection means the database cannot serve this request.
        throw new DatabaseUnavailableError({ cause: err });
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new ClassifyingClient(client, options);
        wrappers.set(client, wrapper);
      }
      return wrapper as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/**
 * A pooled connection, classifying its failures. It goes back to the pool only while it
 * is known to be sound: after a lost connection or a read timeout the driver may still
 * have a statement on the wire (a BEGIN that arrives once the network is back would leave
 * the connection inside a transaction nobody commits), so it is destroyed.
 */
class ClassifyingClient {
  readonly #client: pg.PoolClient;
  readonly #namedStatements: boolean;
  #broken = false;

  constructor(client: pg.PoolClient, { namedStatements }: PoolOptions) {
    this.#client = client;
    this.#namedStatements = namedStatements;
    // pg-pool listens for errors on idle clients only: a connection lost while checked out
    // would otherwise be an unhandled 'error' that ends the process. The caller learns of
    // it from its query.
    client.on('error', () => {
      this.#broken = true;
    });
  }

  async query(sql: string, parameters: readonly unknown[]) {
    const name = this.#namedStatements ? statementName(sql) : undefined;
    try {
      return await (name
        ? this.#client.query({ name, text: sql, values: parameters as unknown[] })
        : this.#client.query(sql, parameters as unknown[]));
    } catch (err) {
      if (!isServerError(err)) this.#broken = true;
      throw classifyDatabaseError(err);
    }
  }

  release(destroy?: boolean): void {
    this.#client.release(destroy || this.#broken);
  }
}

/** The server reported on the statement, over a connection still in step with the driver. */
const isServerError = (err: unknown) => err instanceof pg.DatabaseError;
