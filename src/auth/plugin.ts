import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import { bootstrapOperatorKey } from './bootstrap.ts';
import type { Caller } from './caller.ts';
import { findActiveKey } from './operator-keys.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: identifies the caller or answers 401. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

const REALM = 'aac-token-service';

/** A 401 with the RFC 6750 §3 challenge, so clients know how to authenticate. */
export function unauthorized(reply: FastifyReply, message: string, error = 'invalid_token'): AppError {
  reply.header('www-authenticate', `Bearer realm="${REALM}", error="${error}"`);
  return new AppError(401, 'unauthorized', message);
}

async function auth(app: FastifyInstance) {
  await bootstrapOperatorKey(app.config, app.db, app.databaseKind, app.log);

  app.decorateRequest<Caller | null>('caller', null);
  app.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (!header) {
      reply.header('www-authenticate', `Bearer realm="${REALM}"`);
      throw new AppError(401, 'unauthorized', 'Send an operator key or an identity token as "Authorization: Bearer <credential>".');
    }
    const [scheme, credential, ...rest] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !credential || rest.length > 0) {
      throw unauthorized(reply, 'The Authorization header must be "Bearer <credential>".', 'invalid_request');
    }
    const key = await findActiveKey(app.db, credential);
    if (!key) throw unauthorized(reply, 'The credential is not valid, or has been revoked.');
    request.caller = { type: 'operator', keyId: key.id, name: key.name };
  });
}

export default fp(auth, { name: 'auth', dependencies: ['config', 'db'] });
