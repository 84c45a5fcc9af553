-- Version 19: the CTI server's offline journal (SPEC C4). `journal_mark` is
-- the last call record's arrival (version 11) when the account's clients were
-- last given its calls: when its last client went, or when one logged in.
-- The records that arrived after it are the calls it missed. NULL: it never
-- logged in, and has missed nothing.
ALTER TABLE account ADD COLUMN journal_mark INTEGER;
