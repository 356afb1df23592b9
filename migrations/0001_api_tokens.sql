-- One row per API token. The provider's Grant and RefreshToken are views of this row:
-- a refresh is one read by hash and one compare-and-set on refresh_hash.
CREATE TABLE api_tokens (
  id                    uuid PRIMARY KEY,
  workspace_id          text        NOT NULL,
  user_id               text        NOT NULL,
  client_id             text        NOT NULL,
  name                  text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  lifetime_days         integer     NOT NULL CHECK (lifetime_days BETWEEN 1 AND 365),
  created_at            timestamptz NOT NULL,
  expires_at            timestamptz NOT NULL,
  -- SHA-256 of the live refresh token, and of the one it replaced (for the retry leeway
  -- and reuse detection). Never the token itself.
  refresh_hash          bytea       NOT NULL,
  previous_refresh_hash bytea,
  rotated_at            timestamptz,
  rotations             integer     NOT NULL DEFAULT 0,
  last_used_at          timestamptz,
  disabled_at           timestamptz,
  disabled_by           text,
  disabled_reason       text,
  deleted_at            timestamptz,
  deleted_by            text,
  CHECK (expires_at > created_at),
  CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL))
);

CREATE UNIQUE INDEX api_tokens_refresh_hash ON api_tokens (refresh_hash);
CREATE INDEX api_tokens_previous_refresh_hash ON api_tokens (previous_refresh_hash)
  WHERE previous_refresh_hash IS NOT NULL;
CREATE INDEX api_tokens_workspace_listing ON api_tokens (workspace_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL;
CREATE INDEX api_tokens_owner_listing ON api_tokens (workspace_id, user_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL;

-- Who did what to which token, and every reuse_detected. Never a secret.
CREATE TABLE audit_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  workspace_id text        NOT NULL,
  token_id     uuid,
  action       text        NOT NULL,
  actor_type   text        NOT NULL CHECK (actor_type IN ('user', 'operator', 'system')),
  actor_id     text,
  client_ip    text,
  details      jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id DESC);
