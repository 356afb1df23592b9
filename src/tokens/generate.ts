import { randomUUID } from 'node:crypto';
import { badRequest } from '../errors.ts';
import {
  LIFETIME_DAYS_MAX,
  LIFETIME_DAYS_MIN,
  NAME_MAX_LENGTH,
  expiryOf,
  type Actor,
  type ApiToken,
  type PendingToken,
} from './model.ts';

export interface MintedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Stores the pending token and returns its first access and refresh tokens. */
export type Mint = (pending: PendingToken) => Promise<MintedTokens>;

export interface GenerateRequest {
  workspaceId: string;
  userId: string;
  name: string;
  lifetimeDays: number;
  actor: Actor;
}

/**
 * The answer to a generation: the token as any listing shows it, plus its secrets and what
 * the holder needs to refresh, in the token endpoint's own words (RFC 6749 §5.1). It is
 * given once; the service keeps only a hash of the refresh token.
 */
export interface GeneratedToken extends ApiToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  client_id: string;
  token_endpoint: string;
}

export interface GeneratorOptions {
  mint: Mint;
  clientId: string;
  tokenEndpoint: string;
}

export function createGenerator({ mint, clientId, tokenEndpoint }: GeneratorOptions) {
  return async function generate(request: GenerateRequest): Promise<GeneratedToken> {
    const name = validName(request.name);
    const lifetimeDays = validLifetime(request.lifetimeDays);
    const createdAt = new Date();
    const pending: PendingToken = {
      id: randomUUID(),
      workspaceId: request.workspaceId,
      userId: request.userId,
      clientId,
      name,
      lifetimeDays,
      createdAt,
      expiresAt: expiryOf(createdAt, lifetimeDays),
      actor: request.actor,
    };
    const minted = await mint(pending);
    return {
      id: pending.id,
      name,
      userId: pending.userId,
      workspaceId: pending.workspaceId,
      status: 'active',
      createdAt: createdAt.toISOString(),
      expiresAt: pending.expiresAt.toISOString(),
      lastUsedAt: null,
      disabledAt: null,
      disabledBy: null,
      disabledReason: null,
      access_token: minted.accessToken,
      token_type: 'Bearer',
      expires_in: minted.expiresIn,
      refresh_token: minted.refreshToken,
      client_id: clientId,
      token_endpoint: tokenEndpoint,
    };
  };
}

export type Generate = ReturnType<typeof createGenerator>;

function validName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  const length = [...name].length; // code points, as the database counts them
  // eslint-disable-next-line no-control-regex
  if (length < 1 || length > NAME_MAX_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw badRequest(`name must be 1 to ${NAME_MAX_LENGTH} characters after trimming, with no control characters`);
  }
  return name;
}

function validLifetime(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < LIFETIME_DAYS_MIN || value > LIFETIME_DAYS_MAX) {
    throw badRequest(`lifetimeDays must be a whole number of days from ${LIFETIME_DAYS_MIN} to ${LIFETIME_DAYS_MAX}`);
  }
  return value;
}
