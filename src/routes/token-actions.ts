import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tokenScope } from '../auth/access.ts';
import { actorOf } from '../auth/caller.ts';
import { Type } from 'typebox';
import { notFound } from '../errors.ts';
import type { Actor } from '../tokens/model.ts';
import type { Scope } from '../tokens/repository.ts';
import { ApiTokenBody, BulkBody, BulkResultBody, DisableBody, TokenParams, WorkspaceParams, errors, security } from './schemas.ts';
import { TOKEN_NOT_FOUND } from './tokens.ts';

const USER_REQUEST = 'user_request';

/**
 * Disabling (irreversible) and deleting tokens, one or many. Either stops the refresh token
 * at once; access tokens already issued run out by themselves within the hour.
 */
const tokenActions: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate);

  app.post('/v1/workspaces/:workspaceId/tokens/:tokenId/disable', {
    schema: {
      summary: 'Disable an API token, irreversibly',
      tags: ['tokens'],
      security,
      params: TokenParams,
      body: DisableBody,
      response: { 200: ApiTokenBody, ...errors },
    },
    // The body is optional: a bare POST disables with the default reason.
    preValidation: async (request) => { request.body ??= {}; },
  }, async (request) => {
    const scope = tokenScope(request.caller, request.params.workspaceId);
    const { tokenId } = request.params;
    const [outcome] = await app.tokens.disable(scope, [tokenId], actorOf(request.caller, request.ip), request.body.reason ?? USER_REQUEST);
    const token = outcome?.result === 'not_found' ? undefined : await app.tokens.get(scope, tokenId);
    if (!token) throw notFound(TOKEN_NOT_FOUND);
    return token;
  });

  app.delete('/v1/workspaces/:workspaceId/tokens/:tokenId', {
    schema: {
      summary: 'Delete an API token',
      tags: ['tokens'],
      security,
      params: TokenParams,
      response: { 204: Type.Null({ description: 'deleted' }), ...errors },
    },
  }, async (request, reply) => {
    const scope = tokenScope(request.caller, request.params.workspaceId);
    const [outcome] = await app.tokens.remove(scope, [request.params.tokenId], actorOf(request.caller, request.ip));
    if (outcome?.result !== 'deleted') throw notFound(TOKEN_NOT_FOUND);
    return reply.code(204).send(null);
  });

  const bulkActions = {
    disable: {
      summary: 'Disable up to 500 API tokens in one transaction',
      results: 'disabled, already_disabled or not_found',
      run: (scope: Scope, ids: string[], actor: Actor) => app.tokens.disable(scope, ids, actor, USER_REQUEST),
    },
    delete: {
      summary: 'Delete up to 500 API tokens in one transaction',
      results: 'deleted or not_found',
      run: (scope: Scope, ids: string[], actor: Actor) => app.tokens.remove(scope, ids, actor),
    },
  };
  for (const [action, { summary, results, run }] of Object.entries(bulkActions)) {
    app.post(`/v1/workspaces/:workspaceId/tokens/${action}`, {
      schema: {
        summary,
        description: `A result per distinct id: ${results} (which includes tokens the caller may not see).`,
        tags: ['tokens'],
        security,
        params: WorkspaceParams,
        body: BulkBody,
        response: { 200: BulkResultBody, ...errors },
      },
    }, async (request) => {
      const scope = tokenScope(request.caller, request.params.workspaceId);
      return { results: await run(scope, request.body.ids, actorOf(request.caller, request.ip)) };
    });
  }
};

export default tokenActions;
