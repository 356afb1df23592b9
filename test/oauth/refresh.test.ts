import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { sql } from 'kysely';
import t from 'tap';
import { buildApp, generate, refresh } from '../helper.ts';

const AUDIENCE = 'https://api.alteryxcloud.com';
const ISSUER = 'http://localhost:8080/oauth2';

t.test('a refreshed access token verifies against the JWKS and names its user, workspace and token', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app, { workspaceId: 'ws-7', userId: 'alice' });

  const response = await refresh(app, token.refresh_token);
  t.equal(response.statusCode, 200);
  t.equal(response.headers['cache-control'], 'no-store');
  const body = response.json();
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, 3600);
  t.type(body.refresh_token, 'string');
  t.not(body.refresh_token, token.refresh_token, 'the refresh token rotates');

  const jwks = createLocalJWKSet((await app.inject('/oauth2/jwks')).json());
  const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
    typ: 'at+jwt',
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
  });
  t.equal(protectedHeader.typ, 'at+jwt');
  t.type(protectedHeader.kid, 'string');
  t.equal(payload.sub, 'alice');
  t.equal(payload.workspace_id, 'ws-7');
  t.equal(payload.token_id, token.id);
  t.equal(payload.client_id, 'aac-api-tokens');
  t.type(payload.jti, 'string');
  t.equal(payload.exp! - payload.iat!, 3600);
});

t.test('the access token given at generation looks like a refreshed one', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app, { workspaceId: 'ws-2', userId: 'bob' });
  const jwks = createLocalJWKSet((await app.inject('/oauth2/jwks')).json());
  const { payload } = await jwtVerify(token.access_token, jwks, { typ: 'at+jwt', issuer: ISSUER, audience: AUDIENCE });
  t.match(payload, { sub: 'bob', workspace_id: 'ws-2', token_id: token.id, client_id: 'aac-api-tokens' });
});

t.test('any used refresh token, however many rotations old, is reuse: the API token is disabled', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 30 });
  const token = await generate(app);
  let newest = token.refresh_token;
  for (let i = 0; i < 3; i++) newest = (await refresh(app, newest)).json().refresh_token;

  const stale = await refresh(app, token.refresh_token);
  t.equal(stale.statusCode, 400);
  t.equal(stale.json().error, 'invalid_grant');
  t.match(stale.json().error_description, /already used/);

  const row = await app.db.selectFrom('api_tokens').select(['disabled_reason', 'rotations']).where('id', '=', token.id).executeTakeFirstOrThrow();
  t.equal(row.disabled_reason, 'reuse_detected');
  t.equal(row.rotations, 3, 'the stale token rotated nothing');
  const events = await app.db.selectFrom('audit_events').select('details').where('token_id', '=', token.id).where('action', '=', 'reuse_detected').execute();
  t.equal(events.length, 1, 'the reuse is audited');

  const after = await refresh(app, newest);
  t.equal(after.statusCode, 400, 'the newest refresh token stops with it');
  t.match(after.json().error_description, /disabled because one of its refresh tokens was used twice/);
});

t.test('a refresh token that was never issued is not recognised and disables nothing', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  t.equal((await refresh(app, token.refresh_token)).statusCode, 200);

  const forged = await refresh(app, 'x'.repeat(43));
  t.equal(forged.statusCode, 400);
  t.match(forged.json().error_description, /not recognised/);
  const row = await app.db.selectFrom('api_tokens').select('disabled_at').where('id', '=', token.id).executeTakeFirstOrThrow();
  t.equal(row.disabled_at, null);
});

t.test('used refresh tokens are kept until their API token expires, then swept', async (t) => {
  const app = await buildApp(t);
  const expiring = await generate(app, { name: 'expiring' });
  const live = await generate(app, { name: 'live' });
  let current = expiring.refresh_token;
  for (let i = 0; i < 3; i++) current = (await refresh(app, current)).json().refresh_token;
  t.equal((await refresh(app, live.refresh_token)).statusCode, 200);

  const spent = (id: string) => app.db.selectFrom('spent_refresh_tokens').select('hash').where('token_id', '=', id).execute();
  t.equal((await spent(expiring.id)).length, 3, 'one per rotation');
  t.equal((await app.tokens.sweepSpent()), 0, 'nothing is swept before expiry');

  await app.db.updateTable('api_tokens').set({ created_at: sql`now() - interval '2 days'`, expires_at: sql`now() - interval '1 second'` }).where('id', '=', expiring.id).execute();
  await app.db.updateTable('spent_refresh_tokens').set({ expires_at: sql`now() - interval '1 second'` }).where('token_id', '=', expiring.id).execute();
  t.equal(await app.tokens.sweepSpent(1), 3, 'swept in batches until none is left');
  t.same(await spent(expiring.id), []);
  t.equal((await spent(live.id)).length, 1, "a live token's used refresh tokens stay");
});

t.test('rotations never extend the expiry chosen at generation', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app, { lifetimeDays: 1 });
  let current = token.refresh_token;
  for (let i = 0; i < 5; i++) {
    const response = await refresh(app, current);
    t.equal(response.statusCode, 200);
    current = response.json().refresh_token;
  }
  const row = await app.db.selectFrom('api_tokens').select(['expires_at', 'rotations']).where('id', '=', token.id).executeTakeFirstOrThrow();
  t.equal(row.expires_at.toISOString(), token.expiresAt);
  t.equal(row.rotations, 5);
});

t.test('an access token never outlives its API token', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  await app.db.updateTable('api_tokens').set({ expires_at: sql`now() + interval '10 minutes'` }).where('id', '=', token.id).execute();

  const response = await refresh(app, token.refresh_token);
  t.equal(response.statusCode, 200);
  const { exp } = decodeJwt(response.json().access_token);
  t.ok(response.json().expires_in <= 600, 'expires_in is capped by the API token');
  t.ok(exp! <= Math.ceil(Date.now() / 1000) + 600);
});

t.test('a token past its expiry fails with a description that says so', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  await app.db.updateTable('api_tokens')
    .set({ created_at: sql`now() - interval '2 days'`, expires_at: sql`now() - interval '1 second'` })
    .where('id', '=', token.id)
    .execute();

  const response = await refresh(app, token.refresh_token);
  t.equal(response.statusCode, 400);
  t.equal(response.json().error, 'invalid_grant');
  t.match(response.json().error_description, /expired/);
});

t.test('within the retry leeway the previous refresh token rotates again and invalidates its successor', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 30 });
  const token = await generate(app);
  const lost = (await refresh(app, token.refresh_token)).json().refresh_token;

  const retry = await refresh(app, token.refresh_token);
  t.equal(retry.statusCode, 200, 'the retry succeeds');
  const successor = retry.json().refresh_token;

  const superseded = await refresh(app, lost);
  t.equal(superseded.statusCode, 400, 'the successor issued before the retry is no longer valid');
  t.equal((await refresh(app, successor)).statusCode, 200, 'the newest refresh token works');
});

t.test('outside the leeway, reuse disables the API token and its newest refresh token fails', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 30 });
  const token = await generate(app);
  const newest = (await refresh(app, token.refresh_token)).json().refresh_token;
  await app.db.updateTable('api_tokens').set({ rotated_at: sql`now() - interval '31 seconds'` }).where('id', '=', token.id).execute();

  const reuse = await refresh(app, token.refresh_token);
  t.equal(reuse.statusCode, 400);
  t.equal(reuse.json().error, 'invalid_grant');
  t.match(reuse.json().error_description, /already used/);

  const row = await app.db.selectFrom('api_tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
  t.equal(row.disabled_reason, 'reuse_detected');
  t.equal(row.disabled_by, 'system');
  const events = await app.db.selectFrom('audit_events').selectAll().where('token_id', '=', token.id).where('action', '=', 'reuse_detected').execute();
  t.equal(events.length, 1, 'the reuse is audited');

  const after = await refresh(app, newest);
  t.equal(after.statusCode, 400);
  t.match(after.json().error_description, /disabled because one of its refresh tokens was used twice/);
});

t.test('with no leeway, presenting the previous refresh token at once is reuse', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 0 });
  const token = await generate(app);
  t.equal((await refresh(app, token.refresh_token)).statusCode, 200);
  const reuse = await refresh(app, token.refresh_token);
  t.equal(reuse.statusCode, 400);
  const row = await app.db.selectFrom('api_tokens').select('disabled_reason').where('id', '=', token.id).executeTakeFirstOrThrow();
  t.equal(row.disabled_reason, 'reuse_detected');
});

t.test('disabled and deleted tokens cannot be refreshed', async (t) => {
  const app = await buildApp(t);
  const disabled = await generate(app);
  const deleted = await generate(app);
  const operator = { type: 'operator' as const, id: 'test' };
  await app.tokens.disable({ workspaceId: 'ws-1' }, [disabled.id], operator);
  await app.tokens.remove({ workspaceId: 'ws-1' }, [deleted.id], operator);

  const a = await refresh(app, disabled.refresh_token);
  t.equal(a.statusCode, 400);
  t.match(a.json(), { error: 'invalid_grant', error_description: /has been disabled/ });
  const b = await refresh(app, deleted.refresh_token);
  t.equal(b.statusCode, 400);
  t.match(b.json(), { error: 'invalid_grant', error_description: /has been deleted/ });
});
