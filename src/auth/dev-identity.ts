import { SignJWT, importJWK, type JSONWebKeySet } from 'jose';
import type { Kysely } from 'kysely';
import type { IdentityConfig } from '../config/index.ts';
import type { Database } from '../db/types.ts';
import { storedKeys } from '../oauth/keys.ts';

export interface DevIdentityRequest {
  userId: string;
  workspaceId: string;
  admin: boolean;
  ttlSeconds: number;
}

export interface DevIdentity {
  /** The public keys identity verification trusts. */
  jwks: JSONWebKeySet;
  mint(request: DevIdentityRequest): Promise<string>;
}

/**
 * The service as its own identity provider, for local use only (DEV_IDENTITY=true): an ES256
 * key kept in the database, so restarts and other instances accept the same tokens.
 */
export async function createDevIdentity(db: Kysely<Database>, identity: IdentityConfig): Promise<DevIdentity> {
  const [jwk] = await storedKeys(db, 'ES256', 'dev_identity');
  if (!jwk) throw new Error('No development identity key could be stored');
  const { d: _private, ...publicJwk } = jwk;
  const key = await importJWK(jwk, 'ES256');

  return {
    jwks: { keys: [publicJwk] },
    mint: ({ userId, workspaceId, admin, ttlSeconds }) => new SignJWT({
      [identity.userClaim]: userId,
      [identity.workspaceClaim]: workspaceId,
      [identity.rolesClaim]: admin ? [identity.adminRole] : [],
    })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'JWT' })
      .setIssuer(identity.issuer)
      .setAudience(identity.audience)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key),
  };
}
