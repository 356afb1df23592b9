import type { Kysely } from 'kysely';
import type { ApiTokenRow, Database, NewApiTokenRow, NewAuditEventRow } from '../db/types.ts';
import { sameHash } from '../secrets.ts';
import { AppError } from '../errors.ts';
import { describeActor, toApiToken, toAuditEvent, type Actor, type ApiToken } from './model.ts';
import * as repo from './repository.ts';

export const REUSE_DETECTED = 'reuse_detected' as const;
export const BULK_MAX_IDS = 500;
/** Used refresh tokens forgotten per statement by a sweep: short transactions, few locks. */
const SWEEP_BATCH = 10_000;

/** Why a presented refresh token cannot be used. */
export type RefreshRejection = 'unknown' | 'deleted' | 'disabled' | 'expired' | typeof REUSE_DETECTED | 'conflict';

export type RefreshLookup =
  | { ok: true; token: ApiTokenRow }
  | { ok: false; reason: RefreshRejection; token?: ApiTokenRow };

export type BulkOutcome = 'disabled' | 'deleted' | 'already_disabled' | 'not_found';
export interface BulkResult { id: string; result: BulkOutcome }

/** Told after each committed change, for metrics. */
export interface TokenEvents {
  generated(): void;
  disabled(count: number, reason: string): void;
  deleted(count: number): void;
}

export interface TokenServiceOptions {
  db: Kysely<Database>;
  refreshRetryLeeway: number;
  maxActiveTokensPerUser: number;
  events?: TokenEvents | undefined;
}

export interface TokenPage {
  items: ApiToken[];
  /** Where the next page starts; null on the last page. */
  next: repo.TokenCursor | null;
}

export type TokenService = ReturnType<typeof createTokenService>;

export function createTokenService({ db, refreshRetryLeeway, maxActiveTokensPerUser, events = IGNORE }: TokenServiceOptions) {
  const leewayMs = refreshRetryLeeway * 1000;

  /**
   * Decides what a presented refresh token (by its hash) may do. An already-used one
   * presented outside the retry leeway is an attack signal (RFC 9700 §4.14.2): the API
   * token is disabled and the event audited before the answer goes out. A live token is
   * found by one index probe; used ones, only on a miss, among the spent.
   */
  async function lookupRefresh(hash: Uint8Array, now = new Date()): Promise<RefreshLookup> {
    const token = await repo.findByRefreshHash(db, hash) ?? await repo.findBySpentHash(db, hash);
    return token ? classify(token, hash, now) : { ok: false, reason: 'unknown' };
  }

  async function classify(token: ApiTokenRow, hash: Uint8Array, now: Date): Promise<RefreshLookup> {
    if (token.deleted_at) return { ok: false, reason: 'deleted', token };
    if (token.disabled_at) return { ok: false, reason: 'disabled', token };
    if (token.expires_at.getTime() <= now.getTime()) return { ok: false, reason: 'expired', token };
    if (sameHash(token.refresh_hash, hash)) return { ok: true, token };

    const rotatedAt = token.rotated_at?.getTime() ?? 0;
    if (sameHash(token.previous_refresh_hash, hash) && now.getTime() - rotatedAt < leewayMs) {
      return { ok: true, token };
    }
    await disableForReuse(token);
    return { ok: false, reason: REUSE_DETECTED, token };
  }

  async function disableForReuse(token: ApiTokenRow): Promise<void> {
    const system: Actor = { type: 'system', id: null };
    await db.transaction().execute(async (trx) => {
      const scope = { workspaceId: token.workspace_id };
      const disabled = await repo.disableTokens(trx, scope, [token.id], describeActor(system), REUSE_DETECTED);
      if (disabled.length === 0) return;
      await repo.insertAuditEvents(trx, [auditEvent(token, REUSE_DETECTED, system, { rotations: token.rotations })]);
    });
    events.disabled(1, REUSE_DETECTED);
  }

  /**
   * Rotates the refresh token of `token` from the presented hash to a new one. When the
   * compare-and-set loses (a concurrent rotation, disable or delete committed first), the
   * token is read again and the answer says why, as a fresh lookup would.
   */
  async function rotate(token: ApiTokenRow, presentedHash: Uint8Array, newHash: Uint8Array): Promise<RefreshLookup> {
    const rotated = await repo.rotateRefreshHash(db, {
      id: token.id,
      presentedHash,
      newHash,
      retryLeewaySeconds: refreshRetryLeeway,
    });
    if (rotated) return { ok: true, token };
    const current = await repo.findById(db, token.id);
    if (!current) return { ok: false, reason: 'unknown' };
    const again = await classify(current, presentedHash, new Date());
    // The token still looks usable from here, yet the database refused the swap: its
    // clock and ours disagree at an edge (expiry, leeway). Never a success.
    return again.ok ? { ok: false, reason: 'conflict', token: current } : again;
  }

  /**
   * Stores a newly generated token and its audit event, together or not at all, unless its
   * owner already holds the most active tokens allowed in the workspace.
   */
  async function insertGenerated(row: NewApiTokenRow, actor: Actor): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await repo.lockOwner(trx, row.workspace_id, row.user_id);
      if (await repo.countActive(trx, row.workspace_id, row.user_id) >= maxActiveTokensPerUser) {
        throw new AppError(409, 'token_limit_reached',
          `User ${row.user_id} already has ${maxActiveTokensPerUser} active tokens in workspace ${row.workspace_id}, the most allowed. `
          + 'Disable or delete a token that is no longer needed, then generate again.');
      }
      await repo.insertToken(trx, row);
      await repo.insertAuditEvents(trx, [auditEvent(row, 'token.generated', actor, { name: row.name, lifetimeDays: row.lifetime_days })]);
    });
    events.generated();
  }

  async function get(scope: repo.Scope, id: string): Promise<ApiToken | undefined> {
    const [row] = await repo.findVisible(db, scope, [id]);
    return row && toApiToken(row);
  }

  /** Disables each id, irreversibly, in one transaction; a result per distinct id. */
  async function disable(scope: repo.Scope, ids: readonly string[], actor: Actor, reason = 'user_request'): Promise<BulkResult[]> {
    const unique = [...new Set(ids)];
    const results = await db.transaction().execute(async (trx) => {
      const disabled = new Set(await repo.disableTokens(trx, scope, unique, describeActor(actor), reason));
      const visible = new Map((await repo.findVisible(trx, scope, unique)).map((row) => [row.id, row]));
      await repo.insertAuditEvents(trx, [...disabled].map((id) =>
        auditEvent(visible.get(id)!, 'token.disabled', actor, { reason })));
      return unique.map((id): BulkResult => ({
        id,
        result: disabled.has(id) ? 'disabled' : visible.has(id) ? 'already_disabled' : 'not_found',
      }));
    });
    events.disabled(results.filter((r) => r.result === 'disabled').length, reason);
    return results;
  }

  /** Deletes each id in one transaction; a result per distinct id. */
  async function remove(scope: repo.Scope, ids: readonly string[], actor: Actor): Promise<BulkResult[]> {
    const unique = [...new Set(ids)];
    const results = await db.transaction().execute(async (trx) => {
      const rows = new Map((await repo.findVisible(trx, scope, unique)).map((row) => [row.id, row]));
      const deleted = new Set(await repo.deleteTokens(trx, scope, unique, describeActor(actor)));
      await repo.insertAuditEvents(trx, [...deleted].map((id) =>
        auditEvent(rows.get(id)!, 'token.deleted', actor, { name: rows.get(id)!.name })));
      return unique.map((id): BulkResult => ({ id, result: deleted.has(id) ? 'deleted' : 'not_found' }));
    });
    events.deleted(results.filter((r) => r.result === 'deleted').length);
    return results;
  }

  const findById = (id: string) => repo.findById(db, id);

  /** Forgets the used refresh tokens of expired API tokens, in batches; how many it did. */
  async function sweepSpent(batch = SWEEP_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await repo.deleteExpiredSpent(db, batch);
      total += deleted;
      if (deleted < batch) return total;
    }
  }

  async function list(scope: repo.Scope, filter: repo.TokenFilter, limit: number, cursor?: repo.TokenCursor): Promise<TokenPage> {
    const rows = await repo.listTokens(db, scope, filter, limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toApiToken(row)),
      next: rows.length > limit && last ? { createdAt: last.created_at, id: last.id } : null,
    };
  }

  async function auditEvents(workspaceId: string, filter: repo.AuditFilter, limit: number) {
    const rows = await repo.listAuditEvents(db, workspaceId, filter, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    // bigint ids arrive as strings from pg and as numbers or bigints from PGlite.
    return { items: page.map(toAuditEvent), next: rows.length > limit && last ? String(last.id) : null };
  }

  return { lookupRefresh, rotate, insertGenerated, findById, get, list, disable, remove, auditEvents, sweepSpent };
}

const IGNORE: TokenEvents = { generated() {}, disabled() {}, deleted() {} };

function auditEvent(
  token: Pick<ApiTokenRow, 'id' | 'workspace_id' | 'user_id'>,
  action: string,
  actor: Actor,
  details: Record<string, unknown>,
): NewAuditEventRow {
  return {
    workspace_id: token.workspace_id,
    token_id: token.id,
    action,
    actor_type: actor.type,
    actor_id: actor.id,
    client_ip: actor.ip ?? null,
    details: JSON.stringify({ ownerId: token.user_id, ...details }),
  };
}
