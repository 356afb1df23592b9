import pg from 'pg';

/** The public client every generated token belongs to (config/default.json). */
export const CLIENT_ID = 'aac-api-tokens';

const WORKSPACES = 10;
/** Tokens per user: under the per-user cap of active tokens. */
const TOKENS_PER_USER = 50;

/**
 * The refresh token value of seeded row `i`. Deterministic, so the benchmark knows every
 * live value without reading secrets back: the table keeps only SHA-256 of it.
 */
function refreshTokenValue(seed: string, i: number): string {
  return `${tokenPrefix(seed)}${i}`;
}

function tokenPrefix(seed: string): string {
  return `bench-${seed}-`;
}

/**
 * Replaces every API token with `count` seeded ones, valid for 365 days, in one statement.
 * The schema must exist already (the service migrates it at start).
 */
export async function reseed(databaseUrl: string, seed: string, count: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // The database is the benchmark's own: whatever refers to the tokens goes with them.
    await client.query('TRUNCATE api_tokens, spent_refresh_tokens, audit_events CASCADE');
    await client.query(
      `INSERT INTO api_tokens
         (id, workspace_id, user_id, client_id, name, lifetime_days, created_at, expires_at, refresh_hash)
       SELECT gen_random_uuid(),
              'bench-ws-' || ((i / $3::integer) % $4::integer),
              'bench-user-' || (i / $3::integer),
              $5::text,
              'bench ' || i,
              365,
              now(),
              now() + interval '365 days',
              sha256(convert_to($2::text || i, 'UTF8'))
       FROM generate_series(0, $1::integer - 1) AS i`,
      [count, tokenPrefix(seed), TOKENS_PER_USER, WORKSPACES, CLIENT_ID],
    );
    // Fresh statistics and visibility map, and the load flushed to disk, so that no run pays
    // for the bulk load (hint bits, a stale plan, a checkpoint) during its measured window.
    await client.query('VACUUM (ANALYZE) api_tokens');
    // CHECKPOINT needs a superuser or pg_checkpoint; without either the runs go on regardless.
    await client.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await client.end();
  }
  return { seconds: (performance.now() - started) / 1000 };
}

/**
 * `size` seeded token values spread evenly over rows `[0, count)`, starting at row
 * `offset`: targets given different offsets of the same stride get disjoint slices,
 * each touching the whole table rather than the rows inserted first.
 */
export function tokenSlice(seed: string, count: number, size: number, offset: number, stride: number): string[] {
  const values: string[] = [];
  for (let i = offset; i < count && values.length < size; i += stride) values.push(refreshTokenValue(seed, i));
  return values;
}
