-- Keys are kept for two purposes: signing access tokens, and signing the identity tokens
-- of the development identity provider. One active key per purpose and algorithm.
ALTER TABLE signing_keys ADD COLUMN purpose text NOT NULL DEFAULT 'access_token'
  CHECK (purpose IN ('access_token', 'dev_identity'));

DROP INDEX signing_keys_one_active_per_alg;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (purpose, alg) WHERE retired_at IS NULL;
