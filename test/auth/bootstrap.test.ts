import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import t from 'tap';
import app from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createTestDatabase, sharedDatabase, startApp, testConfig } from '../helper.ts';

t.test('on the embedded database the first start writes an operator key readable by its owner alone', async (t) => {
  const database = await createTestDatabase(t);
  // The embedded default: no DATABASE_URL, no bootstrap key.
  const config = loadConfig({}, { dataDir: database.dataDir, logLevel: 'info' });
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const server = Fastify({ logger: { level: 'info', stream }, pluginTimeout: 120_000 });
  await server.register(app, { config });
  await server.ready();
  t.teardown(() => server.close());

  const path = join(database.dataDir, 'operator-key');
  const info = await stat(path);
  t.equal(info.mode & 0o777, 0o600);
  const key = (await readFile(path, 'utf8')).trim();
  t.match(key, /^aacop_[\w-]{43}$/);

  const log = lines.join('');
  t.match(log, /first operator key written/);
  t.match(log, path.replaceAll('\\', '\\\\'));
  t.notOk(log.includes(key), 'the key itself is never logged');

  const response = await server.inject({
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: { authorization: `Bearer ${key}` },
    payload: { userId: 'alice', name: 'first', lifetimeDays: 1 },
  });
  t.equal(response.statusCode, 201, 'the key works');
});

t.test('a configured bootstrap key works and no key file is written', async (t) => {
  const { database, handle } = await sharedDatabase();
  const key = `aacop_${'b'.repeat(43)}`;
  const server = await startApp(t, testConfig(database, { bootstrapOperatorKey: key }), handle);
  await t.rejects(stat(join(database.dataDir, 'operator-key')), { code: 'ENOENT' });
  const response = await server.inject({
    method: 'POST',
    url: '/v1/workspaces/ws-1/tokens',
    headers: { authorization: `Bearer ${key}` },
    payload: { userId: 'alice', name: 'first', lifetimeDays: 1 },
  });
  t.equal(response.statusCode, 201);
});
