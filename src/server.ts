import './runtime.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify from 'fastify';
import app from './app.ts';
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { serverOptions } from './server-options.ts';

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }

  const server = Fastify(serverOptions(config));
  await server.register(app, { config });

  let closing = false;
  // server.close() ends the connections that are idle when it is called. A keep-alive
  // connection whose request is still in flight would stay open after its answer, until the
  // keep-alive timeout, and hold the process past the shutdown timeout. So answers given
  // while closing tell the client to stop reusing the connection, and each connection is
  // ended as soon as its answer has gone out.
  const answering = new Set<ServerResponse>();
  server.server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    answering.add(response);
    response.once('close', () => answering.delete(response));
    response.once('finish', () => {
      if (closing) setImmediate(() => server.server.closeIdleConnections());
    });
  });

  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    for (const response of answering) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
    server.log.info({ signal }, 'shutting down: finishing requests in flight');
    const timer = setTimeout(() => {
      server.log.error('shutdown timed out; exiting with requests still open');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await server.listen({ host: config.host, port: config.port });
}

await main();
