import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import tap, { type Test } from 'tap';
import app from '../src/app.ts';
import { loadConfig, type Config } from '../src/config/index.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { serverOptions } from '../src/server-options.ts';

export const OPERATOR_KEY = `aacop_test_${'k'.repeat(40)}`;

export interface TestDatabase {
  databaseUrl: string | undefined;
  dataDir: string;
}

/**
 * A database of its own, removed when `t` ends: a fresh PostgreSQL database when
 * DATABASE_URL names a server, else a PGlite folder in a temporary directory.
 */
export async function createTestDatabase(t: Test | typeof tap): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aac-tokens-test-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { databaseUrl: undefined, dataDir };

  const name = `aac_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  t.teardown(() => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { databaseUrl: url.href, dataDir };
}

async function adminQuery(serverUrl: string, statement: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

let fileDatabase: Promise<{ database: TestDatabase; handle: DatabaseHandle }> | undefined;

/** The test file's database: created and migrated once, closed and removed when the file ends. */
export function sharedDatabase() {
  fileDatabase ??= (async () => {
    const database = await createTestDatabase(tap);
    const handle = await openDatabase(database);
    await migrateToLatest(handle.db);
    tap.teardown(() => handle.close());
    return { database, handle };
  })();
  return fileDatabase;
}

/** The configuration tests run with: defaults, the file's database, and `overrides`. */
export function testConfig(database: TestDatabase, overrides: Record<string, unknown> = {}): Config {
  return loadConfig({}, { logLevel: 'silent', bootstrapOperatorKey: OPERATOR_KEY, ...database, ...overrides });
}

/**
 * The app as `server.ts` builds it, on the file's database emptied of tokens and audit
 * events, ready for `inject`, and closed when the test ends.
 */
export async function buildApp(t: Test, overrides: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const { database, handle } = await sharedDatabase();
  await sql`TRUNCATE api_tokens, spent_refresh_tokens, audit_events`.execute(handle.db);
  return startApp(t, testConfig(database, overrides), handle);
}

/** Builds the app on `config`; with `handle`, on that open database instead of its own. */
export async function startApp(t: Test, config: Config, handle?: DatabaseHandle): Promise<FastifyInstance> {
  const server = Fastify(serverOptions(config, false));
  await server.register(app, { config, ...(handle ? { database: handle } : {}) });
  await server.ready();
  t.teardown(() => server.close());
  return server;
}

export interface Generated {
  id: string;
  access_token: string;
  refresh_token: string;
  client_id: string;
  expiresAt: string;
  [field: string]: unknown;
}

/** Generates a token as an operator; throws unless it is created. */
export async function generate(
  app: FastifyInstance,
  { workspaceId = 'ws-1', userId = 'alice', name = 'nightly export', lifetimeDays = 30 } = {},
): Promise<Generated> {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${workspaceId}/tokens`,
    headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    payload: { userId, name, lifetimeDays },
  });
  if (response.statusCode !== 201) throw new Error(`generation failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** POSTs a refresh_token grant to the token endpoint. */
export function refresh(app: FastifyInstance, refreshToken: string, clientId = 'aac-api-tokens') {
  return app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }).toString(),
  });
}

/** An identity token from the development identity provider (the app needs devIdentity: true). */
export async function identity(app: FastifyInstance, userId: string, workspaceId: string, admin = false): Promise<string> {
  if (!app.devIdentity) throw new Error('build the app with { devIdentity: true }');
  return app.devIdentity.mint({ userId, workspaceId, admin, ttlSeconds: 600 });
}

export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

/** The PostgreSQL server tests that need one use: DATABASE_URL, else the local one. */
export const POSTGRES_SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh PostgreSQL database of its own, dropped when `t` ends, even when DATABASE_URL is
 * unset: for what PGlite cannot show (several processes, the network to the database).
 */
export async function createPostgresDatabase(t: Test | typeof tap): Promise<TestDatabase & { databaseUrl: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aac-tokens-test-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const name = `aac_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(POSTGRES_SERVER_URL, `CREATE DATABASE ${name}`);
  t.teardown(() => adminQuery(POSTGRES_SERVER_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return { databaseUrl: url.href, dataDir };
}
