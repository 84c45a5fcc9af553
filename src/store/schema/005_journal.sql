-- Version 5: the change journal (SPEC Y2): who changed what of an extension's
-- settings, when and from where. No foreign key: the journal outlives changes
-- of the extension. Secrets are never values (a PIN or password is "set").
CREATE TABLE journal (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    extension TEXT NOT NULL,
    actor     TEXT NOT NULL,
    via       TEXT NOT NULL,
    topic     TEXT NOT NULL,
    field     TEXT NOT NULL,
    old       TEXT NOT NULL DEFAULT '',
    new       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_by_extension ON journal(extension, id);
