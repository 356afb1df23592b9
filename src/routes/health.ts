import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { isSchemaCurrent } from '../db/migrate.ts';

/** Liveness and readiness for orchestrators and load balancers. */
export default async function health(app: FastifyInstance) {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const checks = { database: false, migrations: false, signingKey: app.signingKeys.length > 0 };
    try {
      await sql`SELECT 1`.execute(app.db);
      checks.database = true;
      checks.migrations = await isSchemaCurrent(app.db);
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
    }
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
}
