-- Version 8: the journal is pruned by age (retention.journal_max_age_days) in
-- batches, oldest first: an index on the time spares each batch a scan and a sort
-- of the whole journal.
CREATE INDEX journal_by_time ON journal(at);
