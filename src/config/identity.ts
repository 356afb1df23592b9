import { ConfigError, read, type Source } from './read.ts';

/** Where the identity provider's public keys come from. */
export type IdentityKeys =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'file'; readonly path: string }
  /** The service's own development identity provider (DEV_IDENTITY=true). */
  | { readonly kind: 'dev' };

/** How the identity tokens of users and workspace admins are verified (DESIGN.md §5). */
export interface IdentityConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly keys: IdentityKeys;
  readonly algorithms: readonly string[];
  readonly userClaim: string;
  readonly workspaceClaim: string;
  readonly rolesClaim: string;
  readonly adminRole: string;
  readonly clockToleranceSeconds: number;
}

export const DEV_IDENTITY_ISSUER = 'urn:aac-token-service:dev-identity';

/** Asymmetric algorithms only: an HMAC "signed" with a public key must never verify. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function readIdentity(source: Source): IdentityConfig | undefined {
  const dev = read.boolean(source, 'devIdentity', 'DEV_IDENTITY');
  const issuer = read.optionalString(source, 'identityIssuer', 'IDENTITY_ISSUER');
  if (dev && issuer) {
    throw new ConfigError('DEV_IDENTITY', 'must not be true while IDENTITY_ISSUER names a real identity provider');
  }
  if (!dev && !issuer) return undefined;

  const common = {
    audience: read.string(source, 'identityAudience', 'IDENTITY_AUDIENCE'),
    userClaim: read.string(source, 'identityUserClaim', 'IDENTITY_USER_CLAIM'),
    workspaceClaim: read.string(source, 'identityWorkspaceClaim', 'IDENTITY_WORKSPACE_CLAIM'),
    rolesClaim: read.string(source, 'identityRolesClaim', 'IDENTITY_ROLES_CLAIM'),
    adminRole: read.string(source, 'identityAdminRole', 'IDENTITY_ADMIN_ROLE'),
    clockToleranceSeconds: read.integer(source, 'identityClockTolerance', 'IDENTITY_CLOCK_TOLERANCE', 0, 300),
  };
  if (dev) return { ...common, issuer: DEV_IDENTITY_ISSUER, keys: { kind: 'dev' }, algorithms: ['ES256'] };

  const url = read.optionalString(source, 'identityJwksUrl', 'IDENTITY_JWKS_URL');
  const path = read.optionalString(source, 'identityJwksFile', 'IDENTITY_JWKS_FILE');
  if (Boolean(url) === Boolean(path)) {
    throw new ConfigError('IDENTITY_JWKS_URL', 'or IDENTITY_JWKS_FILE (exactly one) must say where the identity provider\'s keys are');
  }
  if (url && !/^https?:\/\//.test(url)) throw new ConfigError('IDENTITY_JWKS_URL', 'must be an http or https URL');

  const algorithms = read.list(source, 'identityAlgorithms', 'IDENTITY_ALGORITHMS');
  const unknown = algorithms.filter((alg) => !ALGORITHMS.includes(alg));
  if (algorithms.length === 0 || unknown.length > 0) {
    throw new ConfigError('IDENTITY_ALGORITHMS', `must list asymmetric algorithms from ${ALGORITHMS.join(', ')}${unknown.length ? `; not ${unknown.join(', ')}` : ''}`);
  }
  return {
    ...common,
    issuer: issuer!,
    keys: url ? { kind: 'url', url } : { kind: 'file', path: path! },
    algorithms,
  };
}
