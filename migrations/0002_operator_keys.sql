-- Keys for operators of the management API. Only a SHA-256 of each key is kept.
CREATE TABLE operator_keys (
  id           uuid PRIMARY KEY,
  name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  key_hash     bytea       NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
