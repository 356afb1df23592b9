/**
 * npm run bench [-- --tokens N --connections C --duration S --warmup S --large N]
 *
 * Creates a database of its own, lets the service migrate it, seeds API tokens in bulk,
 * then drives the refresh grant through the service and through the floor (floor.ts),
 * token generation, and the refresh grant with a small and a large table. Prints one
 * table and writes it to test/bench/results.md. Everything it starts, it stops; the
 * database is dropped at the end, also on failure or Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../../src/runtime.ts';
import { createBenchDatabase, postgresVersion } from './database.ts';
import { driveGeneration, driveRefresh, type DriveOptions, type Measurement } from './drive.ts';
import { writeFlameGraph } from './flame-graph.ts';
import { describeMachine } from './machine.ts';
import { freePort, postgresCpuTimes, spawnServer, type ChildOptions, type ChildServer } from './processes.ts';
import { renderReport, writeReport, type Row } from './report.ts';
import { reseed, tokenSlice } from './seed.ts';
import { TokenPool } from './token-pool.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** PostgreSQL connections of the service (its default) and of the floor alike. */
const POOL_SIZE = 10;
const SMALL_TABLE = 10_000;
/** Tokens each scale run draws from, spread over the whole table whatever its size. */
const SCALE_POOL = 10_000;

const USAGE = `Usage: npm run bench -- [options]
  --tokens N        API tokens seeded for the main refresh runs (default 100000)
  --connections N   concurrent connections, no pipelining (default 50)
  --duration S      seconds measured per refresh run (default 20); token generation takes half
  --warmup S        seconds of warm-up before each refresh run (default 5); token generation takes half
  --large N         tokens in the table for the large-table run (default 1000000)
  --entry PATH      the service's entry point (default src/server.ts; dist/src/server.js after npm run build)
  --cpu-prof DIR    run the service and the floor with --cpu-prof, writing service.cpuprofile
                    and floor.cpuprofile into DIR, and a flame graph of each (service.svg, floor.svg)
  --runs LIST       which runs, comma-separated: refresh (service and floor), generation,
                    scale (default all three)
  --output PATH     where the report goes (default test/bench/results.md)`;

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    large: { type: 'string', default: '1000000' },
    entry: { type: 'string', default: 'src/server.ts' },
    'cpu-prof': { type: 'string' },
    runs: { type: 'string', default: 'refresh,generation,scale' },
    output: { type: 'string', default: 'test/bench/results.md' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const tokens = wholeNumber('tokens', 200, 50_000_000);
const connections = wholeNumber('connections', 1, 1_000);
const duration = wholeNumber('duration', 1, 3_600);
const warmup = wholeNumber('warmup', 0, 3_600);
const large = wholeNumber('large', SMALL_TABLE, 50_000_000);
// Each target gets half the tokens; a run that stops loses the ones in flight (one per
// connection), and the next run needs at least one per connection to start.
if (tokens < 6 * connections) {
  process.stderr.write(`--tokens must be at least 6 x --connections (${6 * connections})\n`);
  process.exit(2);
}
const RUNS = ['refresh', 'generation', 'scale'] as const;
const runs = new Set(args.runs.split(',').map((run) => run.trim()));
const unknownRuns = [...runs].filter((run) => !(RUNS as readonly string[]).includes(run));
if (runs.size === 0 || unknownRuns.length > 0) {
  process.stderr.write(`--runs takes a comma-separated list of ${RUNS.join(', ')}; not ${unknownRuns.join(', ') || 'empty'}\n\n${USAGE}\n`);
  process.exit(2);
}
const shortDuration = Math.max(1, Math.round(duration / 2));
const shortWarmup = warmup > 0 ? Math.max(1, Math.round(warmup / 2)) : 0;
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// Undone in reverse order, once, whichever way the benchmark ends.
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
const aborted = new AbortController();

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const undo of cleanups.reverse()) {
      try {
        await undo();
      } catch (err) {
        process.stderr.write(`cleanup: ${(err as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

async function fail(reason: unknown, code: number): Promise<never> {
  process.stderr.write(`\nbench: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\n`);
  aborted.abort();
  await cleanup();
  process.exit(code);
}

process.once('SIGINT', () => void fail('stopped by SIGINT', 130));
process.once('SIGTERM', () => void fail('stopped by SIGTERM', 143));
process.on('uncaughtException', (err) => void fail(err, 1));
process.on('unhandledRejection', (err) => void fail(err, 1));

async function main() {
  const loadAtStart = loadavg()[0] ?? 0;
  const seed = randomBytes(3).toString('hex');
  const operatorKey = `bench-operator-${randomBytes(24).toString('hex')}`;

  const database = await createBenchDatabase(serverUrl);
  cleanups.push(() => database.drop());
  log(`database ${database.name}`);

  const servicePort = await freePort();
  const issuer = `http://localhost:${servicePort}/oauth2`;
  const profile = args['cpu-prof'];
  const profiled = (name: string) => (profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
  log(`starting the service (${args.entry}); it migrates the database`);
  const service = await start({
    name: 'service',
    args: [...profiled('service'), ...NODE_FLAGS, resolve(ROOT, args.entry)],
    env: {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
      BOOTSTRAP_OPERATOR_KEY: operatorKey,
      ISSUER: issuer,
      MIGRATE_ON_START: 'true',
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      // All the load comes from one address, one client id and one operator key: the rate
      // limits are raised to their maxima, so they are still checked but never refuse.
      RATE_LIMIT_TOKEN_PER_ADDRESS: '1000000',
      RATE_LIMIT_TOKEN_PER_CLIENT: '10000000',
      RATE_LIMIT_MANAGEMENT_PER_CALLER: '1000000',
    },
    port: servicePort,
  });

  await seedTable(database.url, seed, tokens);

  log('starting the floor (test/bench/floor.ts)');
  const floor = await start({
    name: 'floor',
    args: [...profiled('floor'), ...NODE_FLAGS, resolve(import.meta.dirname, 'floor.ts')],
    // The service's issuer, so both sign access tokens of the same size.
    env: { DATABASE_URL: database.url, ISSUER: issuer, DATABASE_POOL_SIZE: String(POOL_SIZE) },
    port: await freePort(),
    ipc: true,
  });

  const full: Load = { connections, duration, warmup, signal: aborted.signal };
  const short: Load = { ...full, duration: shortDuration, warmup: shortWarmup };
  const rows: Row[] = [];

  // Disjoint halves of the seeded tokens, interleaved so both targets touch the whole table.
  const half = Math.ceil(tokens / 2);
  const refresh = runs.has('refresh')
    ? {
        service: await measure(rows, 'refresh grant: service', tokens, full, (load) =>
          driveRefresh({ ...load, ...meter(service) }, '/oauth2/token', new TokenPool(tokenSlice(seed, tokens, half, 0, 2)))),
        floor: await measure(rows, 'refresh grant: floor', tokens, full, (load) =>
          driveRefresh({ ...load, ...meter(floor) }, '/token', new TokenPool(tokenSlice(seed, tokens, half, 1, 2)))),
      }
    : undefined;
  if (runs.has('generation')) {
    await measure(rows, 'token generation: service', tokens, short, (load) =>
      driveGeneration({ ...load, ...meter(service) }, 'bench-generation', operatorKey, `bench-${seed}-user`));
  }

  const scaleRun = async (table: number) => {
    await seedTable(database.url, seed, table);
    const size = Math.min(table, SCALE_POOL);
    const pool = new TokenPool(tokenSlice(seed, table, size, 0, Math.floor(table / size)));
    // The full window: p99 over a short one varies more from run to run than the goal allows.
    return measure(rows, `refresh grant: service, ${table.toLocaleString('en-US')} tokens`, table, full, (load) =>
      driveRefresh({ ...load, ...meter(service) }, '/oauth2/token', pool));
  };
  const scale = runs.has('scale') ? { small: await scaleRun(SMALL_TABLE), large: await scaleRun(large) } : undefined;

  const flags = NODE_FLAGS.join(' ');
  const report = {
    machine: describeMachine(await postgresVersion(database.url), loadAtStart),
    settings: [
      `Service: \`node ${flags} ${args.entry}\` (LOG_LEVEL=warn, rate limits raised out of reach, pool of ${POOL_SIZE}); floor: \`node ${flags} test/bench/floor.ts\` (pool of ${POOL_SIZE}); same database, data and signing key`,
      `autocannon ${connections} connections, no pipelining; each request presents a distinct live refresh token and the answer's successor is presented later`,
      `Main runs: ${tokens.toLocaleString('en-US')} tokens seeded (service and floor each use a disjoint half); token generation: ${shortWarmup} s warm-up + ${shortDuration} s; scale runs: table reseeded to ${SMALL_TABLE.toLocaleString('en-US')} then ${large.toLocaleString('en-US')} tokens`,
    ],
    rows,
    refresh,
    scale,
  };
  const output = resolve(ROOT, args.output);
  await writeReport(output, report);
  process.stdout.write(`\n${renderReport(report)}\nwritten to ${output}\n`);
}

/** Where a run sends its requests, and how it reads the target's CPU time. */
function meter(target: ChildServer): Pick<DriveOptions, 'origin' | 'cpuTimes' | 'databaseCpuTimes'> {
  return { origin: target.origin, cpuTimes: target.cpuTimes, databaseCpuTimes: postgresCpuTimes };
}

/** How hard and how long a run drives its target. */
type Load = Omit<DriveOptions, 'origin' | 'cpuTimes' | 'databaseCpuTimes'>;

/** One run: logs it, adds its row to `rows`, and returns the row. */
async function measure(rows: Row[], label: string, table: number, load: Load, run: (load: Load) => Promise<Measurement>): Promise<Row> {
  log(`${label}: ${load.warmup} s warm-up + ${load.duration} s at ${load.connections} connections`);
  const measurement = await run(load);
  if (aborted.signal.aborted) throw new Error('stopped');
  const row: Row = { label, tokens: table, connections: load.connections, warmup: load.warmup, duration: load.duration, measurement };
  rows.push(row);
  log(`  ${Math.round(measurement.rps)} req/s, p50 ${measurement.p50.toFixed(2)} ms, p99 ${measurement.p99.toFixed(2)} ms, CPU ms/answer ${measurement.cpuPerAnswer.toFixed(3)} (PostgreSQL ${measurement.databaseCpuPerAnswer.toFixed(3)}), ${measurement.errors} errors`);
  return row;
}

/** Starts a child, to be stopped at the end whatever happens, and waits until it is ready. */
async function start(options: ChildOptions): Promise<ChildServer> {
  const server = spawnServer(options);
  cleanups.push(() => server.stop());
  await server.ready();
  return server;
}

async function seedTable(url: string, seed: string, count: number): Promise<void> {
  log(`seeding ${count.toLocaleString('en-US')} tokens`);
  const { seconds } = await reseed(url, seed, count);
  log(`  seeded in ${seconds.toFixed(1)} s`);
}

function wholeNumber(name: keyof typeof args, min: number, max: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name} must be a whole number from ${min} to ${max}\n\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

try {
  await main();
} catch (err) {
  await fail(err, 1);
}
await cleanup();
// The targets write their profiles as they exit, so the flame graphs come after the cleanup.
if (args['cpu-prof']) {
  for (const name of ['service', 'floor']) {
    const { out } = writeFlameGraph(resolve(args['cpu-prof'], `${name}.cpuprofile`));
    log(`flame graph: ${out}`);
  }
}
