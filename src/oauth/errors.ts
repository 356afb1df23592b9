import { errors } from 'oidc-provider';
import type { RefreshLookup } from '../tokens/service.ts';

/**
 * RFC 6749 §5.2 `invalid_grant` with a description that tells the holder what happened to
 * the token they hold, and nothing about anything else.
 */
export function invalidGrant(description: string): InstanceType<typeof errors.InvalidGrant> {
  const err = new errors.InvalidGrant(description);
  err.error_description = description;
  return err;
}

/** `temporarily_unavailable` as a 503: the caller may retry; nothing was changed. */
export function temporarilyUnavailable(cause: unknown) {
  const err = new errors.TemporarilyUnavailable('The token service cannot reach its database; retry shortly.', { cause });
  err.status = 503;
  err.statusCode = 503;
  return err;
}

/** 429: this client sent more token requests than its limit allows in the window. */
export function tooManyRequests(retryAfterSeconds: number) {
  const err = new errors.CustomOIDCProviderError(
    'too_many_requests',
    `Too many token requests for this client; retry in ${retryAfterSeconds} seconds.`,
  );
  err.status = 429;
  err.statusCode = 429;
  return err;
}

export function describeRejection(lookup: Extract<RefreshLookup, { ok: false }>): string {
  switch (lookup.reason) {
    case 'unknown':
      return 'The refresh token is not recognised. Use the refresh token returned by the latest refresh, or generate a new API token.';
    case 'deleted':
      return 'The API token of this refresh token has been deleted. Generate a new API token.';
    case 'disabled':
      return lookup.token?.disabled_reason === 'reuse_detected'
        ? 'The API token of this refresh token was disabled because one of its refresh tokens was used twice. Generate a new API token.'
        : 'The API token of this refresh token has been disabled. Generate a new API token.';
    case 'expired':
      return `The API token of this refresh token expired at ${lookup.token?.expires_at.toISOString()}. Generate a new API token.`;
    case 'reuse_detected':
      return 'This refresh token was already used. Its API token has been disabled to protect it; generate a new API token.';
    case 'conflict':
      return 'This refresh token was being used by another request at the same moment. Retry with the refresh token from the latest response.';
  }
}

export const wrongClient = () =>
  invalidGrant('The refresh token was issued to another client. Present it with the client_id it was issued to.');
