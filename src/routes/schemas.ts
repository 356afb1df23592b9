import { Type, type Static } from 'typebox';
import { LIFETIME_DAYS_MAX, LIFETIME_DAYS_MIN } from '../tokens/model.ts';

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'A stable, machine-readable code' }),
  message: Type.String({ description: 'What went wrong and what to do about it' }),
});

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
