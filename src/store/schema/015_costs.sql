-- Version 15: call costs (SPEC W7, Y6). Version 2's drafts of the tariff and
-- the cost accounts were never written: they go.
--
-- A tariff is kept by version: a change makes a new one, in force for calls
-- started from `since` on, so a record is always priced by the tariff its call
-- started under (a record can arrive days late, after a link outage). The zone,
-- outside prefix and emergency numbers are the board's when it was made.
--   emergency: the numbers, space-separated
--   offpeak:   the bands, space-separated, each DAYS:FROM-TO (a day mask,
--              minutes after local midnight)
DROP TABLE tariff;
DROP TABLE cost_account;
CREATE TABLE tariff (
    id              INTEGER PRIMARY KEY,
    since           INTEGER NOT NULL,
    zone            TEXT NOT NULL,
    outside_prefix  TEXT NOT NULL,
    emergency       TEXT NOT NULL,
    offpeak         TEXT NOT NULL
);
CREATE INDEX tariff_since ON tariff(since);
CREATE TABLE tariff_rate (
    tariff      INTEGER NOT NULL REFERENCES tariff(id) ON DELETE CASCADE,
    prefix      TEXT NOT NULL,
    name        TEXT NOT NULL,
    setup       INTEGER NOT NULL,
    peak        INTEGER NOT NULL,
    offpeak     INTEGER NOT NULL,
    first_secs  INTEGER NOT NULL,
    step_secs   INTEGER NOT NULL,
    PRIMARY KEY (tariff, prefix)
) WITHOUT ROWID;

-- One extension's costs: spent in the period that began at period_start, the
-- limit (NULL: none), the credit left, the top-up and its mode, and the alerts
-- already sent this period (domain::tariff::Alert's marks).
CREATE TABLE cost_account (
    extension     TEXT PRIMARY KEY REFERENCES extension(number) ON DELETE CASCADE,
    spent         INTEGER NOT NULL DEFAULT 0,
    limit_cents   INTEGER,
    credit        INTEGER NOT NULL DEFAULT 0,
    top_up        INTEGER NOT NULL DEFAULT 0,
    mode          TEXT NOT NULL DEFAULT 'none' CHECK (mode IN ('none', 'daily', 'weekly', 'monthly')),
    period_start  INTEGER NOT NULL DEFAULT 0,
    alerts        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The alerts sent about an extension's spending, for the managers' and
-- administrators' pages (kind: 'threshold' with the per cent, 'forecast' with
-- the time the credit runs out).
CREATE TABLE cost_alert (
    id         INTEGER PRIMARY KEY,
    extension  TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    value      INTEGER NOT NULL
);
CREATE INDEX cost_alert_by_extension ON cost_alert(extension, at);
