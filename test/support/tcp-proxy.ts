import net from 'node:net';

/** Which way the proxy treats traffic: passes it, stalls it, or drops it. */
type Mode = 'forward' | 'hold' | 'cut';

/** A chunk the client sent, examined before it is forwarded. */
export type ChunkTest = (chunk: Buffer) => boolean;

export interface TcpProxy {
  /** The port on 127.0.0.1 that clients connect to. */
  readonly port: number;
  /** `databaseUrl` pointed at the proxy instead of the server. */
  urlFor(databaseUrl: string): string;
  /** Destroys every live connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Accepts connections and traffic but forwards nothing until `restore()`: a stalled server. */
  hold(): void;
  /** Cuts the moment a client sends a chunk that passes `test`, before that chunk is forwarded. */
  cutWhen(test: ChunkTest): void;
  /** Holds from the moment a client sends a chunk that passes `test`, that chunk included. */
  holdWhen(test: ChunkTest): void;
  /** Forwards again, flushing what was held; connections cut stay gone. */
  restore(): void;
  /** Bytes clients sent that are waiting in the proxy. */
  heldBytes(): number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** Client bytes not yet forwarded; the upstream may not be connected yet. */
  toServer: Buffer[];
  toClient: Buffer[];
  clientEnded: boolean;
  upstreamEnded: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target`, so a test can take the network between the
 * service and its database away and give it back while both keep running.
 */
export async function startTcpProxy(target: { host: string; port: number } = { host: '127.0.0.1', port: 5432 }): Promise<TcpProxy> {
  let mode: Mode = 'forward';
  let trigger: { test: ChunkTest; then: 'cut' | 'hold' } | undefined;
  const pairs = new Set<Pair>();

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    pair.toServer.length = 0;
    pair.toClient.length = 0;
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const flush = (pair: Pair) => {
    const { upstream } = pair;
    if (mode !== 'forward' || !upstream || upstream.connecting) return;
    for (const chunk of pair.toServer.splice(0)) upstream.write(chunk);
    for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
    if (pair.clientEnded) upstream.end();
    if (pair.upstreamEnded) pair.client.end();
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target);
    pair.upstream = upstream;
    upstream.on('connect', () => flush(pair));
    upstream.on('data', (chunk) => {
      pair.toClient.push(chunk);
      flush(pair);
    });
    upstream.on('end', () => {
      pair.upstreamEnded = true;
      flush(pair);
    });
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => {
      if (pair.upstreamEnded && mode === 'forward') pairs.delete(pair);
      else destroy(pair);
    });
  };

  const cutAll = () => {
    mode = 'cut';
    for (const pair of [...pairs]) destroy(pair);
  };

  const server = net.createServer((client) => {
    if (mode === 'cut') {
      // Refused, as a server that went away: the connection is reset at once.
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined, toServer: [], toClient: [], clientEnded: false, upstreamEnded: false };
    pairs.add(pair);
    client.on('data', (chunk) => {
      if (trigger?.test(chunk)) {
        const { then } = trigger;
        trigger = undefined;
        if (then === 'cut') return cutAll();
        mode = 'hold';
      }
      pair.toServer.push(chunk);
      flush(pair);
    });
    client.on('end', () => {
      pair.clientEnded = true;
      flush(pair);
    });
    client.on('error', () => destroy(pair));
    client.on('close', () => {
      // A client that went away mid-hold takes what it left in the proxy with it.
      if (pair.clientEnded && mode === 'forward') pairs.delete(pair);
      else destroy(pair);
    });
    // While held, the server is not even reached: a stalled network, not a refusal.
    if (mode === 'forward') connectUpstream(pair);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.href;
    },
    cut: cutAll,
    hold() {
      mode = 'hold';
    },
    cutWhen(test) {
      trigger = { test, then: 'cut' };
    },
    holdWhen(test) {
      trigger = { test, then: 'hold' };
    },
    restore() {
      mode = 'forward';
      trigger = undefined;
      for (const pair of pairs) {
        if (pair.upstream) flush(pair);
        else connectUpstream(pair);
      }
    },
    heldBytes() {
      let total = 0;
      for (const pair of pairs) for (const chunk of pair.toServer) total += chunk.length;
      return total;
    },
    close() {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
