import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, createLocalJWKSet, jwtVerify } from 'jose';
import t from 'tap';
import { buildApp, generate, sharedDatabase, startApp, testConfig } from '../helper.ts';

t.test('a generated signing key is kept, so a restart publishes and signs with the same key', async (t) => {
  const { database, handle } = await sharedDatabase();
  const config = testConfig(database);
  const first = await startApp(t, config, handle);
  const before = (await first.inject('/oauth2/jwks')).json();
  await first.close();

  const second = await startApp(t, config, handle);
  const after = (await second.inject('/oauth2/jwks')).json();
  t.same(after, before);
  const token = await generate(second);
  const { protectedHeader } = await jwtVerify(token.access_token, createLocalJWKSet(before), { typ: 'at+jwt' });
  t.equal(protectedHeader.kid, before.keys[0].kid);
});

for (const alg of ['RS256', 'EdDSA'] as const) {
  t.test(`access tokens can be signed with ${alg}`, async (t) => {
    const app = await buildApp(t, { signingAlg: alg });
    const token = await generate(app);
    const jwks = createLocalJWKSet((await app.inject('/oauth2/jwks')).json());
    const { protectedHeader } = await jwtVerify(token.access_token, jwks, { typ: 'at+jwt', algorithms: [alg] });
    t.equal(protectedHeader.alg, alg);
  });
}

t.test('keys from a SIGNING_KEYS file sign, and only their public parts are published', async (t) => {
  const { database, handle } = await sharedDatabase();
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'file-key-1', alg: 'ES256' };
  const file = join(database.dataDir, 'jwks.json');
  await writeFile(file, JSON.stringify({ keys: [jwk] }));

  const app = await startApp(t, testConfig(database, { signingKeys: file }), handle);
  const published = (await app.inject('/oauth2/jwks')).json();
  t.equal(published.keys.length, 1);
  t.equal(published.keys[0].kid, 'file-key-1');
  t.notOk('d' in published.keys[0]);
  const token = await generate(app);
  const { protectedHeader } = await jwtVerify(token.access_token, createLocalJWKSet(published), { typ: 'at+jwt' });
  t.equal(protectedHeader.kid, 'file-key-1');
});

t.test('a SIGNING_KEYS file with a public key or the wrong algorithm stops start-up', async (t) => {
  const { database, handle } = await sharedDatabase();
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicFile = join(database.dataDir, 'public.json');
  await writeFile(publicFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] }));
  await t.rejects(startApp(t, testConfig(database, { signingKeys: publicFile }), handle), { message: /must be a private key/ });

  const rsaFile = join(database.dataDir, 'wrong.json');
  await writeFile(rsaFile, JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256' }] }));
  await t.rejects(startApp(t, testConfig(database, { signingKeys: rsaFile, signingAlg: 'RS256' }), handle), { message: /SIGNING_KEYS/ });
});
