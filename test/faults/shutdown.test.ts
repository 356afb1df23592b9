import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { PROJECT_ROOT } from '../../src/paths.ts';
import { NODE_FLAGS } from '../../src/runtime.ts';
import { OPERATOR_KEY, createTestDatabase, refresh, startApp, testConfig } from '../helper.ts';

// The real server as a child process: SIGTERM, its handler and process.exit are what is
// under test, which an app built in this process cannot show. Runs on PGlite or PostgreSQL.

const NODE = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
const TOKENS = 50;
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** PGlite initialises a new folder at first start, which is slow on a busy machine. */
const START_TIMEOUT_MS = 90_000;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The token endpoint's JSON answer: a grant or an error. */
interface TokenAnswer {
  refresh_token?: string;
  error?: string;
}

/** How one refresh ended, as its client saw it. */
type Outcome =
  | { kind: 'answered'; status: number; body: TokenAnswer }
  | { kind: 'no answer'; error: string };

t.test('SIGTERM during 50 refreshes lets each finish or fail cleanly, none half done, and exits 0', async (t) => {
  const database = await createTestDatabase(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const child = spawn(NODE, [...NODE_FLAGS, 'src/server.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      ISSUER: `http://localhost:${port}/oauth2`,
      DATA_DIR: database.dataDir,
      ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
      BOOTSTRAP_OPERATOR_KEY: OPERATOR_KEY,
      LOG_LEVEL: 'warn',
      REFRESH_RETRY_LEEWAY: '0',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  // Ready: listening, migrated, a signing key loaded.
  const startedAt = Date.now();
  for (;;) {
    const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() - startedAt > START_TIMEOUT_MS) {
      t.fail(`the server did not become ready (exit code ${child.exitCode}):\n${output}`);
      return;
    }
    await sleep(250);
  }

  const tokens: Array<{ id: string; refresh_token: string }> = [];
  for (let i = 0; i < TOKENS; i++) {
    const response = await fetch(`${base}/v1/workspaces/ws-1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: `user-${i % 5}`, name: `shutdown ${i}`, lifetimeDays: 1 }),
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 201) throw new Error(`generation failed: ${response.status} ${await response.text()}`);
    tokens.push(await response.json() as { id: string; refresh_token: string });
  }

  const refreshes = tokens.map((token): Promise<Outcome> => fetch(`${base}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'aac-api-tokens', refresh_token: token.refresh_token }),
    // A refresh the server neither answers nor drops by the end of its shutdown timeout is a failure.
    signal: AbortSignal.timeout(SHUTDOWN_TIMEOUT_MS + 5_000),
  }).then(
    async (response) => ({ kind: 'answered', status: response.status, body: await response.json() as TokenAnswer }),
    (err: Error) => ({ kind: 'no answer', error: String(err.cause ?? err) }),
  ));

  // Shortly after they start: once the first answer shows the server is working on them.
  await Promise.race([Promise.race(refreshes), sleep(200)]);
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  const outcomes = await Promise.all(refreshes);

  // Waits past the timeout, to see the exit code of a shutdown that timed out too.
  const [code, signal] = await Promise.race([
    exited,
    sleep(SHUTDOWN_TIMEOUT_MS + 5_000).then(() => [undefined, undefined] as const),
  ]);
  const shutdownMs = Date.now() - signalledAt;
  t.equal(code, 0, 'the server exits 0');
  t.equal(signal, null, 'by itself, not killed by a signal');
  t.ok(shutdownMs < SHUTDOWN_TIMEOUT_MS, `within the shutdown timeout (${shutdownMs} ms)`);
  if (code !== 0) t.comment(output);

  const counts = { rotated: 0, refused: 0, unanswered: 0 };
  for (const outcome of outcomes) {
    if (outcome.kind === 'no answer') counts.unanswered++;
    else if (outcome.status === 200) counts.rotated++;
    else counts.refused++;
  }
  t.comment(`refreshes: ${JSON.stringify(counts)}`);
  t.same(
    outcomes.filter((o) => o.kind === 'answered' && o.status !== 200 && o.status !== 503),
    [],
    'every answer is a success or a 503 (the server is closing): never a 500 or a refusal of the token',
  );
  t.same(
    outcomes.filter((o) => o.kind === 'answered' && o.status === 200 && typeof o.body.refresh_token !== 'string'),
    [],
    'every success carries its new refresh token',
  );

  // Afterwards, on the same database: did each token end where its client believes it is?
  const app = await startApp(t, testConfig(database, { refreshRetryLeeway: 0 }));
  const rows = new Map((await app.db.selectFrom('api_tokens').select(['id', 'rotations']).execute())
    .map((row) => [row.id, row.rotations]));
  const broken: string[] = [];
  for (const [i, token] of tokens.entries()) {
    const outcome = outcomes[i]!;
    const rotatedForClient = outcome.kind === 'answered' && outcome.status === 200;
    const expected = rotatedForClient ? 1 : 0;
    const usable = rotatedForClient ? outcome.body.refresh_token! : token.refresh_token;
    const retried = await refresh(app, usable);
    if (rows.get(token.id) !== expected || retried.statusCode !== 200) {
      broken.push(`${token.id}: ${JSON.stringify(outcome)}, rotations ${rows.get(token.id)}, refresh afterwards ${retried.statusCode}`);
    }
  }
  t.same(broken, [], 'each token was rotated for a client that got the new refresh token, or not at all');
});
