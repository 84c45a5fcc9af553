-- Version 12: the history's index carries each call's direction and
-- disposition, so that a list of one kind (the start page's missed calls, the
-- history's filters) is picked from the index, and the table is read only for
-- the calls shown. With (extension, started_at) alone, every call of the
-- extension the list passed over was read from the table to learn its kind:
-- four in five, for the missed calls. (The record id is not in it: the index
-- would be a fifth larger again, and so would the flash written per call.)
CREATE INDEX cdr_history_by_kind ON cdr(extension, started_at, direction, disposition);
DROP INDEX cdr_history;
