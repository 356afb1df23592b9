import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_FOLDER } from '../paths.ts';
import { readIdentity, type IdentityConfig } from './identity.ts';
import { ConfigError, read, type Source } from './read.ts';

export { ConfigError } from './read.ts';
export type { IdentityConfig } from './identity.ts';

export type SigningAlg = 'ES256' | 'RS256' | 'EdDSA';

export interface ClientConfig {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly token_endpoint_auth_method: 'none' | 'client_secret_basic' | 'client_secret_post';
}

export interface Config {
  readonly host: string;
  readonly port: number;
  /** The OAuth issuer; its path is where the provider is mounted. */
  readonly issuer: string;
  /** Unset: the embedded PGlite database in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly migrateOnStart: boolean;
  readonly logLevel: string;
  /** As Fastify's `trustProxy`: false, true, a hop count or a list of addresses. */
  readonly trustProxy: boolean | number | readonly string[];
  readonly shutdownTimeoutMs: number;
  readonly apiAudience: string;
  /** Seconds an access token lives. */
  readonly accessTokenTtl: number;
  /** Seconds during which the refresh token replaced last may be presented again. */
  readonly refreshRetryLeeway: number;
  readonly signingAlg: SigningAlg;
  /** Path to a private JWKS; unset: keys are generated once and kept in the database. */
  readonly signingKeys: string | undefined;
  readonly tokenEndpointBodyLimit: number;
  readonly clients: readonly ClientConfig[];
  /** The client named in generated tokens: the first public client. */
  readonly defaultClientId: string;
  readonly bootstrapOperatorKey: string | undefined;
  /** Unset: no identity tokens are accepted, only operator keys. */
  readonly identity: IdentityConfig | undefined;
  /** The most active tokens one user may hold in one workspace. */
  readonly maxActiveTokensPerUser: number;
  /** PostgreSQL connections per instance. */
  readonly databasePoolSize: number;
  /** The longest a statement may run before PostgreSQL cancels it (and the caller gets 503). */
  readonly databaseStatementTimeoutMs: number;
  /** The refresh path's statements are prepared once per connection (see PoolOptions). */
  readonly databaseNamedStatements: boolean;
  /** Set: rate limits are shared by every instance through this Redis. */
  readonly redisUrl: string | undefined;
  readonly rateLimits: RateLimits;
  /** Set: /metrics is served on this port instead of the main one. */
  readonly metricsPort: number | undefined;
}

/** Requests allowed per window; 0 turns a limit off. */
export interface RateLimits {
  readonly windowMs: number;
  /** Token endpoint, per client address. */
  readonly tokenPerAddress: number;
  /** Token endpoint, per client id. */
  readonly tokenPerClient: number;
  /** Management routes, per caller (operator key or user). */
  readonly managementPerCaller: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Builds the one configuration object: `config/default.json`, then the JSON file named by
 * CONFIG_FILE, then environment variables. Throws ConfigError naming the first bad key.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, unknown> = {},
): Config {
  const defaults = readJson(resolve(CONFIG_FOLDER, 'default.json'), 'config/default.json');
  const file = env.CONFIG_FILE ? readJson(resolve(env.CONFIG_FILE), 'CONFIG_FILE') : {};
  const source: Source = { env, values: { ...defaults, ...file, ...overrides } };

  const clients = read.clients(source, 'clients', 'OAUTH_CLIENTS');
  const publicClient = clients.find((c) => c.token_endpoint_auth_method === 'none');
  if (!publicClient) {
    throw new ConfigError('clients', 'must contain a public client (token_endpoint_auth_method "none") for API tokens');
  }

  const config: Config = {
    host: read.string(source, 'host', 'HOST'),
    port: read.integer(source, 'port', 'PORT', 0, 65535),
    issuer: read.issuer(source, 'issuer', 'ISSUER'),
    databaseUrl: read.optionalString(source, 'databaseUrl', 'DATABASE_URL'),
    dataDir: resolve(read.string(source, 'dataDir', 'DATA_DIR')),
    migrateOnStart: read.boolean(source, 'migrateOnStart', 'MIGRATE_ON_START'),
    logLevel: read.oneOf(source, 'logLevel', 'LOG_LEVEL', LOG_LEVELS),
    trustProxy: read.trustProxy(source, 'trustProxy', 'TRUST_PROXY'),
    shutdownTimeoutMs: read.integer(source, 'shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS', 0, 600_000),
    apiAudience: read.string(source, 'apiAudience', 'API_AUDIENCE'),
    accessTokenTtl: read.integer(source, 'accessTokenTtl', 'ACCESS_TOKEN_TTL', 60, 86_400),
    refreshRetryLeeway: read.integer(source, 'refreshRetryLeeway', 'REFRESH_RETRY_LEEWAY', 0, 300),
    signingAlg: read.oneOf(source, 'signingAlg', 'SIGNING_ALG', ['ES256', 'RS256', 'EdDSA'] as const),
    signingKeys: read.optionalString(source, 'signingKeys', 'SIGNING_KEYS'),
    tokenEndpointBodyLimit: read.integer(source, 'tokenEndpointBodyLimit', 'TOKEN_ENDPOINT_BODY_LIMIT', 1024, 1_048_576),
    clients,
    defaultClientId: publicClient.client_id,
    bootstrapOperatorKey: read.secret(source, 'bootstrapOperatorKey', 'BOOTSTRAP_OPERATOR_KEY', 32),
    identity: readIdentity(source),
    maxActiveTokensPerUser: read.integer(source, 'maxActiveTokensPerUser', 'MAX_ACTIVE_TOKENS_PER_USER', 1, 10_000),
    databasePoolSize: read.integer(source, 'databasePoolSize', 'DATABASE_POOL_SIZE', 1, 1000),
    databaseStatementTimeoutMs: read.integer(source, 'databaseStatementTimeoutMs', 'DATABASE_STATEMENT_TIMEOUT_MS', 100, 600_000),
    databaseNamedStatements: read.boolean(source, 'databaseNamedStatements', 'DATABASE_NAMED_STATEMENTS'),
    redisUrl: read.optionalString(source, 'redisUrl', 'REDIS_URL'),
    rateLimits: {
      windowMs: read.integer(source, 'rateLimitWindowMs', 'RATE_LIMIT_WINDOW_MS', 1000, 3_600_000),
      tokenPerAddress: read.integer(source, 'rateLimitTokenPerAddress', 'RATE_LIMIT_TOKEN_PER_ADDRESS', 0, 1_000_000),
      tokenPerClient: read.integer(source, 'rateLimitTokenPerClient', 'RATE_LIMIT_TOKEN_PER_CLIENT', 0, 10_000_000),
      managementPerCaller: read.integer(source, 'rateLimitManagementPerCaller', 'RATE_LIMIT_MANAGEMENT_PER_CALLER', 0, 1_000_000),
    },
    metricsPort: read.optionalInteger(source, 'metricsPort', 'METRICS_PORT', 1, 65535),
  };
  return deepFreeze(config);
}

function readJson(path: string, key: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(key, `could not be read as JSON from ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(key, `${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** What the operator CLI needs beyond the service's configuration. */
export interface CliSettings {
  /** Where the running service listens. */
  readonly serviceUrl: string;
  /** OPERATOR_KEY; else the CLI reads DATA_DIR/operator-key. */
  readonly operatorKey: string | undefined;
}

export function loadCliSettings(config: Config, env: NodeJS.ProcessEnv = process.env): CliSettings {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return Object.freeze({
    serviceUrl: env.SERVICE_URL || `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`,
    operatorKey: env.OPERATOR_KEY || undefined,
  });
}
