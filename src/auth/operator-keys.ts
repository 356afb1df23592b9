import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database, OperatorKeyRow } from '../db/types.ts';
import { hashSecret, newOperatorKey } from '../secrets.ts';

export interface OperatorKey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function toOperatorKey(row: OperatorKeyRow): OperatorKey {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** The live (not revoked) key with this value, if any. */
export function findActiveKey(db: Kysely<Database>, key: string): Promise<OperatorKeyRow | undefined> {
  return db.selectFrom('operator_keys')
    .selectAll()
    .where('key_hash', '=', hashSecret(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Stores the hash of `key` under `name`; returns the new key. A known key is kept as it is. */
export async function storeKey(db: Kysely<Database>, name: string, key: string): Promise<OperatorKey | undefined> {
  const row = await db.insertInto('operator_keys')
    .values({ id: randomUUID(), name, key_hash: hashSecret(key), last_used_at: null, revoked_at: null })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toOperatorKey(row);
}

/** Creates a key; its value is returned once and never stored. */
export async function createKey(db: Kysely<Database>, name: string): Promise<OperatorKey & { key: string }> {
  const key = newOperatorKey();
  const stored = await storeKey(db, name, key);
  if (!stored) throw new Error('A freshly generated operator key collided with a stored one');
  return { ...stored, key };
}

export async function hasAnyKey(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('operator_keys').select(sql<number>`1`.as('one')).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listKeys(db: Kysely<Database>): Promise<OperatorKey[]> {
  const rows = await db.selectFrom('operator_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toOperatorKey);
}

/**
 * Revokes a key, unless it is the last live one: an installation must keep a way in.
 * Returns the key as it now is, undefined when there is no such key, or 'last' when refused.
 */
export async function revokeKey(db: Kysely<Database>, id: string): Promise<OperatorKey | undefined | 'last'> {
  return db.transaction().execute(async (trx) => {
    // Lock the live keys so two revocations cannot each leave the other as "the last one".
    const live = await trx.selectFrom('operator_keys').select('id').where('revoked_at', 'is', null).forUpdate().execute();
    if (live.length === 1 && live[0]?.id === id) return 'last';
    const row = await trx.updateTable('operator_keys')
      .set({ revoked_at: sql`coalesce(revoked_at, now())` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toOperatorKey(row);
  });
}
