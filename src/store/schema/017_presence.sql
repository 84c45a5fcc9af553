-- Version 17: presence (SPEC C7, C8). Each extension's stack of statuses, now
-- and to come (domain::presence): the one shown is the latest that applies.
--   status:    the CTI server's number, 0 AVAILABLE ... 11 MSG
--   end_at:    NULL until ended by hand
--   divert:    '' none, 'dnd', or the number calls go to while it applies
--   import_id: the PrmImport.csv record that set it (NULL: set by someone)
-- Version 2's draft kept statuses per CTI account and was never written: it
-- goes. A status is the extension's (its busy lamp, DND and forwarding are),
-- and an account shows its main device's.
DROP TABLE presence;
CREATE TABLE presence (
    id         INTEGER PRIMARY KEY,
    extension  TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    status     INTEGER NOT NULL,
    info       TEXT NOT NULL,
    start      INTEGER NOT NULL,
    end_at     INTEGER,
    set_at     INTEGER NOT NULL,
    set_by     TEXT NOT NULL,
    divert     TEXT NOT NULL,
    import_id  TEXT
);
CREATE INDEX presence_by_extension ON presence(extension);
CREATE INDEX presence_by_start ON presence(start);
CREATE INDEX presence_by_end ON presence(end_at) WHERE end_at IS NOT NULL;
