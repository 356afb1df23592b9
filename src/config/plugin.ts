import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

async function config(app: FastifyInstance, options: { config: Config }) {
  app.decorate('config', options.config);
}

export default fp(config, { name: 'config' });
