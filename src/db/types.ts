import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface ApiTokensTable {
  id: string;
  workspace_id: string;
  user_id: string;
  client_id: string;
  name: string;
  lifetime_days: number;
  created_at: Date;
  expires_at: Date;
  refresh_hash: Uint8Array;
  previous_refresh_hash: Uint8Array | null;
  rotated_at: Date | null;
  rotations: Generated<number>;
  last_used_at: Date | null;
  disabled_at: Date | null;
  disabled_by: string | null;
  disabled_reason: string | null;
  deleted_at: Date | null;
  deleted_by: string | null;
}

export type ApiTokenRow = Selectable<ApiTokensTable>;
export type NewApiTokenRow = Insertable<ApiTokensTable>;
export type ApiTokenUpdate = Updateable<ApiTokensTable>;

/** A used refresh token, by hash, until its API token expires. */
export interface SpentRefreshTokensTable {
  hash: Uint8Array;
  token_id: string;
  expires_at: Date;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: Generated<Date>;
  workspace_id: string;
  token_id: string | null;
  action: string;
  actor_type: 'user' | 'operator' | 'system';
  actor_id: string | null;
  client_ip: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEventRow = Insertable<AuditEventsTable>;

export interface OperatorKeysTable {
  id: string;
  name: string;
  key_hash: Uint8Array;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export type OperatorKeyRow = Selectable<OperatorKeysTable>;

export type KeyPurpose = 'access_token' | 'dev_identity';

export interface SigningKeysTable {
  kid: string;
  alg: string;
  purpose: ColumnType<KeyPurpose, KeyPurpose | undefined, never>;
  private_jwk: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export type SigningKeyRow = Selectable<SigningKeysTable>;

export interface Database {
  api_tokens: ApiTokensTable;
  spent_refresh_tokens: SpentRefreshTokensTable;
  audit_events: AuditEventsTable;
  operator_keys: OperatorKeysTable;
  signing_keys: SigningKeysTable;
}
