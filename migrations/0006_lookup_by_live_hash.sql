-- A refresh is looked up by its live hash alone, one probe of the unique index; any other
-- used refresh token, the previous one within the retry leeway included, is found among the
-- spent ones (0005). The previous hash stays in the row for the retry check, unindexed:
-- one index fewer for every rotation to update.
INSERT INTO spent_refresh_tokens (hash, token_id, expires_at)
  SELECT previous_refresh_hash, id, expires_at FROM api_tokens WHERE previous_refresh_hash IS NOT NULL
  ON CONFLICT (hash) DO NOTHING;

DROP INDEX api_tokens_previous_refresh_hash;
