import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/**
 * A query built and compiled once, then run with new values: for the statements on the
 * refresh path, where building the query anew would cost more than running it. Each value
 * is written in the builder as a marker object (from `markers`) and swapped for the real
 * value by identity when the query runs.
 */
export function prepare<Names extends string, Row>(
  build: (markers: Record<Names, never>) => Compilable<Row>,
  names: readonly Names[],
): (db: Kysely<any>, values: Record<Names, unknown>) => Promise<QueryResult<Row>> {
  const markers = Object.fromEntries(names.map((name) => [name, { marker: name }])) as unknown as Record<Names, never>;
  let compiled: CompiledQuery<Row> | undefined;
  let slots: Array<Names | undefined> = [];

  return (db, values) => {
    if (!compiled) {
      compiled = build(markers).compile();
      slots = compiled.parameters.map((parameter) => names.find((name) => markers[name] === parameter));
    }
    const template = compiled;
    const parameters = template.parameters.map((parameter, i) => {
      const slot = slots[i];
      return slot === undefined ? parameter : values[slot];
    });
    return db.executeQuery<Row>({ ...template, parameters });
  };
}
