import './runtime.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OPERATOR_KEY_FILE } from './auth/bootstrap.ts';
import { ConfigError, loadCliSettings, loadConfig, type Config } from './config/index.ts';
import { openDatabase } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                              apply the database migrations
  tokens create --workspace <id> --user <id> --name <name> --days <1-365>
                                       generate an API token and print its secrets once
  tokens list --workspace <id> [--user <id>] [--status active|disabled|expired] [--name <part>]
  tokens disable --workspace <id> <token id>...
  tokens delete --workspace <id> <token id>...
  operator-keys create --name <who>    create an operator key and print it once
  operator-keys list
  operator-keys revoke <key id>
  identity-token --user <id> --workspace <id> [--admin]
                                       an identity token from the development identity
                                       provider (DEV_IDENTITY=true)

Every command but migrate calls the running service over HTTP with an operator key and
prints its JSON answer.

Options for commands that call the service:
  --url <url>             the service (default SERVICE_URL, else http://127.0.0.1:PORT)
  --operator-key-file <p> a file holding an operator key (default OPERATOR_KEY, else DATA_DIR/${OPERATOR_KEY_FILE})
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workspace: { type: 'string' },
      user: { type: 'string' },
      name: { type: 'string' },
      days: { type: 'string' },
      status: { type: 'string' },
      admin: { type: 'boolean' },
      url: { type: 'string' },
      'operator-key-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [first = '', second = '', ...rest] = positionals;
  const command = ['tokens', 'operator-keys'].includes(first) ? `${first} ${second}` : first;
  const args = ['tokens', 'operator-keys'].includes(first) ? rest : [second, ...rest].filter(Boolean);
  if (values.help || command === '') {
    process.stdout.write(USAGE);
    return;
  }
  const config = loadConfig();

  switch (command) {
    case 'migrate': {
      const handle = await openDatabase(config);
      try {
        const results = await migrateToLatest(handle.db);
        process.stdout.write(results.length ? results.map((r) => `applied ${r.migrationName}\n`).join('') : 'the schema is up to date\n');
      } finally {
        await handle.close();
      }
      return;
    }
    case 'tokens create': {
      const days = Number(values.days);
      if (!values.user || !values.name || !values.days || !Number.isInteger(days)) {
        throw new UsageError('tokens create needs --workspace, --user, --name and --days (a whole number from 1 to 365)');
      }
      const body = { userId: values.user, name: values.name, lifetimeDays: days };
      return print(await callService(config, values, 'POST', tokensPath(values.workspace), body));
    }
    case 'tokens list': {
      const query = new URLSearchParams();
      if (values.user) query.set('userId', values.user);
      if (values.status) query.set('status', values.status);
      if (values.name) query.set('name', values.name);
      return print(await callService(config, values, 'GET', `${tokensPath(values.workspace)}?${query}`));
    }
    case 'tokens disable':
    case 'tokens delete': {
      if (args.length === 0) throw new UsageError(`${command} needs the ids of the tokens`);
      const action = command === 'tokens disable' ? 'disable' : 'delete';
      return print(await callService(config, values, 'POST', `${tokensPath(values.workspace)}/${action}`, { ids: args }));
    }
    case 'operator-keys create':
      if (!values.name) throw new UsageError('operator-keys create needs --name (who or what holds the key)');
      return print(await callService(config, values, 'POST', '/v1/operator-keys', { name: values.name }));
    case 'operator-keys list':
      return print(await callService(config, values, 'GET', '/v1/operator-keys'));
    case 'operator-keys revoke':
      if (args.length !== 1) throw new UsageError('operator-keys revoke needs the id of one key');
      return print(await callService(config, values, 'POST', `/v1/operator-keys/${encodeURIComponent(args[0]!)}/revoke`));
    case 'identity-token': {
      if (!values.user || !values.workspace) throw new UsageError('identity-token needs --user and --workspace');
      const body = { userId: values.user, workspaceId: values.workspace, admin: values.admin ?? false };
      const answer = await callService(config, values, 'POST', '/v1/dev/identity-tokens', body) as { identity_token: string };
      process.stdout.write(`${answer.identity_token}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function tokensPath(workspace: string | undefined): string {
  if (!workspace) throw new UsageError('name the workspace with --workspace');
  return `/v1/workspaces/${encodeURIComponent(workspace)}/tokens`;
}

function print(answer: unknown): void {
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
}

async function callService(
  config: Config,
  options: { url?: string | undefined; 'operator-key-file'?: string | undefined },
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const settings = loadCliSettings(config);
  const key = await operatorKey(config, settings.operatorKey, options['operator-key-file']);
  const url = new URL(path, options.url ?? settings.serviceUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new Error(`Could not reach the service at ${url.origin} (${(err as Error).cause ?? (err as Error).message}). Is it running? Start it with npm start, or pass --url.`);
  }
  const answer = response.status === 204 ? {} : await response.json().catch(() => ({})) as { message?: string };
  if (!response.ok) throw new Error(`The service answered ${response.status}: ${answer.message ?? response.statusText}`);
  return answer;
}

async function operatorKey(config: Config, fromEnv: string | undefined, file: string | undefined): Promise<string> {
  if (!file && fromEnv) return fromEnv;
  const path = file ?? join(config.dataDir, OPERATOR_KEY_FILE);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    throw new Error(`No operator key: set OPERATOR_KEY or pass --operator-key-file (looked in ${path}).`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  const message = err instanceof UsageError ? `${err.message}\n\n${USAGE}` : (err as Error).message;
  process.stderr.write(`${err instanceof ConfigError ? '' : 'error: '}${message}\n`);
  process.exitCode = 1;
}
