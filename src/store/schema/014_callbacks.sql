-- Version 14: the departments' callback lists (SPEC Y5). An external caller whom
-- a department's members missed stays on its list, one entry per number (by the
-- reverse lookup's key) while open, until someone of the department reaches him
-- (seen in the call records) or marks it done; a member may claim it first.
-- Resolved entries stay a while for who called back when (`resolution` is a
-- domain::callback::Resolution code). Version 2 made a first draft of the table
-- that nothing ever wrote: it goes.
DROP INDEX callback_open;
DROP TABLE callback;
CREATE TABLE callback (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES department(id) ON DELETE CASCADE,
    number        TEXT NOT NULL,
    lookup        TEXT NOT NULL,
    called        TEXT NOT NULL,
    calls         INTEGER NOT NULL,
    first_at      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    claimed_by    TEXT,
    claimed_at    INTEGER,
    resolved_by   TEXT,
    resolved_at   INTEGER,
    resolution    TEXT
);
CREATE UNIQUE INDEX callback_open ON callback(department_id, lookup) WHERE resolved_at IS NULL;
CREATE INDEX callback_done ON callback(department_id, resolved_at) WHERE resolved_at IS NOT NULL;
