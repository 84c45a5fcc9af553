-- Version 10: the provisioning API's bearer tokens (SPEC V1) get what the API
-- needs of them (the table came with version 2, unused until now). Only a
-- SHA-256 of the secret is kept; the secret is shown once, when the token is
-- made. Scopes are their codes separated by spaces ("read extensions:write").
-- A revoked token is kept (revoked_at set), so that the journal's "token:<id>"
-- still names it; the last use is written at most once a minute.
ALTER TABLE api_token ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE api_token ADD COLUMN expires_at INTEGER;
ALTER TABLE api_token ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_token ADD COLUMN last_used_from TEXT;
