import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import t from 'tap';
import { OPERATOR_KEY, bearer, createPostgresDatabase, generate, refresh, startApp, testConfig } from '../helper.ts';

// Several processes on one database need PostgreSQL (one process at a time may open a
// PGlite folder), so this runs on a PostgreSQL server whatever DATABASE_URL says.

const jwks = async (app: FastifyInstance) => (await app.inject('/oauth2/jwks')).json() as { keys: Array<Record<string, unknown>> };

t.test('two instances on one database share tokens, disables and signing keys', async (t) => {
  const database = await createPostgresDatabase(t);
  // Started together, as a deployment does: each migrates and looks for a signing key at once.
  // Each opens its own pool; nothing is shared in memory.
  const [a, b] = await Promise.all([
    startApp(t, testConfig(database, { refreshRetryLeeway: 0, databasePoolSize: 2 })),
    startApp(t, testConfig(database, { refreshRetryLeeway: 0, databasePoolSize: 2 })),
  ]);

  const published = await jwks(a);
  t.ok(published.keys.length >= 1, 'A publishes a key');
  t.same(await jwks(b), published, 'B publishes the same JWKS');
  t.notOk(published.keys.some((key) => 'd' in key), 'no private key material is published');

  const token = await generate(a);
  const onB = await refresh(b, token.refresh_token);
  t.equal(onB.statusCode, 200, 'a token generated on A refreshes on B');
  const { access_token: accessToken, refresh_token: next } = onB.json();
  const verified = await jwtVerify(accessToken, createLocalJWKSet(published as never), { typ: 'at+jwt' });
  t.equal(verified.payload.token_id, token.id, "B's access token verifies against A's JWKS");

  const disabled = await b.inject({
    method: 'POST',
    url: `/v1/workspaces/ws-1/tokens/${token.id}/disable`,
    headers: bearer(OPERATOR_KEY),
  });
  t.equal(disabled.statusCode, 200, 'disabled on B');

  const onA = await refresh(a, next);
  t.equal(onA.statusCode, 400, 'the refresh token B issued is refused on A');
  t.equal(onA.json().error, 'invalid_grant');
  t.match(onA.json().error_description, /disabled/);

  const listed = await a.inject({ url: `/v1/workspaces/ws-1/tokens/${token.id}`, headers: bearer(OPERATOR_KEY) });
  t.equal(listed.json().status, 'disabled', 'A sees the disable B made');
});
