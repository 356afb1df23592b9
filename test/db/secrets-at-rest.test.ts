import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { OPERATOR_KEY, buildApp, generate, refresh } from '../helper.ts';

t.test('no table holds a refresh token, an access token or an operator key in clear', async (t) => {
  const app = await buildApp(t);
  const token = await generate(app);
  const first = await refresh(app, token.refresh_token);
  const second = await refresh(app, first.json().refresh_token);
  const secrets = [token.refresh_token, token.access_token, first.json().refresh_token, first.json().access_token,
    second.json().refresh_token, second.json().access_token, OPERATOR_KEY];

  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`.execute(app.db);
  t.ok(tables.rows.length >= 4);
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`SELECT row_to_json(t)::text AS row FROM ${sql.table(table_name)} t`.execute(app.db);
    const dump = rows.rows.map((r) => r.row).join('\n');
    for (const secret of secrets) {
      t.notOk(dump.includes(secret), `${table_name} does not contain a secret`);
      const hex = Buffer.from(secret).toString('hex');
      t.notOk(dump.includes(hex), `${table_name} does not contain a secret's bytes`);
    }
  }

  const row = await app.db.selectFrom('api_tokens').select('refresh_hash').where('id', '=', token.id).executeTakeFirstOrThrow();
  const expected = createHash('sha256').update(second.json().refresh_token).digest();
  t.ok(Buffer.from(row.refresh_hash).equals(expected), 'only the SHA-256 of the live refresh token is kept');
});
