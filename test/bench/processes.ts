import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';
/** Lines of a child's output echoed to the terminal; the rest are dropped. */
const ECHOED_LINES = 30;

export interface ChildServer {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** Resolves when GET /readyz answers 200; rejects if the child exits or times out first. */
  ready(): Promise<void>;
  /** CPU seconds (user and system) the child has used so far; undefined off Linux. */
  cpuTimes(): CpuTimes | undefined;
  /** Stops the child (SIGTERM, then SIGKILL after `graceMs`); safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildOptions {
  name: string;
  /** Node.js arguments and the script, run with this same Node.js. */
  args: string[];
  env: Record<string, string>;
  port: number;
  /** Open an IPC channel, so the child can notice when the benchmark goes away. */
  ipc?: boolean;
  readyTimeoutMs?: number;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('Could not find a free port');
  return address.port;
}

/** Starts a Node.js child serving HTTP on 127.0.0.1:`port`; wait for `ready()` before use. */
export function spawnServer(options: ChildOptions): ChildServer {
  const { name, port, readyTimeoutMs = 60_000 } = options;
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env, HOST, PORT: String(port) },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  echo(name, child);

  const origin = `http://${HOST}:${port}`;
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => { exited = signal ?? `code ${code}`; resolve(); });
    child.once('error', (err) => { exited = err.message; resolve(); }); // could not be spawned
  });

  return {
    name,
    port,
    origin,
    cpuTimes: () => (child.pid === undefined ? undefined : cpuTimesOf(child.pid)),
    ready: () => waitUntilReady(origin, readyTimeoutMs, () => exited && `${name} exited (${exited}) before it was ready`),
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat: USER_HZ, 100 on every Linux Node.js runs on. */
const USER_HZ = 100;

/** CPU seconds each process has used so far, by pid. */
export type CpuTimes = Map<number, number>;

/**
 * CPU seconds used so far by each process of the PostgreSQL server on this machine (every
 * process named postgres); undefined when none is visible (a remote server, or not Linux).
 */
export function postgresCpuTimes(): CpuTimes | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const times: CpuTimes = new Map();
  for (const pid of pids) {
    const stat = readStat(Number(pid));
    if (stat?.name === 'postgres') times.set(Number(pid), stat.cpuSeconds);
  }
  return times.size > 0 ? times : undefined;
}

/** The CPU seconds of one live process, as CpuTimes; undefined where there is none. */
function cpuTimesOf(pid: number): CpuTimes | undefined {
  const stat = readStat(pid);
  return stat && new Map([[pid, stat.cpuSeconds]]);
}

/**
 * CPU seconds used between two readings: by the processes alive at the second, counting a
 * process started in between from zero. A process that ended in between is left out, with
 * what it used in between (pg pools close idle connections, so this happens).
 */
export function cpuSecondsBetween(start: CpuTimes, end: CpuTimes): number {
  let total = 0;
  for (const [pid, seconds] of end) total += seconds - (start.get(pid) ?? 0);
  return total;
}

/** utime + stime of a live process and its name, from /proc (proc(5)). */
function readStat(pid: number): { name: string; cpuSeconds: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces.
  const close = stat.lastIndexOf(')');
  const name = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return { name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / USER_HZ };
}

/** Polls `origin`/readyz; `failure` says why to give up early (the child is gone). */
async function waitUntilReady(origin: string, timeoutMs: number, failure: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = failure();
    if (reason) throw new Error(reason);
    try {
      const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`${origin}/readyz did not answer 200 within ${timeoutMs / 1000} s`);
}

function echo(name: string, child: ChildProcess): void {
  let lines = 0;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      lines++;
      if (lines <= ECHOED_LINES) process.stderr.write(`[${name}] ${line}\n`);
      else if (lines === ECHOED_LINES + 1) process.stderr.write(`[${name}] (further output not shown)\n`);
    });
  }
}
