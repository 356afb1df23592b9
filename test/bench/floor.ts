/**
 * The floor: the least a refresh grant can do on this schema, as a bare Fastify route.
 * Parse the form, one indexed read by hash, one compare-and-set that rotates the hash,
 * one ES256 signature, the same JSON answer. Run as a child process by run.ts with PORT,
 * DATABASE_URL and ISSUER; it signs with the key the service stored in `signing_keys`.
 */
import { createHash, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { importJWK, SignJWT, type JWK } from 'jose';
import pg from 'pg';

const port = Number(process.env.PORT);
const issuer = required('ISSUER');
const audience = process.env.API_AUDIENCE ?? 'https://api.alteryxcloud.com';
const accessTokenTtl = 3600;

interface TokenRow {
  id: string;
  workspace_id: string;
  user_id: string;
  client_id: string;
  expires_at: Date;
  disabled_at: Date | null;
  deleted_at: Date | null;
}

// The same pool size as the service's (run.ts gives both DATABASE_POOL_SIZE).
const pool = new pg.Pool({ connectionString: required('DATABASE_URL'), max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const { kid, key } = await signingKey(pool);

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});

app.get('/readyz', async () => ({ status: 'ready' }));

app.post('/token', async (request, reply) => {
  const form = (request.body ?? {}) as Record<string, string | undefined>;
  const presented = form.refresh_token;
  if (form.grant_type !== 'refresh_token' || !presented || !form.client_id) {
    return reply.code(400).send({ error: 'invalid_request' });
  }
  const presentedHash = sha256(presented);
  // Named statements, parsed and planned once per connection, as the service's are.
  const { rows: [token] } = await pool.query<TokenRow>({
    name: 'floor_select',
    text: `SELECT id, workspace_id, user_id, client_id, expires_at, disabled_at, deleted_at
           FROM api_tokens WHERE refresh_hash = $1`,
    values: [presentedHash],
  });
  const now = Date.now();
  if (!token || token.client_id !== form.client_id || token.disabled_at || token.deleted_at || token.expires_at.getTime() <= now) {
    return reply.code(400).send({ error: 'invalid_grant' });
  }

  const refreshToken = randomBytes(32).toString('base64url');
  const rotated = await pool.query({
    name: 'floor_rotate',
    text: `UPDATE api_tokens
           SET refresh_hash = $1, previous_refresh_hash = refresh_hash, rotated_at = now(),
               rotations = rotations + 1, last_used_at = now()
           WHERE id = $2 AND refresh_hash = $3`,
    values: [sha256(refreshToken), token.id, presentedHash],
  });
  if (rotated.rowCount !== 1) return reply.code(400).send({ error: 'invalid_grant' });

  // The claims the service puts in its access tokens (RFC 9068 plus workspace and token).
  const iat = Math.floor(now / 1000);
  const expiresIn = Math.max(1, Math.min(accessTokenTtl, Math.floor((token.expires_at.getTime() - now) / 1000)));
  const accessToken = await new SignJWT({
    workspace_id: token.workspace_id,
    token_id: token.id,
    client_id: token.client_id,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setJti(randomBytes(32).toString('base64url'))
    .setSubject(token.user_id)
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .setIssuer(issuer)
    .setAudience(audience)
    .sign(key);

  reply.header('cache-control', 'no-store');
  return { access_token: accessToken, expires_in: expiresIn, refresh_token: refreshToken, token_type: 'Bearer' };
});

async function signingKey(db: pg.Pool) {
  const { rows: [row] } = await db.query<{ kid: string; private_jwk: JWK }>(
    `SELECT kid, private_jwk FROM signing_keys WHERE alg = 'ES256' AND retired_at IS NULL`,
  );
  if (!row) throw new Error('No active ES256 key in signing_keys: start the service on this database first');
  return { kid: row.kid, key: await importJWK(row.private_jwk, 'ES256') };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await app.close();
  await pool.end();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
// Started with an IPC channel: when the benchmark goes away, so does the floor.
process.on('disconnect', () => void shutdown());

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port });
