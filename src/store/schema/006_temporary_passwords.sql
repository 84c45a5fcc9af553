-- Version 6: a temporary password (SPEC A5) that an administrator or manager
-- gives; it logs in once, to choose a password of one's own.
ALTER TABLE extension ADD COLUMN password_temporary INTEGER NOT NULL DEFAULT 0;
