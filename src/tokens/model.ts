import type { ApiTokenRow, AuditEventRow } from '../db/types.ts';

export const NAME_MAX_LENGTH = 100;
export const LIFETIME_DAYS_MIN = 1;
export const LIFETIME_DAYS_MAX = 365;
const DAY_MS = 86_400_000;

export type TokenStatus = 'active' | 'disabled' | 'expired';

/** An API token as callers see it: never a secret, never a column name. */
export interface ApiToken {
  id: string;
  name: string;
  userId: string;
  workspaceId: string;
  status: TokenStatus;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  disabledAt: string | null;
  disabledBy: string | null;
  disabledReason: string | null;
}

/** Who acts on a token, as the audit log and `disabledBy` name them. */
export interface Actor {
  type: 'user' | 'operator' | 'system';
  id: string | null;
  ip?: string | undefined;
}

/** A token being generated: the row its first refresh token will be stored in. */
export interface PendingToken {
  id: string;
  workspaceId: string;
  userId: string;
  clientId: string;
  name: string;
  lifetimeDays: number;
  createdAt: Date;
  expiresAt: Date;
  actor: Actor;
}

export function describeActor(actor: Actor): string {
  return actor.id ? `${actor.type}:${actor.id}` : actor.type;
}

export function statusOf(row: Pick<ApiTokenRow, 'disabled_at' | 'expires_at'>, now = new Date()): TokenStatus {
  if (row.disabled_at) return 'disabled';
  return row.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';
}

export function toApiToken(row: ApiTokenRow, now = new Date()): ApiToken {
  return {
    id: row.id,
    name: row.name,
    userId: row.user_id,
    workspaceId: row.workspace_id,
    status: statusOf(row, now),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    disabledAt: row.disabled_at?.toISOString() ?? null,
    disabledBy: row.disabled_by,
    disabledReason: row.disabled_reason,
  };
}

export function expiryOf(createdAt: Date, lifetimeDays: number): Date {
  return new Date(createdAt.getTime() + lifetimeDays * DAY_MS);
}

/** An entry of a workspace's audit log, as admins and operators see it. */
export interface AuditEvent {
  id: string;
  occurredAt: string;
  action: string;
  tokenId: string | null;
  actor: { type: Actor['type']; id: string | null };
  clientIp: string | null;
  details: Record<string, unknown>;
}

export function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: String(row.id),
    occurredAt: row.occurred_at.toISOString(),
    action: row.action,
    tokenId: row.token_id,
    actor: { type: row.actor_type, id: row.actor_id },
    clientIp: row.client_ip,
    details: row.details,
  };
}
