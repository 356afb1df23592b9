import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp } from '../helper.ts';

const limits = { rateLimitTokenPerAddress: 3, rateLimitTokenPerClient: 0, rateLimitManagementPerCaller: 0 };

/** A refresh attempt (it fails: the token is unknown, which costs the limiter the same). */
function tokenRequest(app: Awaited<ReturnType<typeof buildApp>>, remoteAddress: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/oauth2/token',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: 'grant_type=refresh_token&client_id=aac-api-tokens&refresh_token=unknown',
  });
}

t.test('past its limit an address gets 429 with Retry-After and an OAuth error; other addresses do not', async (t) => {
  const app = await buildApp(t, limits);
  for (let i = 0; i < 3; i++) t.equal((await tokenRequest(app, '192.0.2.10')).statusCode, 400);
  const refused = await tokenRequest(app, '192.0.2.10');
  t.equal(refused.statusCode, 429);
  t.match(refused.headers['retry-after'], /^\d+$/);
  t.equal(refused.headers['cache-control'], 'no-store');
  t.match(refused.json(), { error: 'too_many_requests', error_description: /retry in \d+ seconds/ });
  t.equal((await tokenRequest(app, '192.0.2.11')).statusCode, 400, 'another address is served');
});

t.test('a spoofed X-Forwarded-For does not dodge the limit when proxies are not trusted', async (t) => {
  const app = await buildApp(t, { ...limits, trustProxy: false });
  const answers = [];
  for (let i = 0; i < 5; i++) {
    answers.push((await tokenRequest(app, '192.0.2.20', { 'x-forwarded-for': `203.0.113.${i}` })).statusCode);
  }
  t.same(answers, [400, 400, 400, 429, 429]);
});

t.test('behind a trusted proxy, each forwarded client has its own budget', async (t) => {
  const app = await buildApp(t, { ...limits, trustProxy: ['192.0.2.30'] });
  for (let i = 0; i < 3; i++) await tokenRequest(app, '192.0.2.30', { 'x-forwarded-for': '203.0.113.1' });
  t.equal((await tokenRequest(app, '192.0.2.30', { 'x-forwarded-for': '203.0.113.1' })).statusCode, 429);
  t.equal((await tokenRequest(app, '192.0.2.30', { 'x-forwarded-for': '203.0.113.2' })).statusCode, 400);
});

t.test('a client id has a budget of its own, across addresses', async (t) => {
  const app = await buildApp(t, { rateLimitTokenPerAddress: 0, rateLimitTokenPerClient: 2, rateLimitManagementPerCaller: 0 });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await tokenRequest(app, `192.0.2.${40 + i}`)).statusCode);
  t.same(statuses, [400, 400, 429]);
  const refused = await tokenRequest(app, '192.0.2.50');
  t.match(refused.json(), { error: 'too_many_requests', error_description: /this client/ });
  t.match(refused.headers['retry-after'], /^\d+$/);
});

t.test('the management routes limit each caller', async (t) => {
  const app = await buildApp(t, { rateLimitTokenPerAddress: 0, rateLimitTokenPerClient: 0, rateLimitManagementPerCaller: 2 });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(OPERATOR_KEY) })).statusCode);
  t.same(statuses, [200, 200, 429]);
  const refused = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(OPERATOR_KEY) });
  t.match(refused.json(), { error: 'too_many_requests' });
  t.match(refused.headers['retry-after'], /^\d+$/);
  const metrics = (await app.inject('/metrics')).body;
  t.match(metrics, /rate_limit_rejections_total\{limit="management_per_caller"\} 2/);
});
