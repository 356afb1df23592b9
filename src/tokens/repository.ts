import { sql, type Kysely, type Transaction } from 'kysely';
import type { ApiTokenRow, Database, NewApiTokenRow, NewAuditEventRow } from '../db/types.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The API token whose live or previous refresh token has this hash: one indexed read. */
export function findByRefreshHash(db: Db, hash: Uint8Array): Promise<ApiTokenRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where((eb) => eb.or([eb('refresh_hash', '=', hash), eb('previous_refresh_hash', '=', hash)]))
    .limit(1)
    .executeTakeFirst();
}

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
 * A disable, delete or expiry committed first makes it match nothing. True when it rotated.
 */
export async function rotateRefreshHash(db: Db, rotation: Rotation): Promise<boolean> {
  const { id, presentedHash, newHash, retryLeewaySeconds } = rotation;
  const isLive = sql<boolean>`refresh_hash = ${presentedHash}`;
  const result = await db
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
        eb('rotated_at', '>', sql<Date>`now() - make_interval(secs => ${retryLeewaySeconds})`),
      ]),
    ]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
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
