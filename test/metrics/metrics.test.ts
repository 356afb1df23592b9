import t from 'tap';
import { OPERATOR_KEY, bearer, buildApp, generate, refresh } from '../helper.ts';

/** The value of one series in Prometheus text, 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

t.test('/metrics reflects a flow: counters move by the expected amounts', async (t) => {
  const app = await buildApp(t, { refreshRetryLeeway: 0 });
  const scrape = async () => {
    const response = await app.inject('/metrics');
    t.equal(response.statusCode, 200);
    t.match(response.headers['content-type'], /text\/plain/);
    return response.body;
  };
  const before = await scrape();

  const a = await generate(app);
  const b = await generate(app);
  const c = await generate(app);
  const next = (await refresh(app, a.refresh_token)).json().refresh_token;
  await refresh(app, next);
  await refresh(app, 'no-such-token');
  await refresh(app, next); // the refresh token replaced last, again: reuse, which disables a
  await app.inject({ method: 'POST', url: `/v1/workspaces/ws-1/tokens/${b.id}/disable`, headers: bearer(OPERATOR_KEY) });
  await app.inject({ method: 'DELETE', url: `/v1/workspaces/ws-1/tokens/${c.id}`, headers: bearer(OPERATOR_KEY) });
  await refresh(app, c.refresh_token);

  const after = await scrape();
  const delta = (series: string) => value(after, series) - value(before, series);
  t.equal(delta('api_tokens_generated_total'), 3);
  t.equal(delta('token_refresh_total{outcome="success"}'), 2);
  t.equal(delta('token_refresh_total{outcome="unknown"}'), 1);
  t.equal(delta('token_refresh_total{outcome="reuse_detected"}'), 1);
  t.equal(delta('token_refresh_total{outcome="deleted"}'), 1);
  t.equal(delta('api_tokens_disabled_total{reason="reuse_detected"}'), 1);
  t.equal(delta('api_tokens_disabled_total{reason="user_request"}'), 1);
  t.equal(delta('api_tokens_deleted_total'), 1);
  t.equal(delta('http_request_duration_seconds_count{method="POST",route="/oauth2/token",status_code="200"}'), 2);
  t.equal(delta('http_request_duration_seconds_count{method="POST",route="/oauth2/token",status_code="400"}'), 3);
  t.equal(delta('http_request_duration_seconds_count{method="POST",route="/v1/workspaces/:workspaceId/tokens",status_code="201"}'), 3);
  if (app.databaseKind === 'postgres') {
    t.match(after, /db_pool_connections\{state="total"\} \d+/);
    t.match(after, /db_pool_connections\{state="waiting"\} 0/);
  } else {
    t.notMatch(after, /db_pool_connections\{/, 'the embedded database has no pool to report');
  }
});

t.test('metrics can be served on a port of their own', async (t) => {
  const probe = await import('node:net').then((net) => new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  }));
  const app = await buildApp(t, { metricsPort: probe });
  t.equal((await app.inject('/metrics')).statusCode, 404, 'not on the main port');
  const response = await fetch(`http://127.0.0.1:${probe}/metrics`);
  t.equal(response.status, 200);
  t.match(await response.text(), /api_tokens_generated_total/);
});
