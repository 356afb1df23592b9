import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/types.ts';
import { newOperatorKey } from '../secrets.ts';
import { hasAnyKey, storeKey } from './operator-keys.ts';

export const OPERATOR_KEY_FILE = 'operator-key';

/**
 * Makes sure an operator can reach the management API on a new installation. The key in
 * BOOTSTRAP_OPERATOR_KEY is stored (hashed) when given. Otherwise, on the embedded database
 * and while no key exists, one is generated and written to DATA_DIR/operator-key, readable
 * by the service's user alone; its path is logged, never the key.
 */
export async function bootstrapOperatorKey(
  config: Pick<Config, 'bootstrapOperatorKey' | 'dataDir'>,
  db: Kysely<Database>,
  kind: 'postgres' | 'pglite',
  log: FastifyBaseLogger,
): Promise<void> {
  if (config.bootstrapOperatorKey) {
    if (await storeKey(db, 'bootstrap', config.bootstrapOperatorKey)) log.info('bootstrap operator key stored');
    return;
  }
  if (kind !== 'pglite' || await hasAnyKey(db)) return;

  const key = newOperatorKey();
  const path = join(config.dataDir, OPERATOR_KEY_FILE);
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await storeKey(db, 'bootstrap', key);
  log.info({ path }, 'first operator key written');
}
