import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { redisStore } from './redis-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Admits an authenticated caller of the management routes, or throws 429. */
    limitCaller: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Admits a token request of this client id; answers how long to wait when it may not. */
    limitClient: (clientId: string) => Promise<number | undefined>;
  }
}

/**
 * Rate limits (config `rateLimits`): the token endpoint per client address and per client
 * id, the management routes per caller. With REDIS_URL every instance counts in Redis;
 * when Redis cannot answer, requests are served without a limit (fail open, so an outage
 * of the limiter never becomes an outage of token refresh), logged and counted in
 * `rate_limit_store_errors_total`. Without it each instance counts for itself.
 */
async function rateLimits(app: FastifyInstance) {
  const { config, metrics } = app;
  const limits = config.rateLimits;
  await app.register(rateLimit, {
    global: false,
    timeWindow: limits.windowMs,
    ...(config.redisUrl ? { store: sharedStore(app, config.redisUrl) } : {}),
  });

  const perAddress = app.createRateLimit({ max: limits.tokenPerAddress, keyGenerator: (request) => `token-address:${request.ip}` });
  const perCaller = app.createRateLimit({ max: limits.managementPerCaller, keyGenerator: (request) => `caller:${callerKey(request)}` });
  // The client id is known only inside the provider, after client authentication, where
  // there is no Fastify request: the limiter reads its key from a stand-in.
  const perClient = app.createRateLimit({
    max: limits.tokenPerClient,
    keyGenerator: (request) => `token-client:${(request as unknown as { clientId: string }).clientId}`,
  });

  const tokenPath = `${new URL(config.issuer).pathname}/token`;
  // Runs before the provider's mount (registered after this plugin): a refused request
  // never reaches the provider.
  app.addHook('onRequest', async (request, reply) => {
    if (limits.tokenPerAddress === 0 || request.method !== 'POST' || request.url.split('?', 1)[0] !== tokenPath) return;
    const limit = await perAddress(request);
    if (limit.isAllowed || !limit.isExceeded) return;
    metrics.rateLimited.inc({ limit: 'token_per_address' });
    reply.code(429).header('retry-after', String(limit.ttlInSeconds)).header('cache-control', 'no-store').send({
      error: 'too_many_requests',
      error_description: `Too many token requests from this address; retry in ${limit.ttlInSeconds} seconds.`,
    });
    return reply;
  });

  app.decorate('limitClient', async (clientId: string) => {
    if (limits.tokenPerClient === 0) return undefined;
    const limit = await perClient({ routeOptions: { config: {} }, clientId } as unknown as FastifyRequest);
    if (limit.isAllowed || !limit.isExceeded) return undefined;
    metrics.rateLimited.inc({ limit: 'token_per_client' });
    return limit.ttlInSeconds;
  });

  app.decorate('limitCaller', async (request: FastifyRequest, reply: FastifyReply) => {
    if (limits.managementPerCaller === 0) return;
    const limit = await perCaller(request);
    if (limit.isAllowed || !limit.isExceeded) return;
    metrics.rateLimited.inc({ limit: 'management_per_caller' });
    reply.header('retry-after', String(limit.ttlInSeconds));
    throw new AppError(429, 'too_many_requests', `Too many requests with this credential; retry in ${limit.ttlInSeconds} seconds.`);
  });
}

function callerKey(request: FastifyRequest): string {
  const { caller } = request;
  return caller.type === 'operator' ? `operator:${caller.keyId}` : `user:${caller.workspaceId}:${caller.userId}`;
}

/** The Redis-backed store, failing open: logged once per outage, counted every time. */
function sharedStore(app: FastifyInstance, url: string) {
  const redis = new Redis(url, {
    // Fail fast while Redis is away, instead of queueing commands behind requests.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: 250,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let failing = false;
  // Connection errors surface through the commands that fail; this keeps them off stderr.
  redis.on('error', () => {});
  redis.on('ready', () => {
    if (failing) app.log.info('the rate-limit store (Redis) is back');
    failing = false;
  });
  app.addHook('onClose', async () => { redis.disconnect(); });
  return redisStore(redis, 'aac-token-service:rate-limit:', (err) => {
    app.metrics.rateLimitStoreErrors.inc();
    if (!failing) app.log.warn({ err }, 'the rate-limit store (Redis) is unreachable: serving without shared limits');
    failing = true;
  });
}

export default fp(rateLimits, { name: 'rate-limits', dependencies: ['config', 'metrics'] });
