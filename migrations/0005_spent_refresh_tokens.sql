-- The SHA-256 of every refresh token that has been used, so that presenting any of them
-- again is recognised as reuse (DESIGN.md, Refresh), not only the one the api_tokens row
-- keeps as previous. Appended by the rotation statement itself; kept until the API token
-- expires (after that every one of its refresh tokens is refused anyway), then swept.
CREATE TABLE spent_refresh_tokens (
  hash       bytea       PRIMARY KEY,
  token_id   uuid        NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);

CREATE INDEX spent_refresh_tokens_expiry ON spent_refresh_tokens (expires_at);
