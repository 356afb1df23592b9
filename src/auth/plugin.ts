import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import { bootstrapOperatorKey } from './bootstrap.ts';
import type { Caller } from './caller.ts';
import { createDevIdentity, type DevIdentity } from './dev-identity.ts';
import { IdentityError, createIdentityVerifier, identityKeys, type VerifyIdentity } from './identity.ts';
import { findActiveKey } from './operator-keys.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: identifies the caller or answers 401. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Set when DEV_IDENTITY=true. */
    devIdentity: DevIdentity | undefined;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

const REALM = 'aac-token-service';
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * Callers of the management routes (DESIGN.md §5): operators with an operator key, users
 * and workspace admins with an identity token. Either way, `Authorization: Bearer …`.
 */
async function auth(app: FastifyInstance) {
  const { config, db } = app;
  await bootstrapOperatorKey(config, db, app.databaseKind, app.log);

  const devIdentity = config.identity?.keys.kind === 'dev' ? await createDevIdentity(db, config.identity) : undefined;
  const verifyIdentity: VerifyIdentity | undefined = config.identity
    ? createIdentityVerifier(config.identity, await identityKeys(config.identity, devIdentity?.jwks))
    : undefined;
  if (devIdentity) app.log.warn('the development identity provider is on: never use it in production');

  app.decorate('devIdentity', devIdentity);
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

    if (JWT_SHAPE.test(credential)) {
      if (!verifyIdentity) throw unauthorized(reply, 'Identity tokens are not accepted here: no identity provider is configured.');
      try {
        request.caller = await verifyIdentity(credential);
      } catch (err) {
        if (err instanceof IdentityError) throw unauthorized(reply, err.message);
        throw err;
      }
    } else {
      const key = await findActiveKey(db, credential);
      if (!key) throw unauthorized(reply, 'The operator key is not valid, or has been revoked.');
      request.caller = { type: 'operator', keyId: key.id, name: key.name };
    }
    await app.limitCaller(request, reply);
  });
}

/** A 401 with the RFC 6750 §3 challenge, so clients know how to authenticate. */
function unauthorized(reply: FastifyReply, message: string, error = 'invalid_token'): AppError {
  reply.header('www-authenticate', `Bearer realm="${REALM}", error="${error}"`);
  return new AppError(401, 'unauthorized', message);
}

export default fp(auth, { name: 'auth', dependencies: ['config', 'db', 'rate-limits'] });
