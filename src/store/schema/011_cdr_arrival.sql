-- Version 11: the order in which call records arrived, for the API's billing
-- export (SPEC V1), whose cursor must never skip a record: the core's record
-- ids need not arrive in order (a batch that failed is resent after later
-- ones went in). `arrival` only ever grows: one more than the last, kept
-- across a prune that empties the table (setting `cdr.arrival`), and a small
-- number, so it costs the flash a few bytes a call. Records stored before this
-- version have none; the export gives them first, by core id. Both indexes
-- are partial, so neither costs the older records (nor their flash) a thing
-- beyond the one-off index of them, which shrinks as retention prunes them.
ALTER TABLE cdr ADD COLUMN arrival INTEGER;
CREATE INDEX cdr_arrival ON cdr(arrival) WHERE arrival IS NOT NULL;
CREATE INDEX cdr_before_arrival ON cdr(core_id) WHERE arrival IS NULL;
