import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireOperator } from '../auth/access.ts';
import { createKey, listKeys, revokeKey } from '../auth/operator-keys.ts';
import { AppError, notFound } from '../errors.ts';
import { CreateOperatorKeyBody, ErrorBody, NewOperatorKeyBody, OperatorKeyBody, OperatorKeyParams, errors, security } from './schemas.ts';

/** Operator keys, managed by operators: created (shown once), listed, revoked. */
const operatorKeys: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate);
  app.addHook('preHandler', async (request) => requireOperator(request.caller));

  app.post('/v1/operator-keys', {
    schema: {
      summary: 'Create an operator key; the key is in this answer only',
      tags: ['operator keys'],
      security,
      body: CreateOperatorKeyBody,
      response: { 201: NewOperatorKeyBody, ...errors },
    },
  }, async (request, reply) => {
    const created = await createKey(app.db, request.body.name);
    request.log.info({ operatorKeyId: created.id, by: request.caller }, 'operator key created');
    reply.header('cache-control', 'no-store');
    return reply.code(201).send(created);
  });

  app.get('/v1/operator-keys', {
    schema: {
      summary: 'List operator keys (never the keys themselves)',
      tags: ['operator keys'],
      security,
      response: { 200: Type.Object({ items: Type.Array(OperatorKeyBody) }), ...errors },
    },
  }, async () => ({ items: await listKeys(app.db) }));

  app.post('/v1/operator-keys/:keyId/revoke', {
    schema: {
      summary: 'Revoke an operator key',
      tags: ['operator keys'],
      security,
      params: OperatorKeyParams,
      response: { 200: OperatorKeyBody, 409: ErrorBody, ...errors },
    },
  }, async (request) => {
    const result = await revokeKey(app.db, request.params.keyId);
    if (result === 'last') {
      throw new AppError(409, 'last_operator_key', 'This is the last live operator key; create another before revoking it.');
    }
    if (!result) throw notFound('There is no such operator key.');
    request.log.info({ operatorKeyId: result.id, by: request.caller }, 'operator key revoked');
    return result;
  });
};

export default operatorKeys;
