import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from './registry.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/**
 * Prometheus metrics at GET /metrics: on the main port, or on METRICS_PORT alone so that
 * they stay off the public listener.
 */
async function metricsPlugin(app: FastifyInstance) {
  const metrics = createMetrics(() => app.databaseStats());
  app.decorate('metrics', metrics);
  const mount = new URL(app.config.issuer).pathname;
  const providerPaths = new Set([`${mount}/token`, `${mount}/jwks`]);

  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { method: request.method, route: routeOf(request, providerPaths), status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  const serve = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  };

  const { metricsPort } = app.config;
  if (metricsPort === undefined) {
    app.get('/metrics', { schema: { hide: true } }, serve);
    return;
  }
  const server = Fastify({ logger: false });
  server.get('/metrics', serve);
  app.addHook('onReady', async () => { await server.listen({ host: app.config.host, port: metricsPort }); });
  app.addHook('onClose', async () => { await server.close(); });
}

/** The route template, so label values stay few: provider routes by path, others by pattern. */
function routeOf(request: FastifyRequest, providerPaths: ReadonlySet<string>): string {
  if (request.routeOptions.url) return request.routeOptions.url;
  // The provider's mount rewrites the raw URL; the original one keeps the full path.
  const path = request.originalUrl.split('?', 1)[0] ?? '';
  return providerPaths.has(path) ? path : 'unmatched';
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['config', 'db'] });
