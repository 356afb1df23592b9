import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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
