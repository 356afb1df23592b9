import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config/index.ts';
import { loggerOptions } from './logger.ts';

/** Fastify's server options from the configuration; tests build the app with the same. */
export function serverOptions(config: Config, logger = loggerOptions(config.logLevel)): FastifyServerOptions {
  return {
    logger,
    // A hop count is valid at runtime (proxy-addr), though Fastify's types leave it out.
    trustProxy: config.trustProxy as FastifyServerOptions['trustProxy'],
    requestIdHeader: 'x-request-id',
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // The first start on the embedded database initialises it, which takes several seconds.
    pluginTimeout: 120_000,
  };
}
