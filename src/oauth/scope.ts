import type { ApiTokenRow } from '../db/types.ts';
import type { PendingToken } from '../tokens/model.ts';

/** What one token request learnt when it found its refresh token. */
export interface RequestScope {
  token: ApiTokenRow;
  presentedHash: Uint8Array;
}

/** What a provider callback needs of the API token it works on. */
export type ScopedToken = Pick<PendingToken, 'id' | 'workspaceId' | 'expiresAt'>;

/**
 * What the provider's adapter calls and callbacks (RefreshToken, Grant, expiry, extra
 * claims, the rotation) know about the API token they work on, so they share one read.
 * A token request's row is kept against the provider's own request context (Provider.ctx),
 * so it needs no async context of its own and goes when the request does; a generation,
 * which runs outside any request, is kept by its new id while it mints.
 */
export class TokenScopes {
  readonly #requests = new WeakMap<object, RequestScope>();
  readonly #generations = new Map<string, PendingToken>();

  /** Remembers the row the token request `ctx` found by its refresh token. */
  found(ctx: object, scope: RequestScope): void {
    this.#requests.set(ctx, scope);
  }

  /** The row the token request `ctx` found, if it found one. */
  request(ctx: object | undefined): RequestScope | undefined {
    return ctx ? this.#requests.get(ctx) : undefined;
  }

  /** Runs `mint` with `pending` in scope, by its id, until `mint` settles. */
  async generating<T>(pending: PendingToken, mint: () => Promise<T>): Promise<T> {
    this.#generations.set(pending.id, pending);
    try {
      return await mint();
    } finally {
      this.#generations.delete(pending.id);
    }
  }

  /** The token being generated with this id, if one is. */
  pending(grantId: string | undefined): PendingToken | undefined {
    return grantId === undefined ? undefined : this.#generations.get(grantId);
  }

  /** The API token with this grant id, as the request `ctx` or a generation knows it. */
  token(ctx: object | undefined, grantId: string | undefined): ScopedToken | undefined {
    if (grantId === undefined) return undefined;
    const found = this.request(ctx)?.token;
    if (found?.id === grantId) return { id: found.id, workspaceId: found.workspace_id, expiresAt: found.expires_at };
    return this.#generations.get(grantId);
  }
}
