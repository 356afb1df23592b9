import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The OpenAPI 3 document of the management routes, generated from their schemas, at
 * /docs/json, and a page to browse it at /docs. The OAuth endpoints are described by their
 * RFCs and the RFC 8414 metadata.
 */
async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AAC Token Service',
        version: '1',
        description: 'Management API of the OAuth 2.0 API tokens of AAC workspaces. '
          + `Refresh tokens at ${app.config.issuer}/token (RFC 6749 §6); validate access tokens against ${app.config.issuer}/jwks.`,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An operator key, or an identity token of the AAC identity provider' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(openapi, { name: 'openapi' });
