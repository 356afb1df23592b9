import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import t, { type Test } from 'tap';
import { DatabaseUnavailableError, classifyDatabaseError } from '../../src/db/errors.ts';
import { OPERATOR_KEY, createPostgresDatabase, generate, refresh, startApp, testConfig } from '../helper.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

// The network between the service and PostgreSQL is what fails here, so these tests run on a
// PostgreSQL server whatever DATABASE_URL says; PGlite has no network to lose.

/** Short timeouts keep the stalled-database cases quick: a statement waits 500 ms, a read 1.5 s. */
const STATEMENT_TIMEOUT_MS = 500;
/** connect.ts waits 5 s for a connection and statement + 1 s for a read; the rest is slack. */
const ANSWER_BOUND_MS = 10_000;

interface Setup {
  app: FastifyInstance;
  proxy: TcpProxy;
  /** A connection that bypasses the proxy: what the database really holds. */
  direct: pg.Client;
}

async function appBehindProxy(t: Test, overrides: Record<string, unknown> = {}): Promise<Setup> {
  const database = await createPostgresDatabase(t);
  const server = new URL(database.databaseUrl);
  const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  t.teardown(() => proxy.close());

  const direct = new pg.Client({ connectionString: database.databaseUrl });
  // Dropping the database at the end terminates this connection; that is no failure.
  direct.on('error', () => {});
  await direct.connect();
  t.teardown(() => direct.end());

  const config = testConfig(
    { ...database, databaseUrl: proxy.urlFor(database.databaseUrl) },
    { databasePoolSize: 2, databaseStatementTimeoutMs: STATEMENT_TIMEOUT_MS, ...overrides },
  );
  const app = await startApp(t, config);
  return { app, proxy, direct };
}

async function stored(direct: pg.Client) {
  const { rows } = await direct.query<{ tokens: number; events: number }>(
    'SELECT (SELECT count(*) FROM api_tokens)::int AS tokens, (SELECT count(*) FROM audit_events)::int AS events',
  );
  return rows[0]!;
}

async function rotations(direct: pg.Client, id: string) {
  const { rows } = await direct.query<{ rotations: number }>('SELECT rotations FROM api_tokens WHERE id = $1', [id]);
  return rows[0]?.rotations;
}

const generation = (app: FastifyInstance, name = 'during the outage') => app.inject({
  method: 'POST',
  url: '/v1/workspaces/ws-1/tokens',
  headers: { authorization: `Bearer ${OPERATOR_KEY}` },
  payload: { userId: 'alice', name, lifetimeDays: 1 },
});

/** Kysely sends the statements it compiles as text; a chunk naming the table is that statement. */
const sends = (text: string) => (chunk: Buffer) => chunk.toString('latin1').includes(text);

/** What every caller turned away by the database gets: 503, retry later, no internals. */
function assertUnavailable(t: Test, response: Awaited<ReturnType<FastifyInstance['inject']>>, what: string) {
  t.equal(response.statusCode, 503, `${what} answers 503`);
  t.equal(response.json().error, 'temporarily_unavailable', `${what} says temporarily_unavailable`);
  t.match(response.headers['retry-after'], /^[1-9]\d*$/, `${what} says when to retry`);
  t.notMatch(response.body, /ECONN|Connection terminated|timeout|at .*\.ts/i, `${what} shows no internals`);
}

t.test('while the network to the database is cut, refresh, generation and readiness answer 503, and all work again once it is back', async (t) => {
  const { app, proxy, direct } = await appBehindProxy(t);
  const token = await generate(app);

  proxy.cut();
  assertUnavailable(t, await refresh(app, token.refresh_token), 'the token endpoint');
  assertUnavailable(t, await generation(app), 'generation');
  const notReady = await app.inject('/readyz');
  t.equal(notReady.statusCode, 503, 'readiness fails');
  t.equal(notReady.json().checks.database, false);

  proxy.restore();
  t.same(await stored(direct), { tokens: 1, events: 1 }, 'the generation during the cut wrote neither a token nor an audit event');
  t.equal(await rotations(direct, token.id), 0, 'the refresh during the cut did not rotate');

  // The same app, not restarted: its pool replaces the connections it lost.
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready again');
  const refreshed = await refresh(app, token.refresh_token);
  t.equal(refreshed.statusCode, 200, 'the refresh token presented during the cut still works');
  t.equal(await rotations(direct, token.id), 1);
  const generated = await generation(app, 'after the outage');
  t.equal(generated.statusCode, 201, 'generation works again');
  t.same(await stored(direct), { tokens: 2, events: 2 });
});

t.test('a refresh whose connection drops just before its rotation answers 503 and leaves its refresh token usable', async (t) => {
  const { app, proxy, direct } = await appBehindProxy(t);
  const token = await generate(app);

  proxy.cutWhen(sends('update "api_tokens"'));
  assertUnavailable(t, await refresh(app, token.refresh_token), 'the interrupted refresh');
  proxy.restore();

  t.equal(await rotations(direct, token.id), 0, 'not rotated');
  const retried = await refresh(app, token.refresh_token);
  t.equal(retried.statusCode, 200, 'the same refresh token works afterwards');
  t.equal(await rotations(direct, token.id), 1);
});

t.test('a generation whose connection drops between its two inserts leaves neither the token nor its audit event', async (t) => {
  const { app, proxy, direct } = await appBehindProxy(t);

  proxy.cutWhen(sends('insert into "audit_events"'));
  assertUnavailable(t, await generation(app), 'the interrupted generation');
  proxy.restore();

  t.same(await stored(direct), { tokens: 0, events: 0 }, 'the token insert was rolled back with the transaction');
  t.equal((await generation(app, 'after the outage')).statusCode, 201, 'generation works again');
  t.same(await stored(direct), { tokens: 1, events: 1 });
});

t.test('on a stalled database, refresh, generation and readiness answer 503 within the timeouts, and work once it answers again', async (t) => {
  const { app, proxy, direct } = await appBehindProxy(t);
  const token = await generate(app);

  proxy.hold();
  const timed = async (request: Promise<Awaited<ReturnType<FastifyInstance['inject']>>>) => {
    const started = Date.now();
    const response = await request;
    return { response, ms: Date.now() - started };
  };
  const answers = Promise.all([
    timed(refresh(app, token.refresh_token)),
    timed(generation(app)),
    timed(app.inject('/readyz')),
  ]);
  let stalled = false;
  for (const deadline = Date.now() + 3_000; !stalled && Date.now() < deadline; await sleep(20)) {
    stalled = proxy.heldBytes() > 0;
  }
  t.ok(stalled, 'the statements reached the proxy and stalled there');
  const [refreshed, generated, ready] = await answers;
  assertUnavailable(t, refreshed.response, 'the token endpoint');
  assertUnavailable(t, generated.response, 'generation');
  t.equal(ready.response.statusCode, 503, 'readiness fails');
  for (const [what, { ms }] of Object.entries({ refresh: refreshed, generation: generated, readiness: ready })) {
    t.ok(ms < ANSWER_BOUND_MS, `${what} answered in ${ms} ms`);
  }

  proxy.restore();
  const again = await refresh(app, token.refresh_token);
  t.equal(again.statusCode, 200, 'the refresh token presented while stalled still works');
  t.equal(await rotations(direct, token.id), 1, 'rotated once, by the refresh that succeeded');
  t.same(await stored(direct), { tokens: 1, events: 1 }, 'the stalled generation wrote nothing');
});

t.test('a statement that timed out on a stalled database leaves no transaction open behind it', async (t) => {
  // One connection, so the request after the stall runs on the connection that stalled.
  const { app, proxy, direct } = await appBehindProxy(t, { databasePoolSize: 1 });
  const kept = await generate(app, { name: 'kept' });
  const other = await generate(app, { name: 'to disable' });

  // The disable's BEGIN stalls and times out; once the network is back it would still
  // arrive, opening a transaction the driver no longer knows about.
  proxy.holdWhen(sends('begin'));
  const disabled = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/ws-1/tokens/${other.id}/disable`,
    headers: { authorization: `Bearer ${OPERATOR_KEY}` },
  });
  assertUnavailable(t, disabled, 'the stalled disable');
  proxy.restore();

  const refreshed = await refresh(app, kept.refresh_token);
  t.equal(refreshed.statusCode, 200);
  t.equal(await rotations(direct, kept.id), 1, 'the rotation the client was told about is committed and visible to everyone');
  const { rows } = await direct.query<{ open: number }>(
    "SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
  );
  t.equal(rows[0]?.open, 0, 'no connection is left inside a transaction');
  const { rows: [row] } = await direct.query<{ disabled: boolean }>('SELECT disabled_at IS NOT NULL AS disabled FROM api_tokens WHERE id = $1', [other.id]);
  t.equal(row?.disabled, false, 'the stalled disable did not happen');
});

t.test('a socket error whose code looks like a SQLSTATE counts as the database being unavailable', async (t) => {
  for (const code of ['EPIPE', 'EBUSY', 'EPERM']) {
    const socketError = Object.assign(new Error(`write ${code}`), { code, syscall: 'write' });
    t.type(classifyDatabaseError(socketError), DatabaseUnavailableError, code);
  }
  const refused = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
  t.equal(classifyDatabaseError(refused), refused, 'a statement the server refused stays what it is');
});
