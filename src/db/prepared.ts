import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Statement names by SQL text, for the PostgreSQL driver (see `statementName`). */
const statementNames = new Map<string, string>();

/**
 * The name a prepared query's SQL is known by, or undefined for any other SQL. The pg
 * driver sends a named statement to PostgreSQL once per connection, which then keeps its
 * parse and plan: on the refresh path, planning costs more than running the statement.
 */
export function statementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

/**
 * A query built and compiled once, then run with new values: for the statements on the
 * refresh path, where building the query anew would cost more than running it. Each value
 * is written in the builder as a marker object (from `markers`) and swapped for the real
 * value by identity when the query runs.
 *
 * Its SQL must name the columns it returns, never `*`: PostgreSQL refuses to run a
 * prepared statement whose result columns changed since it was prepared (a migration
 * adding a column while the service runs), and an explicit list never changes.
 */
export function prepare<Names extends string, Row>(
  name: string,
  build: (markers: Record<Names, never>) => Compilable<Row>,
  names: readonly Names[],
): (db: Kysely<any>, values: Record<Names, unknown>) => Promise<QueryResult<Row>> {
  const markers = Object.fromEntries(names.map((marker) => [marker, { marker }])) as unknown as Record<Names, never>;
  let compiled: CompiledQuery<Row> | undefined;
  let slots: Array<Names | undefined> = [];

  return async (db, values) => {
    if (!compiled) {
      compiled = build(markers).compile();
      if (/\bselect\s+\*|\.\*|\breturning\s+\*/i.test(compiled.sql)) {
        throw new Error(`Prepared query ${name} must name its columns: ${compiled.sql}`);
      }
      const statement = `aac_${name}`;
      if ([...statementNames.values()].includes(statement)) throw new Error(`Prepared query ${name} is defined twice`);
      slots = compiled.parameters.map((parameter) => names.find((marker) => markers[marker] === parameter));
      statementNames.set(compiled.sql, statement);
    }
    const template = compiled;
    const parameters = template.parameters.map((parameter, i) => {
      const slot = slots[i];
      return slot === undefined ? parameter : values[slot];
    });
    return db.executeQuery<Row>({ ...template, parameters });
  };
}
