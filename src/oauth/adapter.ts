import type { Adapter, AdapterPayload } from 'oidc-provider';
import { Provider } from 'oidc-provider';
import { DatabaseUnavailableError } from '../db/errors.ts';
import type { ApiTokenRow } from '../db/types.ts';
import { hashSecret } from '../secrets.ts';
import type { TokenService } from '../tokens/service.ts';
import type { RefreshOutcome } from '../metrics/registry.ts';
import { describeRejection, invalidGrant, temporarilyUnavailable, tooManyRequests, wrongClient } from './errors.ts';
import type { TokenScopes } from './scope.ts';

export interface AdapterDeps {
  tokens: TokenService;
  scopes: TokenScopes;
  audience: string;
  /** Seconds this client must wait before its next token request, or undefined. */
  limitClient: (clientId: string) => Promise<number | undefined>;
  /** Told how each refresh ended, for metrics. */
  onRefresh: (outcome: RefreshOutcome) => void;
}

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * oidc-provider's storage, mapped onto the `api_tokens` row (DESIGN.md §6). A RefreshToken
 * is found by the hash of its value; the Grant is the same row; saving a RefreshToken is
 * either the insert of a generated token or the compare-and-set of a rotation. Nothing else
 * is stored: access tokens are JWTs, clients come from the configuration, and the provider
 * routes that would need sessions or codes are not reachable.
 */
export function createAdapterClass(deps: AdapterDeps): new (name: string) => Adapter {
  return class ApiTokenAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'RefreshToken') return findRefreshToken(deps, id);
      if (this.#model === 'Grant') return findGrant(deps, id);
      return undefined;
    }

    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      if (this.#model === 'RefreshToken') return saveRefreshToken(deps, id, payload);
      // The Grant is a view of the row the refresh token is saved in; nothing to write.
      if (this.#model === 'Grant') return;
      throw new Error(`${this.#model} is not stored by the API-token adapter`);
    }

    // Rotation is committed by the compare-and-set when the successor is saved; consuming
    // the presented token separately would leave a window with no live refresh token.
    async consume(): Promise<void> {}

    async findByUid(): Promise<undefined> { return undefined; }
    async findByUserCode(): Promise<undefined> { return undefined; }

    async destroy(): Promise<void> {
      throw new Error(`${this.#model}.destroy is not supported: disable or delete the API token`);
    }

    async revokeByGrantId(): Promise<void> {
      throw new Error(`${this.#model}.revokeByGrantId is not supported: disable or delete the API token`);
    }
  };
}

async function findRefreshToken(deps: AdapterDeps, value: string): Promise<AdapterPayload> {
  const { tokens, scopes, audience, onRefresh } = deps;
  // The provider authenticated the client just before asking for its refresh token.
  const ctx = Provider.ctx;
  if (!ctx) throw new Error('Refresh tokens are only looked up by a token request');
  const client = ctx.oidc.client;
  const wait = client ? await deps.limitClient(client.clientId) : undefined;
  if (wait !== undefined) {
    ctx.set('retry-after', String(wait));
    throw tooManyRequests(wait);
  }

  const hash = hashSecret(value);
  const lookup = await guard(() => tokens.lookupRefresh(hash), onRefresh);
  if (!lookup.ok) {
    onRefresh(lookup.reason);
    throw invalidGrant(describeRejection(lookup));
  }

  const { token } = lookup;
  if (client && client.clientId !== token.client_id) {
    onRefresh('wrong_client');
    throw wrongClient();
  }

  scopes.found(ctx, { token, presentedHash: hash });
  return {
    jti: value,
    kind: 'RefreshToken',
    accountId: token.user_id,
    clientId: token.client_id,
    grantId: token.id,
    gty: 'refresh_token',
    resource: audience,
    iat: epoch(token.rotated_at ?? token.created_at),
    iiat: epoch(token.created_at),
    exp: epoch(token.expires_at),
    rotations: token.rotations,
  };
}

async function findGrant({ tokens, scopes }: AdapterDeps, id: string): Promise<AdapterPayload | undefined> {
  const found = scopes.request(Provider.ctx)?.token;
  const token = found?.id === id ? found : await guard(() => tokens.findById(id));
  return token && grantPayload(token);
}

function grantPayload(token: ApiTokenRow): AdapterPayload {
  return {
    jti: token.id,
    kind: 'Grant',
    accountId: token.user_id,
    clientId: token.client_id,
    iat: epoch(token.created_at),
    exp: epoch(token.expires_at),
  };
}

async function saveRefreshToken({ tokens, scopes, onRefresh }: AdapterDeps, value: string, payload: AdapterPayload): Promise<void> {
  const newHash = hashSecret(value);

  const pending = scopes.pending(payload.grantId);
  if (pending) {
    // Generation is called by a management route, not the token endpoint: its errors
    // (a database outage, the per-user cap) go to that route's error handler as they are.
    await tokens.insertGenerated({
      id: pending.id,
      workspace_id: pending.workspaceId,
      user_id: pending.userId,
      client_id: pending.clientId,
      name: pending.name,
      lifetime_days: pending.lifetimeDays,
      created_at: pending.createdAt,
      expires_at: pending.expiresAt,
      refresh_hash: newHash,
    }, pending.actor);
    return;
  }

  const found = scopes.request(Provider.ctx);
  if (!found || found.token.id !== payload.grantId) {
    throw new Error('A refresh token can only be saved by a generation or a rotation');
  }
  const { token, presentedHash } = found;
  const rotation = await guard(() => tokens.rotate(token, presentedHash, newHash), onRefresh);
  if (!rotation.ok) {
    onRefresh(rotation.reason);
    throw invalidGrant(describeRejection(rotation));
  }
  onRefresh('success');
}

/** Database outages become `temporarily_unavailable`; everything else passes through. */
async function guard<T>(work: () => Promise<T>, onRefresh?: AdapterDeps['onRefresh']): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof DatabaseUnavailableError)) throw err;
    onRefresh?.('unavailable');
    throw temporarilyUnavailable(err);
  }
}
