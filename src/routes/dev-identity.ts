import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireOperator } from '../auth/access.ts';
import { DevIdentityRequestBody, DevIdentityTokenBody, errors, security } from './schemas.ts';

/**
 * Identity tokens from the development identity provider, for operators to hand to local
 * users and scripts. Registered only when DEV_IDENTITY=true.
 */
const devIdentity: FastifyPluginAsyncTypebox = async (app) => {
  const provider = app.devIdentity;
  if (!provider) return;
  app.addHook('preHandler', app.authenticate);

  app.post('/v1/dev/identity-tokens', {
    schema: {
      summary: 'Mint an identity token (development identity provider only)',
      tags: ['development'],
      security,
      body: DevIdentityRequestBody,
      response: { 201: DevIdentityTokenBody, ...errors },
    },
  }, async (request, reply) => {
    requireOperator(request.caller);
    const { userId, workspaceId, admin = false, ttlSeconds = 3600 } = request.body;
    const token = await provider.mint({ userId, workspaceId, admin, ttlSeconds });
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ identity_token: token, expires_in: ttlSeconds });
  });
};

export default devIdentity;
