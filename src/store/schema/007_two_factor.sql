-- Version 7: two-factor login (SPEC X3): a TOTP secret per extension (enabled
-- once a first code confirms it), the step of the last code accepted (no code
-- is accepted twice), and one-time recovery codes kept as SHA-256 hashes.
CREATE TABLE two_factor (
    extension  TEXT PRIMARY KEY REFERENCES extension(number) ON DELETE CASCADE,
    secret     BLOB NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE recovery_code (
    extension TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    hash      TEXT NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (extension, hash)
) WITHOUT ROWID;
