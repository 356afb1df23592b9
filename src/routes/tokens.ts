import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { forbidden, tokenScope } from '../auth/access.ts';
import { actorOf } from '../auth/caller.ts';
import { badRequest, notFound } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import {
  ApiTokenBody,
  ErrorBody,
  errors,
  security,
  GenerateBody,
  GeneratedTokenBody,
  ListQuery,
  TokenPageBody,
  TokenParams,
  WorkspaceParams,
} from './schemas.ts';

export const TOKEN_NOT_FOUND = 'There is no such token in this workspace.';

/** Generating, listing and reading API tokens (DESIGN.md §4). */
const tokens: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate);

  app.post('/v1/workspaces/:workspaceId/tokens', {
    schema: {
      summary: 'Generate an API token; its secrets are in this answer only',
      description: 'Users generate for themselves; operators name the owner in userId.',
      tags: ['tokens'],
      security,
      params: WorkspaceParams,
      body: GenerateBody,
      response: { 201: GeneratedTokenBody, 409: ErrorBody, ...errors },
    },
  }, async (request, reply) => {
    const { caller } = request;
    const { workspaceId } = request.params;
    tokenScope(caller, workspaceId);
    let userId: string;
    if (caller.type === 'operator') {
      if (!request.body.userId) throw badRequest('userId is required when an operator generates a token: name the user who will own it.');
      userId = request.body.userId;
    } else {
      if (request.body.userId !== undefined && request.body.userId !== caller.userId) {
        throw forbidden('Users generate tokens for themselves only; leave userId out.');
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

  app.get('/v1/workspaces/:workspaceId/tokens', {
    schema: {
      summary: 'List API tokens, newest first',
      description: 'Users see their own tokens; workspace admins and operators see every token of the workspace.',
      tags: ['tokens'],
      security,
      params: WorkspaceParams,
      querystring: ListQuery,
      response: { 200: TokenPageBody, ...errors },
    },
  }, async (request) => {
    const { caller } = request;
    const { userId, status, name, limit = 50, cursor } = request.query;
    const scope = tokenScope(caller, request.params.workspaceId);
    if (scope.userId !== undefined && userId !== undefined && userId !== scope.userId) {
      throw forbidden('Only workspace admins and operators may list the tokens of other users.');
    }
    const page = await app.tokens.list(scope, { userId, status, name }, limit, decodeCursor(cursor));
    return { items: page.items, nextCursor: encodeCursor(page.next) };
  });

  app.get('/v1/workspaces/:workspaceId/tokens/:tokenId', {
    schema: {
      summary: 'Read one API token',
      tags: ['tokens'],
      security,
      params: TokenParams,
      response: { 200: ApiTokenBody, ...errors },
    },
  }, async (request) => {
    const token = await app.tokens.get(tokenScope(request.caller, request.params.workspaceId), request.params.tokenId);
    if (!token) throw notFound(TOKEN_NOT_FOUND);
    return token;
  });
};

export default tokens;
