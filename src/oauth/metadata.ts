import type { Config } from '../config/index.ts';

/**
 * RFC 8414 authorization server metadata, from the configuration: the public issuer is
 * the source of truth for every URL, whatever host or proxy a request came through.
 */
export function authorizationServerMetadata(config: Pick<Config, 'issuer' | 'clients' | 'signingAlg'>) {
  return Object.freeze({
    issuer: config.issuer,
    token_endpoint: `${config.issuer}/token`,
    jwks_uri: `${config.issuer}/jwks`,
    grant_types_supported: ['refresh_token'],
    // There is no authorization endpoint: API tokens are generated through the management API.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: [...new Set(config.clients.map((c) => c.token_endpoint_auth_method))],
    access_token_signing_alg_values_supported: [config.signingAlg],
  });
}
