//! Call costs (SPEC W7, Y6): the tariff by version, each extension's cost
//! account, and the alerts sent about them. Records are priced in the intake's
//! own transaction ([`charge`]): an acknowledged record always has its cost,
//! and its extension's account has it booked.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::journal::{self, Changes};
use super::{Store, StoreError};
use crate::domain::cdr::{Cdr, Direction};
use crate::domain::tariff::{Band, Cents, CostAccount, Rate, Tariff, TopUpMode};

/// Tariff versions kept: older ones go when a new one is made.
pub const TARIFFS_KEPT: i64 = 50;
/// Alerts kept per extension.
pub const ALERTS_KEPT: i64 = 100;

/// A tariff as stored: its version, since when it is in force, and the zone
/// its off-peak bands are local times of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTariff {
    pub id: i64,
    pub since: i64,
    pub zone: String,
    pub tariff: Tariff,
}

/// An extension's account with its name and department, for the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub account: CostAccount,
    pub name: String,
    pub department: Option<i64>,
}

/// An alert as the pages list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub extension: String,
    pub at: i64,
    /// `threshold` or `forecast`.
    pub kind: String,
    /// The per cent passed, or when the credit runs out.
    pub value: i64,
}

impl Store {
    /// The tariff in force for calls started at `at`: the newest made no later.
    pub async fn tariff_at(&self, at: i64) -> Result<Option<StoredTariff>, StoreError> {
        self.read(move |c| tariff_at(c, at)).await
    }

    /// The newest tariff, whenever it takes effect.
    pub async fn newest_tariff(&self) -> Result<Option<StoredTariff>, StoreError> {
        self.read(|c| tariff_at(c, i64::MAX)).await
    }

    /// Makes a new version of the tariff, in force from `since`; the oldest
    /// beyond [`TARIFFS_KEPT`] go. Returns its id.
    pub async fn save_tariff(&self, tariff: Tariff, zone: String, since: i64) -> Result<i64, StoreError> {
        self.write(move |c| {
            let emergency = tariff.emergency.join(" ");
            let offpeak: Vec<String> =
                tariff.offpeak.iter().map(|b| format!("{}:{}-{}", b.days, b.from, b.to)).collect();
            c.execute(
                "INSERT INTO tariff (since, zone, outside_prefix, emergency, offpeak) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![since, zone, tariff.outside_prefix, emergency, offpeak.join(" ")],
            )?;
            let id = c.last_insert_rowid();
            let mut insert = c.prepare_cached(
                "INSERT INTO tariff_rate (tariff, prefix, name, setup, peak, offpeak, first_secs, step_secs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for r in &tariff.rates {
                insert.execute(params![id, r.prefix, r.name, r.setup, r.peak, r.offpeak, r.first_secs, r.step_secs])?;
            }
            drop(insert);
            c.execute(
                "DELETE FROM tariff WHERE id <= (SELECT id FROM tariff ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                [TARIFFS_KEPT],
            )?;
                        Ok(id)
        })
        .await
    }

    /// `ext`'s account: `None` if it has none yet (nothing spent, no limit).
    pub async fn cost_account(&self, ext: &str) -> Result<Option<CostAccount>, StoreError> {
        let key = ext.to_owned();
        let ext = key.clone();
        self.read_kept(|k| &k.cost_accounts, self.records_stamp(&ext), key, move |c| account(c, &ext)).await
    }

    /// `ext`'s credit for the core, and the newest record counted in it.
    pub async fn credit_of(&self, ext: &str) -> Result<(Option<Cents>, u64), StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            let credit = account(c, &ext)?.and_then(|a| a.available());
            Ok((credit, newest_record(c)?))
        })
        .await
    }

    /// Each account's credit for the core (`None`: not limited), and the
    /// newest record counted in them.
    pub async fn credit_commands(&self) -> Result<(Vec<(String, Option<Cents>)>, u64), StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT extension, CASE WHEN limit_cents IS NULL THEN NULL ELSE credit END
                 FROM cost_account ORDER BY extension",
            )?;
            let list = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            Ok((list, newest_record(c)?))
        })
        .await
    }

    /// Whom alerts about `ext` are mailed to, with their languages: the
    /// managers of its department, or, for an extension of none (or a
    /// department without managers with an address), the administrators.
    pub async fn cost_alert_recipients(&self, ext: &str) -> Result<Vec<(String, String)>, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            let mut managers = c.prepare_cached(
                "SELECT m.email, m.language FROM extension e
                 JOIN manager_department md ON md.department_id = e.department_id
                 JOIN extension m ON m.number = md.extension
                 WHERE e.number = ?1 AND m.email != '' ORDER BY m.number",
            )?;
            let list: Vec<(String, String)> =
                managers.query_map([&ext], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            if !list.is_empty() {
                return Ok(list);
            }
            let mut admins = c.prepare_cached(
                "SELECT email, language FROM extension WHERE is_admin = 1 AND email != '' ORDER BY number",
            )?;
            let list = admins.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            Ok(list)
        })
        .await
    }

    /// The accounts of every extension (with none: a new one in `period_start`),
    /// by number, with names and departments.
    pub async fn cost_accounts(&self, period_start: i64) -> Result<Vec<AccountRow>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT e.number, e.name, e.department_id, {ACCOUNT_COLUMNS}
                 FROM extension e LEFT JOIN cost_account a ON a.extension = e.number
                 ORDER BY length(e.number), e.number"
            ))?;
            let rows = stmt.query_map([], |r| {
                let number: String = r.get(0)?;
                let account = match r.get::<_, Option<i64>>(3)? {
                    Some(_) => account_row(r, 3, &number)?,
                    None => CostAccount::new(&number, period_start),
                };
                Ok(AccountRow { account, name: r.get(1)?, department: r.get(2)? })
            })?;
            rows.collect()
        })
        .await
    }

    /// Writes `ext`'s account as `change` leaves it (read in the same job:
    /// charges committed meanwhile are not lost), with the journal's entries
    /// made from the account before and after. Returns the account.
    pub async fn change_cost_account<F>(
        &self,
        ext: &str,
        period_start: i64,
        by: Changes,
        now: i64,
        change: F,
    ) -> Result<Option<CostAccount>, StoreError>
    where
        F: FnOnce(&mut CostAccount) -> Vec<crate::domain::journal::Change> + Send + 'static,
    {
        let ext = ext.to_owned();
        self.write(move |c| {
            let exists: bool =
                c.prepare_cached("SELECT 1 FROM extension WHERE number = ?1")?.exists([&ext])?;
            if !exists {
                return Ok(None);
            }
            let mut a = account(c, &ext)?.unwrap_or_else(|| CostAccount::new(&ext, period_start));
            let list = change(&mut a);
            save(c, &a)?;
            journal::record(c, &ext, &by.by, &list, now)?;
            Ok(Some(a))
        })
        .await
    }

    /// Starts the new period of every account whose period is over (a top-up
    /// by its mode); `starts` gives each mode's current period's start.
    /// Returns the accounts that changed.
    pub async fn roll_cost_periods(
        &self,
        starts: Vec<(TopUpMode, i64)>,
    ) -> Result<Vec<CostAccount>, StoreError> {
        self.write(move |c| {
            let mut rolled = Vec::new();
            {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT a.extension, {ACCOUNT_COLUMNS} FROM cost_account a WHERE a.mode = ?1 AND a.period_start < ?2"
                ))?;
                for (mode, start) in &starts {
                    let due: Vec<CostAccount> = stmt
                        .query_map(params![mode.code(), start], |r| {
                            let ext: String = r.get(0)?;
                            account_row(r, 1, &ext)
                        })?
                        .collect::<Result<_, _>>()?;
                    for mut a in due {
                        if a.roll(*start) {
                            rolled.push(a);
                        }
                    }
                }
            }
            for a in &rolled {
                save(c, a)?;
            }
                        Ok(rolled)
        })
        .await
    }

    /// What `ext`'s calls started since `since` cost.
    pub async fn spent_since(&self, ext: &str, since: i64) -> Result<Cents, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT coalesce(sum(cost_cents), 0) FROM cdr
                 WHERE extension = ?1 AND started_at >= ?2 AND direction = 0 AND cost_cents > 0",
            )?
            .query_row(params![ext, since], |r| r.get(0))
        })
        .await
    }

    /// What every extension's calls started since `since` cost, in one read
    /// by the records' age (the lists' forecasts).
    pub async fn spent_by_extension_since(&self, since: i64) -> Result<HashMap<String, Cents>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT extension, sum(cost_cents) FROM cdr
                 WHERE started_at >= ?1 AND direction = 0 AND cost_cents > 0 GROUP BY extension",
            )?
            .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        })
        .await
    }

    /// Records alerts sent about `ext` and the account's marks for them.
    pub async fn record_cost_alerts(
        &self,
        ext: &str,
        alerts: Vec<(String, i64)>,
        marks: u32,
        now: i64,
    ) -> Result<(), StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            c.execute("UPDATE cost_account SET alerts = ?2 WHERE extension = ?1", params![ext, marks])?;
            for (kind, value) in &alerts {
                c.execute(
                    "INSERT INTO cost_alert (extension, at, kind, value) VALUES (?1, ?2, ?3, ?4)",
                    params![ext, now, kind, value],
                )?;
            }
            c.execute(
                "DELETE FROM cost_alert WHERE extension = ?1 AND id <= (
                     SELECT id FROM cost_alert WHERE extension = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                params![ext, ALERTS_KEPT],
            )?;
            Ok(())
        })
        .await
    }

    /// The newest alerts, at most `limit`, of the extensions in `only` (all when `None`).
    pub async fn cost_alerts(
        &self,
        only: Option<Vec<String>>,
        limit: u32,
    ) -> Result<Vec<AlertRow>, StoreError> {
        self.read(move |c| {
            let read = |r: &Row<'_>| {
                Ok((
                    r.get::<_, i64>(0)?,
                    AlertRow { extension: r.get(1)?, at: r.get(2)?, kind: r.get(3)?, value: r.get(4)? },
                ))
            };
            let mut rows: Vec<(i64, AlertRow)> = match &only {
                None => c
                    .prepare_cached(
                        "SELECT id, extension, at, kind, value FROM cost_alert ORDER BY id DESC LIMIT ?1",
                    )?
                    .query_map([limit], read)?
                    .collect::<Result<_, _>>()?,
                Some(exts) => {
                    // Each extension's newest, by its index; then the newest of them all.
                    let mut stmt = c.prepare_cached(
                        "SELECT id, extension, at, kind, value FROM cost_alert
                         WHERE extension = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
                    )?;
                    let mut all = Vec::new();
                    for ext in exts {
                        all.extend(
                            stmt.query_map(params![ext, limit], read)?.collect::<Result<Vec<_>, _>>()?,
                        );
                    }
                    all
                }
            };
            rows.sort_by_key(|r| std::cmp::Reverse(r.0));
            rows.truncate(limit as usize);
            Ok(rows.into_iter().map(|(_, r)| r).collect())
        })
        .await
    }
}

const ACCOUNT_COLUMNS: &str = "a.spent, a.limit_cents, a.credit, a.top_up, a.mode, a.period_start, a.alerts";

fn account(c: &Connection, ext: &str) -> rusqlite::Result<Option<CostAccount>> {
    c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM cost_account a WHERE a.extension = ?1"))?
        .query_row([ext], |r| account_row(r, 0, ext))
        .optional()
}

fn account_row(r: &Row<'_>, at: usize, ext: &str) -> rusqlite::Result<CostAccount> {
    let mode: String = r.get(at + 4)?;
    Ok(CostAccount {
        extension: ext.to_owned(),
        spent: r.get(at)?,
        limit: r.get(at + 1)?,
        credit: r.get(at + 2)?,
        top_up: r.get(at + 3)?,
        mode: TopUpMode::from_code(&mode).unwrap_or_default(),
        period_start: r.get(at + 5)?,
        alerts: r.get(at + 6)?,
    })
}

fn save(c: &Connection, a: &CostAccount) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO cost_account (extension, spent, limit_cents, credit, top_up, mode, period_start, alerts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (extension) DO UPDATE SET spent = ?2, limit_cents = ?3, credit = ?4, top_up = ?5,
             mode = ?6, period_start = ?7, alerts = ?8",
    )?
    .execute(params![
        a.extension,
        a.spent,
        a.limit,
        a.credit,
        a.top_up,
        a.mode.code(),
        a.period_start,
        a.alerts
    ])?;
    Ok(())
}

/// The newest call record's id: every record up to it is counted in the accounts.
fn newest_record(c: &Connection) -> rusqlite::Result<u64> {
    let id: Option<i64> = c.prepare_cached("SELECT max(core_id) FROM cdr")?.query_row([], |r| r.get(0))?;
    Ok(id.unwrap_or(0).max(0) as u64)
}

fn tariff_at(c: &Connection, at: i64) -> rusqlite::Result<Option<StoredTariff>> {
    let head = c
        .prepare_cached(
            "SELECT id, since, zone, outside_prefix, emergency, offpeak FROM tariff
             WHERE since <= ?1 ORDER BY since DESC, id DESC LIMIT 1",
        )?
        .query_row([at], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .optional()?;
    let Some((id, since, zone, outside_prefix, emergency, offpeak)) = head else { return Ok(None) };
    let rates = c
        .prepare_cached(
            "SELECT prefix, name, setup, peak, offpeak, first_secs, step_secs FROM tariff_rate
             WHERE tariff = ?1 ORDER BY length(prefix), prefix",
        )?
        .query_map([id], |r| {
            Ok(Rate {
                prefix: r.get(0)?,
                name: r.get(1)?,
                setup: r.get(2)?,
                peak: r.get(3)?,
                offpeak: r.get(4)?,
                first_secs: r.get(5)?,
                step_secs: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let tariff = Tariff {
        rates,
        offpeak: offpeak.split_whitespace().filter_map(band).collect(),
        outside_prefix,
        emergency: emergency.split_whitespace().map(str::to_owned).collect(),
    };
    Ok(Some(StoredTariff { id, since, zone, tariff }))
}

/// `DAYS:FROM-TO`.
fn band(s: &str) -> Option<Band> {
    let (days, times) = s.split_once(':')?;
    let (from, to) = times.split_once('-')?;
    Some(Band { days: days.parse().ok()?, from: from.parse().ok()?, to: to.parse().ok()? })
}

/// Tariffs read while pricing one batch of records, by the time they cover.
#[derive(Default)]
pub(super) struct Pricing {
    tariffs: Vec<(StoredTariff, jiff::tz::TimeZone)>,
    zones: HashMap<String, jiff::tz::TimeZone>,
}

impl Pricing {
    /// The tariff calls started at `at` are priced by, with its zone.
    fn tariff_for(
        &mut self,
        c: &Connection,
        at: i64,
    ) -> rusqlite::Result<Option<&(StoredTariff, jiff::tz::TimeZone)>> {
        let id: Option<i64> = c
            .prepare_cached("SELECT id FROM tariff WHERE since <= ?1 ORDER BY since DESC, id DESC LIMIT 1")?
            .query_row([at], |r| r.get(0))
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        if !self.tariffs.iter().any(|(t, _)| t.id == id) {
            let Some(t) = tariff_at(c, at)? else { return Ok(None) };
            let zone = match self.zones.get(&t.zone) {
                Some(z) => z.clone(),
                None => {
                    // A zone the board no longer knows prices by UTC rather than not at all.
                    let z = jiff::tz::TimeZone::get(&t.zone).unwrap_or(jiff::tz::TimeZone::UTC);
                    self.zones.insert(t.zone.clone(), z.clone());
                    z
                }
            };
            self.tariffs.push((t, zone));
        }
        Ok(self.tariffs.iter().find(|(t, _)| t.id == id))
    }
}

/// Prices a record just stored and books its cost on its extension's account,
/// in the intake's transaction. Only the extension's own outgoing calls cost.
pub(super) fn charge(c: &Connection, pricing: &mut Pricing, cdr: &Cdr) -> rusqlite::Result<Cents> {
    if cdr.direction != Direction::Outgoing || !cdr.external || cdr.talk_secs == 0 {
        return Ok(0);
    }
    let Some((t, zone)) = pricing.tariff_for(c, cdr.started_at)? else { return Ok(0) };
    let cost = t.tariff.cost(&cdr.peer, cdr.started_at, cdr.talk_secs, zone);
    if cost == 0 {
        return Ok(0);
    }
    c.prepare_cached("UPDATE cdr SET cost_cents = ?2 WHERE core_id = ?1")?
        .execute(params![cdr.core_id as i64, cost])?;
    // Booked on the account (made if there is none, for a known extension,
    // in the month of the call: an account without a top-up counts by month).
    let month = TopUpMode::None.period_start(cdr.started_at, zone);
    c.prepare_cached(
        "INSERT INTO cost_account (extension, spent, period_start)
         SELECT number, 0, ?2 FROM extension WHERE number = ?1
         ON CONFLICT (extension) DO NOTHING",
    )?
    .execute(params![cdr.extension, month])?;
    // A call of an earlier period (its record came late) is spent all the
    // same, but not counted in this period's spending.
    c.prepare_cached(
        "UPDATE cost_account SET spent = spent + CASE WHEN ?3 >= period_start THEN ?2 ELSE 0 END,
             credit = CASE WHEN limit_cents IS NULL THEN credit ELSE credit - ?2 END
         WHERE extension = ?1",
    )?
    .execute(params![cdr.extension, cost, cdr.started_at])?;
    Ok(cost)
}
