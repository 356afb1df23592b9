import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import authPlugin from './auth/plugin.ts';
import type { Config } from './config/index.ts';
import configPlugin from './config/plugin.ts';
import type { DatabaseHandle } from './db/connect.ts';
import { DatabaseUnavailableError } from './db/errors.ts';
import dbPlugin from './db/plugin.ts';
import { AppError } from './errors.ts';
import metricsPlugin from './metrics/plugin.ts';
import oauthPlugin from './oauth/plugin.ts';
import rateLimitPlugin from './ratelimit/plugin.ts';
import { RETRY_AFTER_SECONDS } from './oauth/provider.ts';
import openapi from './openapi.ts';
import auditRoutes from './routes/audit.ts';
import devIdentityRoutes from './routes/dev-identity.ts';
import healthRoutes from './routes/health.ts';
import operatorKeyRoutes from './routes/operator-keys.ts';
import tokenActionRoutes from './routes/token-actions.ts';
import tokenRoutes from './routes/tokens.ts';
import { describeValidationErrors, validatorCompiler } from './validation.ts';

export interface AppOptions {
  config: Config;
  /** An open database to share (tests); by default the app opens its own. */
  database?: DatabaseHandle;
}

/**
 * The whole service as one Fastify plugin: infrastructure (config, database, OAuth), then
 * callers, then routes. `server.ts` starts it; tests build the same plugin.
 */
async function app(fastify: FastifyInstance, { config, database }: AppOptions) {
  fastify.setValidatorCompiler(validatorCompiler());
  fastify.setErrorHandler(handleError);
  fastify.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: `There is no ${request.method} ${request.url.split('?', 1)[0]}.` });
  });

  await fastify.register(configPlugin, { config });
  await fastify.register(dbPlugin, { database });
  await fastify.register(metricsPlugin);
  await fastify.register(rateLimitPlugin);
  await fastify.register(oauthPlugin);
  await fastify.register(authPlugin);

  await fastify.register(openapi);
  await fastify.register(healthRoutes);
  await fastify.register(tokenRoutes);
  await fastify.register(tokenActionRoutes);
  await fastify.register(auditRoutes);
  await fastify.register(operatorKeyRoutes);
  await fastify.register(devIdentityRoutes);
}

const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
};

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    return reply.code(error.status).send({ error: error.code, message: error.message });
  }
  if (error.validation) {
    return reply.code(400).send({
      error: 'invalid_request',
      message: describeValidationErrors(error.validation as never, error.validationContext ?? 'request'),
    });
  }
  if (error instanceof DatabaseUnavailableError) {
    request.log.error({ err: error.cause }, 'database unavailable');
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.code(503).send({ error: 'temporarily_unavailable', message: 'The token service cannot reach its database; retry shortly.' });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx (a malformed JSON body, a wrong content type, a body too large).
    return reply.code(status).send({ error: FASTIFY_CLIENT_ERRORS[error.code] ?? 'invalid_request', message: error.message });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send({ error: 'internal_error', message: 'Something went wrong on our side; it has been logged.' });
}

export default fp(app, { name: 'app' });
