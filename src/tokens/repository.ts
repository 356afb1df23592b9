import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type Transaction } from 'kysely';
import { prepare } from '../db/prepared.ts';
import type { ApiTokenRow, Database, NewApiTokenRow, NewAuditEventRow } from '../db/types.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Compiles the prepared queries; it never connects (Kysely's "cold" instance). */
const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The API token whose live refresh token has this hash: one probe of a unique index. */
export async function findByRefreshHash(db: Db, hash: Uint8Array): Promise<ApiTokenRow | undefined> {
  const { rows } = await selectByRefreshHash(db, { hash });
  return rows[0];
}

/** Every column of `api_tokens`, by name: prepared statements never select `*`. */
const API_TOKEN_COLUMNS = [
  'id', 'workspace_id', 'user_id', 'client_id', 'name', 'lifetime_days', 'created_at', 'expires_at',
  'refresh_hash', 'previous_refresh_hash', 'rotated_at', 'rotations', 'last_used_at',
  'disabled_at', 'disabled_by', 'disabled_reason', 'deleted_at', 'deleted_by',
] as const satisfies readonly (keyof ApiTokenRow)[];

// Built once: this runs on every refresh (see prepare).
const selectByRefreshHash = prepare('select_by_refresh_hash', ({ hash }) => builder
  .selectFrom('api_tokens')
  .select(API_TOKEN_COLUMNS)
  .where('refresh_hash', '=', hash), ['hash']);

export function findById(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertToken(db: Db, row: NewApiTokenRow): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

export interface Rotation {
  id: string;
  presentedHash: Uint8Array;
  newHash: Uint8Array;
  retryLeewaySeconds: number;
}

/**
 * Replaces the refresh token, compare-and-set on the hash that was presented. It matches
 * the live hash, or the previous one within the retry leeway (a retry of a lost response:
 * the successor issued then is overwritten, the previous hash and rotation time stay).
 * A disable, delete or expiry committed first makes it match nothing. The presented hash
 * is added to the spent ones in the same statement. True when it rotated.
 */
export async function rotateRefreshHash(db: Db, rotation: Rotation): Promise<boolean> {
  const { rows } = await updateRefreshHash(db, rotation);
  return rows.length === 1;
}

// Built once: this runs on every refresh (see prepare).
const updateRefreshHash = prepare('rotate_refresh_hash', ({ id, presentedHash, newHash, retryLeewaySeconds }) => {
  const isLive = sql<boolean>`refresh_hash = ${presentedHash}`;
  return builder
    .with('rotated', (db) => db
      .updateTable('api_tokens')
      .set({
        previous_refresh_hash: sql`CASE WHEN ${isLive} THEN refresh_hash ELSE previous_refresh_hash END`,
        rotated_at: sql`CASE WHEN ${isLive} THEN now() ELSE rotated_at END`,
        refresh_hash: newHash,
        rotations: sql`rotations + 1`,
        last_used_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .where('deleted_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .where((eb) => eb.or([
        eb('refresh_hash', '=', presentedHash),
        eb.and([
          eb('previous_refresh_hash', '=', presentedHash),
          // The clock when the row is checked, not when the statement began: a rotation
          // committed while this one waited for the row is never within a leeway of 0.
          eb('rotated_at', '>', sql<Date>`clock_timestamp() - make_interval(secs => ${retryLeewaySeconds})`),
        ]),
      ]))
      .returning(['id', 'expires_at']))
    // A retry presents a hash spent already: nothing to add.
    .with('spent', (db) => db
      .insertInto('spent_refresh_tokens')
      .columns(['hash', 'token_id', 'expires_at'])
      .expression((eb) => eb.selectFrom('rotated').select([sql<Uint8Array>`${presentedHash}::bytea`.as('hash'), 'id', 'expires_at']))
      .onConflict((oc) => oc.column('hash').doNothing()))
    .selectFrom('rotated')
    .select('id');
}, ['id', 'presentedHash', 'newHash', 'retryLeewaySeconds']);

/**
 * The API token one of whose used refresh tokens has this hash: the previous one (a retry,
 * within the leeway) or an older one (reuse). Read only when no live refresh token has it.
 */
export function findBySpentHash(db: Db, hash: Uint8Array): Promise<ApiTokenRow | undefined> {
  return db
    .selectFrom('spent_refresh_tokens as spent')
    .innerJoin('api_tokens', 'api_tokens.id', 'spent.token_id')
    .selectAll('api_tokens')
    .where('spent.hash', '=', hash)
    .executeTakeFirst();
}

/** Forgets up to `limit` used refresh tokens whose API token has expired; how many it did. */
export async function deleteExpiredSpent(db: Db, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('spent_refresh_tokens')
    .where('hash', 'in', (eb) => eb
      .selectFrom('spent_refresh_tokens')
      .select('hash')
      .where('expires_at', '<=', sql<Date>`now()`)
      .limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface Scope {
  workspaceId: string;
  /** Set for a user acting on their own tokens only. */
  userId?: string | undefined;
}

/** Disables the live tokens among `ids`; returns the ids it disabled. */
export async function disableTokens(
  db: Db,
  scope: Scope,
  ids: readonly string[],
  by: string,
  reason: string,
): Promise<string[]> {
  let query = db
    .updateTable('api_tokens')
    .set({ disabled_at: sql`now()`, disabled_by: by, disabled_reason: reason })
    .where('workspace_id', '=', scope.workspaceId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .where('disabled_at', 'is', null);
  if (scope.userId !== undefined) query = query.where('user_id', '=', scope.userId);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

/** Deletes the tokens among `ids` that are not deleted yet; returns the ids it deleted. */
export async function deleteTokens(db: Db, scope: Scope, ids: readonly string[], by: string): Promise<string[]> {
  let query = db
    .updateTable('api_tokens')
    .set({ deleted_at: sql`now()`, deleted_by: by })
    .where('workspace_id', '=', scope.workspaceId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null);
  if (scope.userId !== undefined) query = query.where('user_id', '=', scope.userId);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

/** The tokens among `ids` visible in the scope (not deleted). */
export async function findVisible(db: Db, scope: Scope, ids: readonly string[]): Promise<ApiTokenRow[]> {
  let query = db
    .selectFrom('api_tokens')
    .selectAll()
    .where('workspace_id', '=', scope.workspaceId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null);
  if (scope.userId !== undefined) query = query.where('user_id', '=', scope.userId);
  return query.execute();
}

export async function insertAuditEvents(db: Db, events: readonly NewAuditEventRow[]): Promise<void> {
  if (events.length > 0) await db.insertInto('audit_events').values([...events]).execute();
}

export interface TokenFilter {
  userId?: string | undefined;
  status?: 'active' | 'disabled' | 'expired' | undefined;
  /** A case-insensitive part of the name. */
  name?: string | undefined;
}

/** A position in the listing: the last token of the page before. */
export interface TokenCursor {
  createdAt: Date;
  id: string;
}

/**
 * A page of tokens, newest first, after `cursor`. Keyset pagination on (created_at, id):
 * tokens generated between two pages never shift or repeat what the next page holds.
 */
export function listTokens(db: Db, scope: Scope, filter: TokenFilter, limit: number, cursor?: TokenCursor): Promise<ApiTokenRow[]> {
  let query = db
    .selectFrom('api_tokens')
    .selectAll()
    .where('workspace_id', '=', scope.workspaceId)
    .where('deleted_at', 'is', null);
  if (scope.userId !== undefined) query = query.where('user_id', '=', scope.userId);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.status === 'disabled') query = query.where('disabled_at', 'is not', null);
  if (filter.status === 'active') query = query.where('disabled_at', 'is', null).where('expires_at', '>', sql<Date>`now()`);
  if (filter.status === 'expired') query = query.where('disabled_at', 'is', null).where('expires_at', '<=', sql<Date>`now()`);
  if (filter.name) query = query.where('name', 'ilike', `%${filter.name.replace(/[\\%_]/g, '\\$&')}%`);
  if (cursor) query = query.where(sql<boolean>`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/**
 * Serialises generations for one user in one workspace until the transaction ends, so
 * a count of their active tokens stays true until the insert that follows it commits.
 */
export async function lockOwner(db: Transaction<Database>, workspaceId: string, userId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${workspaceId}/${userId}`}, 0))`.execute(db);
}

export async function countActive(db: Db, workspaceId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .where('disabled_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export interface AuditFilter {
  tokenId?: string | undefined;
  /** The id of the last event of the page before. */
  before?: string | undefined;
}

/** A page of a workspace's audit events, newest first. */
export function listAuditEvents(db: Db, workspaceId: string, filter: AuditFilter, limit: number) {
  let query = db.selectFrom('audit_events').selectAll().where('workspace_id', '=', workspaceId);
  if (filter.tokenId !== undefined) query = query.where('token_id', '=', filter.tokenId);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.orderBy('id', 'desc').limit(limit).execute();
}
