import type Provider from 'oidc-provider';
import type { Config } from '../config/index.ts';
import type { Mint } from '../tokens/generate.ts';
import type { TokenScopes } from './scope.ts';

/**
 * Mints a generated token's first access and refresh tokens with the provider's own models,
 * so they come from the code path every refresh uses. The access token is signed first:
 * saving the refresh token commits the row, and nothing may fail after that.
 */
export function createMint(provider: Provider, scopes: TokenScopes, config: Config): Mint {
  const audience = config.apiAudience;
  const resourceServerInfo = {
    scope: '',
    audience,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: config.signingAlg } },
  };

  return (pending) => scopes.generating(pending, async () => {
    const client = await provider.Client.find(pending.clientId);
    if (!client) throw new Error(`Client ${pending.clientId} is not configured`);
    const lifetime = Math.floor((pending.expiresAt.getTime() - Date.now()) / 1000);
    const common = { accountId: pending.userId, client, grantId: pending.id, gty: 'refresh_token', scope: '' };

    const ResourceServer = (provider as unknown as { ResourceServer: new (id: string, info: object) => object }).ResourceServer;
    const at = new provider.AccessToken({
      ...common,
      resourceServer: new ResourceServer(audience, resourceServerInfo),
      expiresIn: Math.min(config.accessTokenTtl, lifetime),
    } as unknown as ConstructorParameters<typeof provider.AccessToken>[0]);
    const accessToken = await at.save();

    const rt = new provider.RefreshToken({ ...common, resource: audience, expiresIn: lifetime });
    const refreshToken = await rt.save();

    return { accessToken, refreshToken, expiresIn: at.expiration };
  });
}
