import type { IncomingMessage, ServerResponse } from 'node:http';
import middie from '@fastify/middie';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type Provider from 'oidc-provider';
import { createGenerator, type Generate } from '../tokens/generate.ts';
import { createTokenService, type TokenService } from '../tokens/service.ts';
import { loadSigningKeys, type SigningKey } from './keys.ts';
import { authorizationServerMetadata } from './metadata.ts';
import { createMint } from './mint.ts';
import { createProvider } from './provider.ts';
import { TokenScopes } from './scope.ts';

declare module 'fastify' {
  interface FastifyInstance {
    provider: Provider;
    signingKeys: readonly SigningKey[];
    tokens: TokenService;
    generateToken: Generate;
  }
}

const SPENT_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** The only provider routes reachable from outside, relative to the issuer path. */
const PROVIDER_ROUTES = new Set(['POST /token', 'OPTIONS /token', 'GET /jwks', 'HEAD /jwks', 'OPTIONS /jwks']);

/**
 * oidc-provider mounted under the issuer's path with @fastify/middie, as its documentation
 * does for Fastify, behind an allow-list; the RFC 8414 metadata; and the token domain
 * that the provider's adapter and the management routes share.
 */
async function oauth(app: FastifyInstance) {
  const { config, db } = app;
  const keys = await loadSigningKeys(config, db);
  const tokens = createTokenService({
    db,
    refreshRetryLeeway: config.refreshRetryLeeway,
    maxActiveTokensPerUser: config.maxActiveTokensPerUser,
    events: {
      generated: () => app.metrics.generated.inc(),
      disabled: (count, reason) => app.metrics.disabled.inc({ reason }, count),
      deleted: (count) => app.metrics.deleted.inc(count),
    },
  });
  // Used refresh tokens are kept for reuse detection until their API token expires.
  const sweep = setInterval(() => {
    tokens.sweepSpent().catch((err: unknown) => app.log.warn({ err }, 'could not forget the used refresh tokens of expired API tokens; the next sweep retries'));
  }, SPENT_SWEEP_INTERVAL_MS).unref();
  app.addHook('onClose', async () => { clearInterval(sweep); });

  const scopes = new TokenScopes();
  const provider = createProvider(config, {
    tokens,
    scopes,
    keys,
    limitClient: app.limitClient,
    onRefresh: (outcome) => app.metrics.refreshes.inc({ outcome }),
  });
  const issuer = new URL(config.issuer);
  const tokenEndpoint = `${config.issuer}/token`;

  app.decorate('provider', provider);
  app.decorate('signingKeys', keys);
  app.decorate('tokens', tokens);
  app.decorate('generateToken', createGenerator({
    mint: createMint(provider, scopes, config),
    clientId: config.defaultClientId,
    tokenEndpoint,
  }));

  const callback = provider.callback();
  await app.register(middie);
  app.use(issuer.pathname, (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (!PROVIDER_ROUTES.has(`${req.method} ${path}`)) return next();
    if (Number(req.headers['content-length'] ?? 0) > config.tokenEndpointBodyLimit) {
      return sendOAuthError(res, 413, 'invalid_request', `The request body must be at most ${config.tokenEndpointBodyLimit} bytes.`);
    }
    callback(req, res);
  });

  // RFC 8414 §3: at the root for an issuer with a path, and with the path inserted.
  const metadata = authorizationServerMetadata(config);
  for (const url of ['/.well-known/oauth-authorization-server', `/.well-known/oauth-authorization-server${issuer.pathname}`]) {
    app.get(url, async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return metadata;
    });
  }
}

function sendOAuthError(res: ServerResponse, status: number, error: string, description: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error, error_description: description }));
}

export default fp(oauth, { name: 'oauth', dependencies: ['config', 'db', 'metrics', 'rate-limits'] });
