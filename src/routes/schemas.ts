import { Type, type Static } from 'typebox';
import { LIFETIME_DAYS_MAX, LIFETIME_DAYS_MIN } from '../tokens/model.ts';

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'A stable, machine-readable code' }),
  message: Type.String({ description: 'What went wrong and what to do about it' }),
});

/** The failures every management route may answer with, and how callers authenticate. */
export const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody, 503: ErrorBody };
export const security = [{ bearer: [] }];

export const WorkspaceId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: 'a workspace id: up to 128 letters, digits, ".", "_", ":" or "-"',
});

const USER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@|+-]{0,254}$';
const USER_ID_RULE = 'up to 255 letters, digits, ".", "_", ":", "@", "|", "+" or "-"';

export const UserId = Type.String({ pattern: USER_ID_PATTERN, description: `a user id: ${USER_ID_RULE}` });

export const TokenId = Type.String({ format: 'uuid', description: 'an API token id (a UUID)' });

export const WorkspaceParams = Type.Object({ workspaceId: WorkspaceId });
export type WorkspaceParams = Static<typeof WorkspaceParams>;

export const GenerateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, description: 'the token\'s name: 1 to 100 characters after trimming' }),
  lifetimeDays: Type.Integer({
    minimum: LIFETIME_DAYS_MIN,
    maximum: LIFETIME_DAYS_MAX,
    description: `the token's lifetime: a whole number of days from ${LIFETIME_DAYS_MIN} to ${LIFETIME_DAYS_MAX}`,
  }),
  userId: Type.Optional(Type.String({ pattern: USER_ID_PATTERN, description: `the owner, named by operators only: ${USER_ID_RULE}` })),
}, { additionalProperties: false });
export type GenerateBody = Static<typeof GenerateBody>;

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const ApiTokenBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  userId: Type.String(),
  workspaceId: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('expired')]),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastUsedAt: NullableTimestamp,
  disabledAt: NullableTimestamp,
  disabledBy: NullableString,
  disabledReason: NullableString,
});

export const GeneratedTokenBody = Type.Object({
  ...ApiTokenBody.properties,
  access_token: Type.String({ description: 'a signed JWT access token (RFC 9068)' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds until the access token expires' }),
  refresh_token: Type.String({ description: 'shown once: exchange it at token_endpoint for new tokens' }),
  client_id: Type.String({ description: 'the client_id to present with the refresh token' }),
  token_endpoint: Type.String({ description: 'where to refresh: POST grant_type=refresh_token' }),
});

export const TokenParams = Type.Object({ workspaceId: WorkspaceId, tokenId: TokenId });
export type TokenParams = Static<typeof TokenParams>;

const Limit = Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'the most items on a page: 1 to 200' });
const Cursor = Type.String({ maxLength: 200, description: 'nextCursor of the page before' });

export const ListQuery = Type.Object({
  userId: Type.Optional(Type.String({ pattern: USER_ID_PATTERN, description: `only this owner's tokens: ${USER_ID_RULE}` })),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('expired')], {
    description: 'only tokens with this status: active, disabled or expired',
  })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'only tokens whose name contains this, in any case' })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
}, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;

export const TokenPageBody = Type.Object({
  items: Type.Array(ApiTokenBody),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last' }),
});

export const DisableBody = Type.Object({
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'why, for the record: up to 200 characters' })),
}, { additionalProperties: false });
export type DisableBody = Static<typeof DisableBody>;

export const BulkBody = Type.Object({
  ids: Type.Array(TokenId, { minItems: 1, maxItems: 500, description: 'the token ids: 1 to 500' }),
}, { additionalProperties: false });
export type BulkBody = Static<typeof BulkBody>;

export const BulkResultBody = Type.Object({
  results: Type.Array(Type.Object({
    id: Type.String(),
    result: Type.Union([
      Type.Literal('disabled'),
      Type.Literal('deleted'),
      Type.Literal('already_disabled'),
      Type.Literal('not_found'),
    ]),
  })),
});

export const AuditQuery = Type.Object({
  tokenId: Type.Optional(TokenId),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'nextCursor of the page before' })),
}, { additionalProperties: false });
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditPageBody = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.String(),
    occurredAt: Timestamp,
    action: Type.String({ description: 'token.generated, token.disabled, token.deleted or reuse_detected' }),
    tokenId: NullableString,
    actor: Type.Object({ type: Type.String(), id: NullableString }),
    clientIp: NullableString,
    details: Type.Record(Type.String(), Type.Unknown()),
  })),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const OperatorKeyBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
});

export const NewOperatorKeyBody = Type.Object({
  ...OperatorKeyBody.properties,
  key: Type.String({ description: 'shown once: the operator key itself' }),
});

export const CreateOperatorKeyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'who or what holds the key: 1 to 100 characters' }),
}, { additionalProperties: false });

export const OperatorKeyParams = Type.Object({ keyId: Type.String({ format: 'uuid', description: 'an operator key id (a UUID)' }) });

export const DevIdentityRequestBody = Type.Object({
  userId: Type.String({ pattern: USER_ID_PATTERN, description: `the user: ${USER_ID_RULE}` }),
  workspaceId: WorkspaceId,
  admin: Type.Optional(Type.Boolean({ description: 'a workspace admin' })),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, default: 3600, description: 'lifetime: 60 to 86400 seconds' })),
}, { additionalProperties: false });

export const DevIdentityTokenBody = Type.Object({
  identity_token: Type.String(),
  expires_in: Type.Integer(),
});
