import { randomBytes } from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/index.ts';
import { createAdapterClass, type AdapterDeps } from './adapter.ts';
import type { SigningKey } from './keys.ts';

export const RETRY_AFTER_SECONDS = 5;

export interface ProviderDeps extends Omit<AdapterDeps, 'audience'> {
  keys: SigningKey[];
}

/**
 * oidc-provider as a token endpoint and nothing more: the refresh_token grant, RFC 9068 JWT
 * access tokens for one resource (the AAC API) and the JWKS. Every other feature is off,
 * and the mount only lets /token and /jwks through.
 */
export function createProvider(config: Config, { keys, ...adapterDeps }: ProviderDeps): Provider {
  const { scopes } = adapterDeps;
  const audience = config.apiAudience;

  /** Seconds left on the API token the provider is working on. */
  const remaining = (ctx: KoaContextWithOIDC | undefined, grantId: string | undefined) => {
    const token = scopes.token(ctx, grantId);
    if (!token) throw new Error('No API token in scope for this grant');
    return Math.max(1, Math.floor((token.expiresAt.getTime() - Date.now()) / 1000));
  };

  const configuration: Configuration = {
    adapter: createAdapterClass({ ...adapterDeps, audience }),
    clients: config.clients.map((client) => ({
      ...client,
      grant_types: ['refresh_token'],
      response_types: [],
      redirect_uris: [],
    })),
    clientDefaults: {
      grant_types: ['refresh_token'],
      response_types: [],
      id_token_signed_response_alg: config.signingAlg,
    },
    jwks: { keys },
    // Only sessions and interactions use cookies, and neither is reachable.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [],
    responseTypes: ['none'],
    findAccount: (_ctx: KoaContextWithOIDC, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      revocation: { enabled: false },
      introspection: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string) => {
          if (resource !== audience) throw new Error(`unknown resource ${resource}`);
          return { scope: '', audience, accessTokenFormat: 'jwt', jwt: { sign: { alg: config.signingAlg } } };
        },
      },
    },
    // API tokens are for scripts and services, not web pages: no cross-origin token calls.
    clientBasedCORS: () => false,
    // Registers the refresh_token grant; the first refresh token is minted at generation.
    issueRefreshToken: () => false,
    // RFC 9700 §4.14.2: public clients' refresh tokens rotate on every use.
    rotateRefreshToken: true,
    ttl: {
      // An access token never outlives its API token.
      AccessToken: (ctx, token) => Math.min(config.accessTokenTtl, remaining(ctx, token.grantId)),
      // The successor keeps the absolute expiry the user chose.
      RefreshToken: (ctx, token) => remaining(ctx, token.grantId),
      Grant: (ctx, grant) => remaining(ctx, grant.jti),
    },
    extraTokenClaims: (ctx, token) => {
      const scoped = scopes.token(ctx, 'grantId' in token ? token.grantId : undefined);
      // Fail closed: an access token without its workspace would be valid everywhere.
      if (!scoped) throw new Error('No API token in scope for this access token');
      return { workspace_id: scoped.workspaceId, token_id: scoped.id };
    },
    enabledJWA: {
      idTokenSigningAlgValues: [config.signingAlg],
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy !== false;
  provider.use(async (ctx, next) => {
    await next();
    // RFC 9110 §10.2.3: tell a client turned away by an outage when to come back.
    if (ctx.status === 503) ctx.set('retry-after', String(RETRY_AFTER_SECONDS));
  });
  return provider;
}
