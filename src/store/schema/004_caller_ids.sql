-- Version 4: the numbers an extension may present as its caller ID ("call as",
-- SPEC W8, X4). An administrator assigns them; the subscriber chooses among them.
CREATE TABLE caller_id (
    extension TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    number    TEXT NOT NULL,
    PRIMARY KEY (extension, number)
) WITHOUT ROWID;
