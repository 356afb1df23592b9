import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiTokenRow } from '../db/types.ts';
import type { PendingToken } from '../tokens/model.ts';

/**
 * What one token request (or one generation) knows about the API token it works on. The
 * provider reaches the same row through several adapter calls (RefreshToken, Grant,
 * extra claims, the rotation); the scope lets them share one read.
 */
export interface TokenScope {
  token?: ApiTokenRow;
  presentedHash?: Uint8Array;
  pending?: PendingToken;
}

export type TokenScopeStorage = AsyncLocalStorage<TokenScope>;

export const createTokenScopeStorage = (): TokenScopeStorage => new AsyncLocalStorage<TokenScope>();

/** The id, owner, workspace and expiry of the token a scope works on. */
export function scopedToken(scope: TokenScope | undefined, grantId: string) {
  if (scope?.token?.id === grantId) {
    const { id, user_id, workspace_id, client_id, created_at, expires_at } = scope.token;
    return { id, userId: user_id, workspaceId: workspace_id, clientId: client_id, createdAt: created_at, expiresAt: expires_at };
  }
  if (scope?.pending?.id === grantId) return scope.pending;
  return undefined;
}
