import t from 'tap';
import { buildApp, generate, refresh } from '../helper.ts';

const INTERNAL = { client_id: 'internal-scheduler', client_secret: 's'.repeat(40), token_endpoint_auth_method: 'client_secret_basic' };
const CLIENTS = [{ client_id: 'aac-api-tokens', token_endpoint_auth_method: 'none' }, INTERNAL];

function post(app: Awaited<ReturnType<typeof buildApp>>, payload: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload,
  });
}

t.test('bad requests get the OAuth error that names the problem, never a 500', async (t) => {
  const app = await buildApp(t, { clients: CLIENTS });
  const token = await generate(app);

  const cases: Array<[string, Promise<{ statusCode: number; json: () => any; headers: Record<string, unknown> }>, number, string]> = [
    ['missing grant_type', post(app, 'client_id=aac-api-tokens&refresh_token=x'), 400, 'invalid_request'],
    ['unknown grant_type', post(app, 'grant_type=password&client_id=aac-api-tokens&username=a&password=b'), 400, 'unsupported_grant_type'],
    ['empty refresh_token', post(app, 'grant_type=refresh_token&client_id=aac-api-tokens&refresh_token='), 400, 'invalid_request'],
    ['missing client_id', post(app, `grant_type=refresh_token&refresh_token=${token.refresh_token}`), 400, 'invalid_request'],
    ['unknown client', refresh(app, token.refresh_token, 'no-such-client'), 401, 'invalid_client'],
    ['unknown refresh token', refresh(app, 'not-a-token'), 400, 'invalid_grant'],
    ['JSON body', app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ grant_type: 'refresh_token', client_id: 'aac-api-tokens', refresh_token: token.refresh_token }),
    }), 400, 'invalid_request'],
    ['oversized body', post(app, `grant_type=refresh_token&client_id=aac-api-tokens&refresh_token=${'x'.repeat(20_000)}`), 413, 'invalid_request'],
  ];

  for (const [name, pending, status, error] of cases) {
    const response = await pending;
    t.equal(response.statusCode, status, `${name}: status`);
    const body = response.json();
    t.equal(body.error, error, `${name}: error`);
    t.type(body.error_description, 'string', `${name}: a description`);
    t.equal(response.headers['cache-control'], 'no-store', `${name}: not cached`);
  }
  t.equal((await refresh(app, token.refresh_token)).statusCode, 200, 'none of that harmed the token');
});

t.test('a refresh token presented by another client is refused', async (t) => {
  const app = await buildApp(t, { clients: CLIENTS });
  const token = await generate(app);
  const basic = Buffer.from(`${INTERNAL.client_id}:${INTERNAL.client_secret}`).toString('base64');

  const response = await post(app, `grant_type=refresh_token&refresh_token=${token.refresh_token}`, { authorization: `Basic ${basic}` });
  t.equal(response.statusCode, 400);
  t.match(response.json(), { error: 'invalid_grant', error_description: /another client/ });
  t.equal((await refresh(app, token.refresh_token)).statusCode, 200, 'the token still works for its own client');
});

t.test('a confidential client authenticates with its secret', async (t) => {
  const app = await buildApp(t, { clients: CLIENTS });
  const basic = Buffer.from(`${INTERNAL.client_id}:wrong-secret`).toString('base64');
  const response = await post(app, 'grant_type=refresh_token&refresh_token=x', { authorization: `Basic ${basic}` });
  t.equal(response.statusCode, 401);
  t.equal(response.json().error, 'invalid_client');
});

t.test('the metadata names the token endpoint and the JWKS', async (t) => {
  const app = await buildApp(t);
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/oauth2']) {
    const response = await app.inject(url);
    t.equal(response.statusCode, 200);
    t.match(response.json(), {
      issuer: 'http://localhost:8080/oauth2',
      token_endpoint: 'http://localhost:8080/oauth2/token',
      jwks_uri: 'http://localhost:8080/oauth2/jwks',
      grant_types_supported: ['refresh_token'],
    });
    t.notOk('authorization_endpoint' in response.json());
  }
});

t.test('the JWKS publishes public keys only', async (t) => {
  const app = await buildApp(t);
  const { keys } = (await app.inject('/oauth2/jwks')).json();
  t.equal(keys.length, 1);
  t.match(keys[0], { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  t.notOk('d' in keys[0], 'no private part');
});

t.test('every other provider route answers 404', async (t) => {
  const app = await buildApp(t);
  const routes = [
    ['GET', '/oauth2/auth'],
    ['GET', '/oauth2/authorization'],
    ['POST', '/oauth2/auth'],
    ['GET', '/oauth2/.well-known/openid-configuration'],
    ['GET', '/oauth2/.well-known/oauth-authorization-server'],
    ['GET', '/oauth2/me'],
    ['POST', '/oauth2/reg'],
    ['POST', '/oauth2/token/introspection'],
    ['POST', '/oauth2/token/revocation'],
    ['GET', '/oauth2/session/end'],
    ['GET', '/oauth2/interaction/abc'],
    ['POST', '/oauth2/device/auth'],
    ['GET', '/oauth2/token'],
    ['POST', '/oauth2/request'],
  ] as const;
  for (const [method, url] of routes) {
    const response = await app.inject({ method, url });
    t.equal(response.statusCode, 404, `${method} ${url}`);
  }
});

t.test('nothing at the token endpoint changes the workspace or audience of a token', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app, { workspaceId: 'ws-a' });
  const attempts = [
    `resource=${encodeURIComponent('https://other.example.com')}`,
    'scope=admin',
    'workspace_id=ws-b',
    'audience=ws-b',
  ];
  let current = token.refresh_token;
  for (const extra of attempts) {
    const response = await post(app, `grant_type=refresh_token&client_id=aac-api-tokens&refresh_token=${current}&${extra}`);
    if (response.statusCode === 200) {
      const body = response.json();
      const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
      t.equal(claims.workspace_id, 'ws-a', `${extra}: still ws-a`);
      t.equal(claims.aud, 'https://api.alteryxcloud.com', `${extra}: still the AAC API`);
      current = body.refresh_token;
    } else {
      t.equal(response.statusCode, 400, `${extra}: refused`);
      t.match(response.json().error, /invalid_target|invalid_scope|invalid_request/, extra);
    }
  }
});
