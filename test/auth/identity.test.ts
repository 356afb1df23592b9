import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { createHmac } from 'node:crypto';
import t, { type Test } from 'tap';
import { bearer, buildApp, sharedDatabase } from '../helper.ts';

const ISSUER = 'https://id.example.com/';
const AUDIENCE = 'aac-token-service';

async function setup(t: Test) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'id-key-1', alg: 'RS256', use: 'sig' };
  const { database } = await sharedDatabase();
  const file = join(database.dataDir, 'identity-jwks.json');
  await writeFile(file, JSON.stringify({ keys: [jwk] }));
  const app = await buildApp(t, { identityIssuer: ISSUER, identityJwksFile: file, identityAudience: AUDIENCE });
  return { app, publicKey, privateKey, jwk };
}

function sign(privateKey: CryptoKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return new SignJWT({ workspace_id: 'ws-1', roles: [], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'id-key-1', ...header })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

t.test('a valid identity token from the configured provider is accepted', async (t) => {
  const { app, privateKey } = await setup(t);
  const response = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(await sign(privateKey)) });
  t.equal(response.statusCode, 200);
  const admin = await sign(privateKey, { roles: ['workspace_admin'] });
  t.equal((await app.inject({ url: '/v1/workspaces/ws-1/audit-events', headers: bearer(admin) })).statusCode, 200);
});

t.test('bad identity tokens are all refused with 401', async (t) => {
  const { app, privateKey, publicKey } = await setup(t);
  const { privateKey: strangerKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: ISSUER, aud: AUDIENCE, sub: 'alice', workspace_id: 'ws-1', iat: now, exp: now + 300 };

  // HS256 "signed" with the provider's public key as the shared secret (algorithm confusion).
  const pem = await exportSPKI(publicKey);
  const hsInput = `${b64({ alg: 'HS256', kid: 'id-key-1', typ: 'JWT' })}.${b64(payload)}`;
  const hs256 = `${hsInput}.${createHmac('sha256', pem).update(hsInput).digest('base64url')}`;

  const cases: Record<string, string> = {
    'alg none': new UnsecuredJWT(payload).encode(),
    'HS256 with the public key': hs256,
    'unknown kid': await sign(privateKey, {}, { kid: 'id-key-2' }),
    'signed by another key': await sign(strangerKey, {}),
    expired: await new SignJWT({ workspace_id: 'ws-1' }).setProtectedHeader({ alg: 'RS256', kid: 'id-key-1' })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('alice').setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(privateKey),
    'wrong issuer': await new SignJWT({ workspace_id: 'ws-1' }).setProtectedHeader({ alg: 'RS256', kid: 'id-key-1' })
      .setIssuer('https://evil.example.com/').setAudience(AUDIENCE).setSubject('alice').setExpirationTime('5m').sign(privateKey),
    'wrong audience': await new SignJWT({ workspace_id: 'ws-1' }).setProtectedHeader({ alg: 'RS256', kid: 'id-key-1' })
      .setIssuer(ISSUER).setAudience('another-service').setSubject('alice').setExpirationTime('5m').sign(privateKey),
    'no expiry': await new SignJWT({ workspace_id: 'ws-1' }).setProtectedHeader({ alg: 'RS256', kid: 'id-key-1' })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('alice').sign(privateKey),
    'kid with a path': await sign(privateKey, {}, { kid: '../../etc/passwd' }),
    'kid with SQL': await sign(privateKey, {}, { kid: "id-key-1' OR '1'='1" }),
    'no workspace claim': await sign(privateKey, { workspace_id: undefined }),
    'roles not a list': await sign(privateKey, { roles: 'workspace_admin' }),
    'a tampered payload': (await sign(privateKey)).replace(/\.[^.]+\./, `.${b64({ ...payload, workspace_id: 'ws-2' })}.`),
  };
  for (const [name, token] of Object.entries(cases)) {
    const response = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(token) });
    t.equal(response.statusCode, 401, name);
    t.match(response.headers['www-authenticate'], /error="invalid_token"/, name);
    t.notMatch(response.body, /id-key-1|BEGIN PUBLIC KEY/, `${name}: nothing about our keys`);
  }
  const expired = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(cases.expired!) });
  t.match(expired.json().message, /expired/);
});

t.test('identity tokens are refused when no identity provider is configured', async (t) => {
  const { privateKey } = await generateKeyPair('RS256');
  const app = await buildApp(t);
  const response = await app.inject({ url: '/v1/workspaces/ws-1/tokens', headers: bearer(await sign(privateKey)) });
  t.equal(response.statusCode, 401);
  t.match(response.json().message, /no identity provider is configured/);
});

t.test('the development identity provider cannot sit beside a real one', async (t) => {
  await t.rejects(buildApp(t, { devIdentity: true, identityIssuer: ISSUER, identityJwksFile: '/x' }), { message: /DEV_IDENTITY must not be true/ });
});
