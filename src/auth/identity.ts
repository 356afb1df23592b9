import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { IdentityConfig } from '../config/index.ts';
import { ConfigError } from '../config/index.ts';
import { AppError } from '../errors.ts';
import type { Caller } from './caller.ts';

export type UserCaller = Extract<Caller, { type: 'user' }>;
export type VerifyIdentity = (token: string) => Promise<UserCaller>;

/** A caller's identity token was refused: the reason, for a 401 the caller can act on. */
export class IdentityError extends Error {}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@|+-]{0,254}$/;

/** The identity provider's keys, as configured: a JWKS URL, a JWKS file, or the dev provider's. */
export async function identityKeys(identity: IdentityConfig, devJwks?: JSONWebKeySet): Promise<JWTVerifyGetKey> {
  switch (identity.keys.kind) {
    case 'url':
      // Cached; fetched again when a token names an unknown kid, at most every 30 s.
      return createRemoteJWKSet(new URL(identity.keys.url), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
    case 'file': {
      let jwks: JSONWebKeySet;
      try {
        jwks = JSON.parse(await readFile(identity.keys.path, 'utf8'));
      } catch (err) {
        throw new ConfigError('IDENTITY_JWKS_FILE', `could not be read as a JWKS from ${identity.keys.path}: ${(err as Error).message}`);
      }
      return createLocalJWKSet(jwks);
    }
    case 'dev':
      if (!devJwks) throw new Error('The development identity provider has no keys');
      return createLocalJWKSet(devJwks);
  }
}

/**
 * Verifies an identity token from the AAC identity provider: signature by an allowed
 * algorithm and a published key, issuer, audience and expiry, then the user, workspace and
 * roles claims (names configurable).
 */
export function createIdentityVerifier(identity: IdentityConfig, keys: JWTVerifyGetKey): VerifyIdentity {
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: identity.issuer,
        audience: identity.audience,
        algorithms: [...identity.algorithms],
        clockTolerance: identity.clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw describeFailure(err);
    }
    const userId = payload[identity.userClaim];
    const workspaceId = payload[identity.workspaceClaim];
    const roles = payload[identity.rolesClaim] ?? [];
    if (typeof userId !== 'string' || !ID_PATTERN.test(userId)) {
      throw new IdentityError(`The identity token has no valid "${identity.userClaim}" claim.`);
    }
    if (typeof workspaceId !== 'string' || !ID_PATTERN.test(workspaceId)) {
      throw new IdentityError(`The identity token has no valid "${identity.workspaceClaim}" claim.`);
    }
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
      throw new IdentityError(`The identity token's "${identity.rolesClaim}" claim must be a list of role names.`);
    }
    return { type: 'user', userId, workspaceId, admin: roles.includes(identity.adminRole) };
  };
}

/** jose's error codes, turned into what the caller needs to know; nothing about our keys. */
function describeFailure(err: unknown): Error {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new IdentityError('The identity token has expired; sign in again for a new one.');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return new IdentityError(`The identity token's "${(err as { claim?: string }).claim}" claim is not accepted here.`);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new AppError(503, 'temporarily_unavailable', 'The identity provider\'s keys cannot be fetched; retry shortly.');
    default:
      if (code === undefined && (err as Error).name === 'TypeError') {
        return new AppError(503, 'temporarily_unavailable', 'The identity provider\'s keys cannot be fetched; retry shortly.');
      }
      return new IdentityError('The identity token is not valid: its signature, algorithm or key is not accepted.');
  }
}
