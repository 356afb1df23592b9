import autocannon from 'autocannon';
import { cpuSecondsBetween, type CpuTimes } from './processes.ts';
import { CLIENT_ID } from './seed.ts';
import type { TokenPool } from './token-pool.ts';

export interface DriveOptions {
  /** http://127.0.0.1:<port> */
  origin: string;
  connections: number;
  /** Seconds of the measured window. */
  duration: number;
  /** Seconds of traffic before it, not measured. */
  warmup: number;
  /** Stops the run early (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** The target's CPU seconds so far, read at both ends of the measured window. */
  cpuTimes?: (() => CpuTimes | undefined) | undefined;
  /** The same for the database server's processes. */
  databaseCpuTimes?: (() => CpuTimes | undefined) | undefined;
}

export interface Measurement {
  /** Successful (2xx) answers per second of the measured window. */
  rps: number;
  /** Milliseconds, over every answer of the measured window. */
  p50: number;
  p99: number;
  /** Every request of the window that did not succeed: non-2xx, bad 2xx body, no answer. */
  errors: number;
  /** The target's CPU milliseconds per answer over the window; NaN when not known. */
  cpuPerAnswer: number;
  /** The database server's, likewise. */
  databaseCpuPerAnswer: number;
  non2xx: number;
  /** Connection errors and timeouts: requests that got no answer at all. */
  transportErrors: number;
  /** 2xx answers without the expected body. */
  badBodies: number;
  /** Count per status code, and the first few failing answers. */
  statuses: Record<string, number>;
  samples: string[];
}

/** What the checks of one window saw; a fresh one per window. */
class Tally {
  badBodies = 0;
  readonly samples: string[] = [];

  sample(status: number, body: string): void {
    if (this.samples.length < 5) this.samples.push(`${status} ${body.slice(0, 200)}`);
  }
}

/** One request shape; `tally` is where its answers are checked and counted. */
type RequestFactory = (tally: Tally) => autocannon.Request;

/**
 * A warm-up window, then the measured one, each a fresh autocannon run with no pipelining
 * (one request in flight per connection). Only the second is returned.
 */
async function warmThenMeasure(options: DriveOptions, path: string, request: RequestFactory): Promise<Measurement> {
  if (options.warmup > 0) {
    const warm = await window(options, options.warmup, path, request);
    if (warm.errors > 0) process.stderr.write(`  warm-up: ${warm.errors} failed requests (${warm.samples[0] ?? ''})\n`);
  }
  return window(options, options.duration, path, request);
}

function window(options: DriveOptions, duration: number, path: string, request: RequestFactory): Promise<Measurement> {
  const tally = new Tally();
  const latencies: number[] = [];
  const cpu = new CpuMeter(options.cpuTimes);
  const databaseCpu = new CpuMeter(options.databaseCpuTimes);
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: `${options.origin}${path}`,
      connections: options.connections,
      pipelining: 1,
      duration,
      timeout: 10,
      requests: [request(tally)],
    }, (err: unknown, result: autocannon.Result) => {
      options.signal?.removeEventListener('abort', stop);
      if (err) return reject(err);
      resolve(summarise(result, tally, latencies, cpu.elapsed(), databaseCpu.elapsed()));
    });
    const stop = () => instance.stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    // Our own record of every latency: autocannon's percentiles are whole milliseconds.
    instance.on('response', (_client, _status, _bytes, responseTime) => { latencies.push(responseTime); });
  });
}

/** CPU seconds used from its creation to `elapsed()`; NaN when they cannot be read. */
class CpuMeter {
  readonly #read: (() => CpuTimes | undefined) | undefined;
  readonly #start: CpuTimes | undefined;

  constructor(read: (() => CpuTimes | undefined) | undefined) {
    this.#read = read;
    this.#start = read?.();
  }

  elapsed(): number {
    const end = this.#read?.();
    return this.#start === undefined || end === undefined ? Number.NaN : cpuSecondsBetween(this.#start, end);
  }
}

/** `cpu` and `databaseCpu`: CPU seconds of the target and the database over the window. */
function summarise(result: autocannon.Result, tally: Tally, latencies: number[], cpu: number, databaseCpu: number): Measurement {
  const statuses: Record<string, number> = {};
  for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
  const successes = result['2xx'] - tally.badBodies;
  latencies.sort((a, b) => a - b);
  return {
    rps: result.duration > 0 ? successes / result.duration : 0,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors: result.non2xx + result.errors + tally.badBodies,
    cpuPerAnswer: (1000 * cpu) / latencies.length,
    databaseCpuPerAnswer: (1000 * databaseCpu) / latencies.length,
    non2xx: result.non2xx,
    transportErrors: result.errors,
    badBodies: tally.badBodies,
    statuses,
    samples: tally.samples,
  };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** Refresh-token grants, each presenting a live token from `pool` and returning its successor. */
export function driveRefresh(options: DriveOptions, path: string, pool: TokenPool): Promise<Measurement> {
  return warmThenMeasure(options, path, (tally) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest(request) {
      // An empty pool (every token lost to errors) sends a value that matches no token:
      // it fails harmlessly and is counted, where stopping would need the instance.
      const token = pool.take() ?? 'bench-pool-exhausted';
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: token });
      return { ...request, body: form.toString() };
    },
    onResponse(status, body) {
      if (status < 200 || status > 299) return tally.sample(status, body);
      const answer = parseObject(body);
      const next = answer?.refresh_token;
      if (typeof next === 'string' && next && typeof answer?.access_token === 'string' && answer.token_type === 'Bearer') {
        return pool.put(next);
      }
      tally.badBodies++;
      tally.sample(status, body);
    },
  }));
}

/** Token generation as an operator, each for a user of its own (the per-user cap). */
export function driveGeneration(options: DriveOptions, workspaceId: string, operatorKey: string, userPrefix: string): Promise<Measurement> {
  let users = 0;
  return warmThenMeasure(options, `/v1/workspaces/${workspaceId}/tokens`, (tally) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
    setupRequest(request) {
      users++;
      return { ...request, body: JSON.stringify({ userId: `${userPrefix}-${users}`, name: 'bench', lifetimeDays: 30 }) };
    },
    onResponse(status, body) {
      if (status < 200 || status > 299) return tally.sample(status, body);
      const answer = parseObject(body);
      if (typeof answer?.refresh_token === 'string' && typeof answer.access_token === 'string') return;
      tally.badBodies++;
      tally.sample(status, body);
    },
  }));
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
