import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/caller.ts';
import { AppError, badRequest } from '../errors.ts';
import { ErrorBody, GenerateBody, GeneratedTokenBody, WorkspaceParams } from './schemas.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };

/** The management routes of API tokens (DESIGN.md §4). */
const tokens: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate);

  app.post('/v1/workspaces/:workspaceId/tokens', {
    schema: {
      summary: 'Generate an API token; its secrets are in this answer only',
      params: WorkspaceParams,
      body: GenerateBody,
      response: { 201: GeneratedTokenBody, ...errors },
    },
  }, async (request, reply) => {
    const { caller } = request;
    const { workspaceId } = request.params;
    let userId: string;
    if (caller.type === 'operator') {
      if (!request.body.userId) throw badRequest('userId is required when an operator generates a token: name the user who will own it.');
      userId = request.body.userId;
    } else {
      if (request.body.userId !== undefined && request.body.userId !== caller.userId) {
        throw new AppError(403, 'forbidden', 'A user generates tokens for themselves only; leave userId out.');
      }
      userId = caller.userId;
    }
    const token = await app.generateToken({
      workspaceId,
      userId,
      name: request.body.name,
      lifetimeDays: request.body.lifetimeDays,
      actor: actorOf(caller, request.ip),
    });
    reply.header('cache-control', 'no-store');
    return reply.code(201).send(token);
  });
};

export default tokens;
