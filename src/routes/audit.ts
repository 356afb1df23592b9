import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../auth/access.ts';
import { AuditPageBody, AuditQuery, WorkspaceParams, errors, security } from './schemas.ts';

/** The workspace's audit log: who generated, disabled or deleted which token, and every reuse. */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate);

  app.get('/v1/workspaces/:workspaceId/audit-events', {
    schema: {
      summary: 'List audit events, newest first (workspace admins and operators)',
      tags: ['audit'],
      security,
      params: WorkspaceParams,
      querystring: AuditQuery,
      response: { 200: AuditPageBody, ...errors },
    },
  }, async (request) => {
    const { workspaceId } = request.params;
    requireAdmin(request.caller, workspaceId);
    const { tokenId, limit = 50, cursor } = request.query;
    const page = await app.tokens.auditEvents(workspaceId, { tokenId, before: cursor }, limit);
    return { items: page.items, nextCursor: page.next };
  });
};

export default audit;
