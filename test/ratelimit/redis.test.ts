import { randomBytes } from 'node:crypto';
import t from 'tap';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { createTestDatabase, sharedDatabase, startApp, testConfig } from '../helper.ts';

const REDIS = { host: '127.0.0.1', port: 6379 };

/** A fresh address for each run: Redis keeps counters between runs for the window. */
const address = () => `198.51.100.${randomBytes(1)[0]! % 250}-${randomBytes(4).toString('hex')}`;

function tokenRequest(app: Awaited<ReturnType<typeof startApp>>, remoteAddress: string) {
  return app.inject({
    method: 'POST',
    url: '/oauth2/token',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=refresh_token&client_id=aac-api-tokens&refresh_token=unknown',
  });
}

t.test('with Redis, two instances share one budget', async (t) => {
  const { database, handle } = await sharedDatabase();
  const config = testConfig(database, { redisUrl: `redis://${REDIS.host}:${REDIS.port}`, rateLimitTokenPerAddress: 3, rateLimitTokenPerClient: 0 });
  const a = await startApp(t, config, handle);
  const b = await startApp(t, config, handle);
  const client = address();
  const statuses = [
    (await tokenRequest(a, client)).statusCode,
    (await tokenRequest(b, client)).statusCode,
    (await tokenRequest(a, client)).statusCode,
    (await tokenRequest(b, client)).statusCode,
  ];
  t.same(statuses, [400, 400, 400, 429], 'the fourth request is refused, wherever it lands');
});

t.test('when Redis goes away the service keeps serving, and says so in its metrics', async (t) => {
  const proxy = await startTcpProxy(REDIS);
  t.teardown(() => proxy.close());
  const database = await createTestDatabase(t);
  const config = testConfig(database, { redisUrl: `redis://127.0.0.1:${proxy.port}`, rateLimitTokenPerAddress: 100, rateLimitTokenPerClient: 0 });
  const app = await startApp(t, config);
  const client = address();
  t.equal((await tokenRequest(app, client)).statusCode, 400, 'served with Redis up');

  proxy.cut();
  const during = [];
  for (let i = 0; i < 5; i++) during.push((await tokenRequest(app, client)).statusCode);
  t.same(during, [400, 400, 400, 400, 400], 'served, not refused and not failed, while Redis is away');
  const metrics = (await app.inject('/metrics')).body;
  const errors = Number(/rate_limit_store_errors_total (\d+)/.exec(metrics)?.[1] ?? 0);
  t.ok(errors > 0, `store errors counted (${errors})`);

  proxy.restore();
});
