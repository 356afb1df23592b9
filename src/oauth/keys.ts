import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { ConfigError, type Config, type SigningAlg } from '../config/index.ts';
import type { Database, KeyPurpose } from '../db/types.ts';

/** A private signing key in JWK form, as oidc-provider's `jwks` takes it. */
export type SigningKey = JWK & { kid: string; alg: SigningAlg; use: 'sig' };

const KEY_TYPES: Record<SigningAlg, { kty: string; crv?: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  RS256: { kty: 'RSA' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/**
 * The keys the provider signs with (the first) and publishes (all). From the SIGNING_KEYS
 * file when configured; otherwise generated once and kept in the database, so restarts and
 * every instance sign with the same key.
 */
export async function loadSigningKeys(
  config: Pick<Config, 'signingAlg' | 'signingKeys'>,
  db: Kysely<Database>,
): Promise<SigningKey[]> {
  return config.signingKeys
    ? readKeyFile(config.signingKeys, config.signingAlg)
    : storedKeys(db, config.signingAlg, 'access_token');
}

async function readKeyFile(path: string, alg: SigningAlg): Promise<SigningKey[]> {
  let jwks: { keys?: unknown };
  try {
    jwks = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('SIGNING_KEYS', `could not be read as a JWKS from ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new ConfigError('SIGNING_KEYS', 'must hold a JWKS with at least one key');
  }
  return Promise.all(jwks.keys.map(async (key: JWK, index: number) => {
    const keyAlg = (key.alg ?? (index === 0 ? alg : undefined)) as SigningAlg | undefined;
    const type = keyAlg && KEY_TYPES[keyAlg];
    if (!type || key.kty !== type.kty || (type.crv && key.crv !== type.crv)) {
      throw new ConfigError('SIGNING_KEYS', `key ${index} must be a ${alg} key with an "alg" of ES256, RS256 or EdDSA`);
    }
    if (index === 0 && keyAlg !== alg) {
      throw new ConfigError('SIGNING_KEYS', `the first key signs, so its alg must be SIGNING_ALG (${alg}), not ${keyAlg}`);
    }
    if (!key.d) throw new ConfigError('SIGNING_KEYS', `key ${index} must be a private key`);
    return { ...key, alg: keyAlg, use: 'sig', kid: key.kid ?? await calculateJwkThumbprint(key) } as SigningKey;
  }));
}

/** The active keys kept for `purpose`, after generating one for `alg` if there is none. */
export async function storedKeys(db: Kysely<Database>, alg: SigningAlg, purpose: KeyPurpose): Promise<SigningKey[]> {
  let rows = await activeKeys(db, purpose);
  if (!rows.some((row) => row.alg === alg)) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 3072 } : {}) });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    // Instances starting together race here: the partial unique index keeps one key per
    // purpose and algorithm, and the loser reads the winner's.
    await db.insertInto('signing_keys')
      .values({ kid, alg, purpose, private_jwk: JSON.stringify({ ...jwk, kid, alg, use: 'sig' }), retired_at: null })
      .onConflict((oc) => oc.doNothing())
      .execute();
    rows = await activeKeys(db, purpose);
  }
  // The configured algorithm's key first: the provider signs with it.
  return rows
    .sort((a, b) => Number(b.alg === alg) - Number(a.alg === alg))
    .map((row) => row.private_jwk as SigningKey);
}

function activeKeys(db: Kysely<Database>, purpose: KeyPurpose) {
  return db.selectFrom('signing_keys')
    .select(['alg', 'private_jwk'])
    .where('purpose', '=', purpose)
    .where('retired_at', 'is', null)
    .orderBy('created_at')
    .execute();
}
