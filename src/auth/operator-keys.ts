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

/** Stores the hash of `key` under `name`; returns the new key's id. A known key is kept as it is. */
export async function storeKey(db: Kysely<Database>, name: string, key: string): Promise<string | undefined> {
  const row = await db.insertInto('operator_keys')
    .values({ id: randomUUID(), name, key_hash: hashSecret(key), last_used_at: null, revoked_at: null })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/** Creates a key; the value is returned once and never stored. */
export async function createKey(db: Kysely<Database>, name: string): Promise<{ id: string; key: string }> {
  const key = newOperatorKey();
  const id = await storeKey(db, name, key);
  if (!id) throw new Error('A freshly generated operator key collided with a stored one');
  return { id, key };
}

export async function hasAnyKey(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('operator_keys').select(sql<number>`1`.as('one')).limit(1).executeTakeFirst();
  return row !== undefined;
}
