import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

t.test('the defaults make a working configuration', async (t) => {
  const config = loadConfig({});
  t.match(config, {
    port: 8080,
    issuer: 'http://localhost:8080/oauth2',
    databaseUrl: undefined,
    accessTokenTtl: 3600,
    refreshRetryLeeway: 30,
    signingAlg: 'ES256',
    defaultClientId: 'aac-api-tokens',
  });
  t.ok(Object.isFrozen(config));
  t.ok(Object.isFrozen(config.clients[0]), 'frozen all the way down');
});

t.test('environment variables override the files', async (t) => {
  const config = loadConfig({
    PORT: '9000',
    ISSUER: 'https://tokens.example.com/oauth2',
    DATABASE_URL: 'postgres://db/tokens',
    REFRESH_RETRY_LEEWAY: '0',
    SIGNING_ALG: 'EdDSA',
    TRUST_PROXY: '10.0.0.1, 10.0.0.2',
    OAUTH_CLIENTS: '[{"client_id":"cli","token_endpoint_auth_method":"none"}]',
  });
  t.match(config, {
    port: 9000,
    issuer: 'https://tokens.example.com/oauth2',
    databaseUrl: 'postgres://db/tokens',
    refreshRetryLeeway: 0,
    signingAlg: 'EdDSA',
    trustProxy: ['10.0.0.1', '10.0.0.2'],
    defaultClientId: 'cli',
  });
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
});

t.test('a config file sits between the defaults and the environment', async (t) => {
  const file = join(tmpdir(), `aac-config-${process.pid}.json`);
  await writeFile(file, JSON.stringify({ accessTokenTtl: 600, apiAudience: 'https://api.example.com' }));
  t.teardown(() => import('node:fs/promises').then((fs) => fs.rm(file)));
  const config = loadConfig({ CONFIG_FILE: file, ACCESS_TOKEN_TTL: '900' });
  t.equal(config.accessTokenTtl, 900);
  t.equal(config.apiAudience, 'https://api.example.com');
});

t.test('a bad value stops start-up with a message that names the key', async (t) => {
  const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT must be a whole number from 0 to 65535/],
    [{ ACCESS_TOKEN_TTL: '10' }, /ACCESS_TOKEN_TTL must be a whole number from 60/],
    [{ REFRESH_RETRY_LEEWAY: '-1' }, /REFRESH_RETRY_LEEWAY/],
    [{ SIGNING_ALG: 'HS256' }, /SIGNING_ALG must be one of ES256, RS256, EdDSA/],
    [{ ISSUER: 'not a url' }, /ISSUER must be an absolute URL/],
    [{ ISSUER: 'http://localhost:8080' }, /ISSUER must have a path/],
    [{ ISSUER: 'http://localhost:8080/oauth2/' }, /ISSUER must have a path/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ MIGRATE_ON_START: 'maybe' }, /MIGRATE_ON_START must be true or false/],
    [{ DATABASE_NAMED_STATEMENTS: 'sometimes' }, /DATABASE_NAMED_STATEMENTS must be true or false/],
    [{ BOOTSTRAP_OPERATOR_KEY: 'short' }, /BOOTSTRAP_OPERATOR_KEY must be at least 32 characters/],
    [{ OAUTH_CLIENTS: 'nope' }, /OAUTH_CLIENTS must be a JSON array/],
    [{ OAUTH_CLIENTS: '[{"client_id":"svc","token_endpoint_auth_method":"client_secret_basic","client_secret":"x"}]' },
      /OAUTH_CLIENTS\[0\]\.client_secret must be at least 32 characters/],
    [{ OAUTH_CLIENTS: '[{"client_id":"svc","token_endpoint_auth_method":"client_secret_basic","client_secret":"' + 'x'.repeat(32) + '"}]' },
      /clients must contain a public client/],
    [{ OAUTH_CLIENTS: '[{"client_id":"a"},{"client_id":"a"}]' }, /repeats a/],
    [{ OAUTH_CLIENTS: '[{"client_id":"a","redirect_uris":[]}]' }, /unknown fields: redirect_uris/],
    [{ CONFIG_FILE: '/no/such/file.json' }, /CONFIG_FILE could not be read/],
  ];
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env));
  }
  t.ok(new ConfigError('x', 'y') instanceof Error);
});
