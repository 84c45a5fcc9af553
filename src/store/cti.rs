//! The CTI server's accounts (SPEC C1-C3) in version 2's `account` table: the
//! kind, the optional data, the password's hash and the hand-over mark. The
//! licence count is kept in the same job as the account that takes a licence.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{Store, StoreError};
use crate::domain::cdr::HistoryRow;
use crate::domain::cti::{
    licence_for, Account, AccountProblem, BlfSource, Data, Device, Kind, Monitor, Rights,
};

const COLUMNS: &str = "id, name, kind, password_hash IS NOT NULL, hand_over, first_name, last_name, phone, \
                       email, sip_user, department_note, created_at";

fn account(r: &Row<'_>) -> rusqlite::Result<Account> {
    let kind: String = r.get(2)?;
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: Kind::from_code(&kind).unwrap_or(Kind::NoLogin),
        has_password: r.get(3)?,
        hand_over: r.get(4)?,
        data: Data {
            first_name: r.get(5)?,
            last_name: r.get(6)?,
            phone: r.get(7)?,
            email: r.get(8)?,
            sip_user: r.get(9)?,
            department_note: r.get(10)?,
        },
        created_at: r.get(11)?,
    })
}

/// Accounts that log in, but `except`.
fn logging_in(c: &Connection, except: i64) -> rusqlite::Result<usize> {
    let n: i64 =
        c.query_row("SELECT count(*) FROM account WHERE kind != 'nologin' AND id != ?1", [except], |r| {
            r.get(0)
        })?;
    Ok(n as usize)
}

fn name_taken(c: &Connection, name: &str, except: i64) -> rusqlite::Result<bool> {
    c.query_row("SELECT 1 FROM account WHERE name = ?1 AND id != ?2", params![name, except], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

fn devices(c: &Connection, id: i64) -> rusqlite::Result<Vec<Device>> {
    let mut q = c.prepare_cached(
        "SELECT device, main, softphone FROM account_device WHERE account_id = ?1 ORDER BY main DESC, device",
    )?;
    let rows = q.query_map([id], |r| Ok(Device { ext: r.get(0)?, main: r.get(1)?, softphone: r.get(2)? }))?;
    rows.collect()
}

/// Adds (`id` 0) or changes an account in the caller's job (the page's
/// save, a bulk import's); with `licences`, within that many accounts that
/// log in (a bulk import counts once, after all its accounts).
pub(super) fn save_account(
    c: &Connection,
    id: i64,
    a: &SavedAccount,
    password_hash: Option<String>,
    licences: Option<usize>,
    now: i64,
) -> rusqlite::Result<Result<i64, AccountProblem>> {
    if name_taken(c, &a.name, id)? {
        return Ok(Err(AccountProblem::Exists));
    }
    if let Some(licences) = licences {
        if let Err(p) = licence_for(a.kind, logging_in(c, id)?, licences) {
            return Ok(Err(p));
        }
    }
    let d = &a.data;
    if id == 0 {
        c.execute(
            "INSERT INTO account (name, kind, password_hash, first_name, last_name, phone, email, sip_user, \
             department_note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                a.name,
                a.kind.code(),
                password_hash.filter(|_| a.kind.logs_in()),
                d.first_name,
                d.last_name,
                d.phone,
                d.email,
                d.sip_user,
                d.department_note,
                now
            ],
        )?;
        return Ok(Ok(c.last_insert_rowid()));
    }
    let changed = c.execute(
        "UPDATE account SET name = ?2, kind = ?3, first_name = ?4, last_name = ?5, phone = ?6, email = ?7, \
         sip_user = ?8, department_note = ?9, \
         password_hash = CASE WHEN ?3 = 'nologin' THEN NULL ELSE coalesce(password_hash, ?10) END, \
         hand_over = CASE WHEN ?3 = 'nologin' THEN 0 ELSE hand_over END WHERE id = ?1",
        params![
            id,
            a.name,
            a.kind.code(),
            d.first_name,
            d.last_name,
            d.phone,
            d.email,
            d.sip_user,
            d.department_note,
            password_hash
        ],
    )?;
    Ok(if changed == 1 { Ok(id) } else { Err(AccountProblem::BadKind) })
}

/// Accounts that log in, all of them.
pub(super) fn logging_in_now(c: &Connection) -> rusqlite::Result<usize> {
    logging_in(c, 0)
}

/// An account's rights, if it exists.
fn rights(c: &Connection, id: i64) -> rusqlite::Result<Option<Rights>> {
    let flags = c
        .query_row(
            "SELECT offline_journal, server_journal, hot_desking, blf_source FROM account WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)),
        )
        .optional()?;
    let Some((offline_journal, server_journal, hot_desking, blf)) = flags else { return Ok(None) };
    let mut q = c.prepare_cached(
        "SELECT device, clip, pickup FROM account_monitor WHERE account_id = ?1 ORDER BY device",
    )?;
    let monitors = q
        .query_map([id], |r| Ok(Monitor { ext: r.get(0)?, clip: r.get(1)?, pickup: r.get(2)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Rights {
        devices: devices(c, id)?,
        monitors,
        offline_journal,
        server_journal,
        hot_desking,
        blf: BlfSource::from_code(&blf).unwrap_or_default(),
    }))
}

/// Replaces an account's rights whole, in the caller's job; false when
/// there is no such account.
pub(super) fn write_rights(c: &Connection, id: i64, r: &Rights) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE account SET offline_journal = ?2, server_journal = ?3, hot_desking = ?4, blf_source = ?5 WHERE id = ?1",
        params![id, r.offline_journal, r.server_journal, r.hot_desking, r.blf.code()],
    )?;
    if n == 0 {
        return Ok(false);
    }
    c.execute("DELETE FROM account_device WHERE account_id = ?1", [id])?;
    c.execute("DELETE FROM account_monitor WHERE account_id = ?1", [id])?;
    for d in &r.devices {
        c.execute(
            "INSERT INTO account_device (account_id, device, main, softphone) VALUES (?1, ?2, ?3, ?4)",
            params![id, d.ext, d.main, d.softphone],
        )?;
    }
    for m in &r.monitors {
        c.execute(
            "INSERT INTO account_monitor (account_id, device, clip, pickup) VALUES (?1, ?2, ?3, ?4)",
            params![id, m.ext, m.clip, m.pickup],
        )?;
    }
    Ok(true)
}

/// An account as an administrator saves it.
#[derive(Debug, Clone)]
pub struct SavedAccount {
    pub name: String,
    pub kind: Kind,
    pub data: Data,
}

impl Store {
    /// Every account, by name.
    pub async fn cti_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached(&format!("SELECT {COLUMNS} FROM account ORDER BY name"))?;
            let rows = q.query_map([], account)?;
            rows.collect()
        })
        .await
    }

    /// One account, by id.
    pub async fn cti_account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {COLUMNS} FROM account WHERE id = ?1"))?
                .query_row([id], account)
                .optional()
        })
        .await
    }

    /// An account by its name (in any case), with its password's hash.
    pub async fn cti_login(&self, name: &str) -> Result<Option<(Account, Option<String>)>, StoreError> {
        let name = name.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {COLUMNS}, password_hash FROM account WHERE name = ?1"))?
                .query_row([name], |r| Ok((account(r)?, r.get(12)?)))
                .optional()
        })
        .await
    }

    /// Adds (`id` 0) or changes an account, within `licences` accounts that log
    /// in; a new one that logs in gets `password_hash`. The account's id, or why not.
    pub async fn save_cti_account(
        &self,
        id: i64,
        a: SavedAccount,
        password_hash: Option<String>,
        licences: usize,
        now: i64,
    ) -> Result<Result<i64, AccountProblem>, StoreError> {
        self.write(move |c| save_account(c, id, &a, password_hash, Some(licences), now)).await
    }

    /// Sets an account's password's hash and its hand-over mark; false when
    /// there is no such account that logs in.
    pub async fn set_cti_password(&self, id: i64, hash: String, hand_over: bool) -> Result<bool, StoreError> {
        let sql = "UPDATE account SET password_hash = ?2, hand_over = ?3 WHERE id = ?1 AND kind != 'nologin'";
        self.one_row(sql, vec![id.into(), hash.into(), hand_over.into()]).await
    }

    /// Replaces an account's password hash by the same password hashed anew
    /// (in this version's parameters), unless it changed since `old` was read.
    pub async fn rehash_cti_password(&self, id: i64, old: String, new: String) -> Result<bool, StoreError> {
        let sql = "UPDATE account SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2";
        self.one_row(sql, vec![id.into(), old.into(), new.into()]).await
    }

    /// Runs a statement that changes at most one row; whether it changed one.
    async fn one_row(&self, sql: &'static str, values: Vec<Value>) -> Result<bool, StoreError> {
        self.write(move |c| Ok(c.execute(sql, params_from_iter(values))? == 1)).await
    }

    /// Marks an account that logs in to be handed a new password at its next
    /// login, or not; false when there is no such account.
    pub async fn set_cti_hand_over(&self, id: i64, on: bool) -> Result<bool, StoreError> {
        let sql = "UPDATE account SET hand_over = ?2 WHERE id = ?1 AND kind != 'nologin'";
        self.one_row(sql, vec![id.into(), on.into()]).await
    }

    /// The handed-over password becomes the account's, once: false when the
    /// mark was taken meanwhile (a second login at the same moment).
    pub async fn take_hand_over(&self, id: i64, hash: String) -> Result<bool, StoreError> {
        let sql = "UPDATE account SET password_hash = ?2, hand_over = 0 WHERE id = ?1 AND hand_over = 1";
        self.one_row(sql, vec![id.into(), hash.into()]).await
    }

    /// An account's rights, if it exists.
    pub async fn cti_rights(&self, id: i64) -> Result<Option<Rights>, StoreError> {
        self.read(move |c| rights(c, id)).await
    }

    /// Every account with its rights, by name (a bulk export).
    pub async fn cti_accounts_with_rights(&self) -> Result<Vec<(Account, Rights)>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached(&format!("SELECT {COLUMNS} FROM account ORDER BY name"))?;
            let accounts = q.query_map([], account)?.collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(accounts.len());
            for a in accounts {
                let r = rights(c, a.id)?.unwrap_or_default();
                out.push((a, r));
            }
            Ok(out)
        })
        .await
    }

    /// Replaces an account's rights whole; false when there is no such account.
    pub async fn set_cti_rights(&self, id: i64, r: Rights) -> Result<bool, StoreError> {
        self.write(move |c| write_rights(c, id, &r)).await
    }

    /// The devices that stand at a computer: its computer account's.
    pub async fn devices_at(&self, computer: &str) -> Result<Vec<Device>, StoreError> {
        let computer = computer.to_owned();
        self.read(move |c| {
            let id: Option<i64> = c
                .query_row("SELECT id FROM account WHERE name = ?1 AND kind = 'computer'", [computer], |r| {
                    r.get(0)
                })
                .optional()?;
            match id {
                Some(id) => devices(c, id),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    /// The calls of `devices` that arrived since account `id`'s journal mark
    /// (SPEC C4, the offline journal): the newest `limit`, in the order they
    /// arrived, and whether they are all. None before its first mark.
    pub async fn offline_journal(
        &self,
        id: i64,
        devices: Vec<String>,
        limit: u32,
    ) -> Result<(Vec<HistoryRow>, bool), StoreError> {
        self.read(move |c| {
            let mark: Option<i64> = c
                .query_row("SELECT journal_mark FROM account WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .flatten();
            match mark {
                Some(mark) if !devices.is_empty() => super::cdr::arrived_after(c, mark, &devices, limit),
                _ => Ok((Vec::new(), true)),
            }
        })
        .await
    }

    /// Account `id`'s clients have been given its calls up to arrival `at`
    /// ([`Store::arrived`]); the mark never goes back. Like the call records,
    /// it leaves the generation be: every login and logout writes one.
    pub async fn mark_journal(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.write_records(move |c| {
            c.prepare_cached(
                "UPDATE account SET journal_mark = max(coalesce(journal_mark, ?2), ?2) WHERE id = ?1",
            )?
            .execute(params![id, at])?;
            Ok(())
        })
        .await
    }

    /// Deletes an account; false when there was none.
    pub async fn delete_cti_account(&self, id: i64) -> Result<bool, StoreError> {
        self.one_row("DELETE FROM account WHERE id = ?1", vec![id.into()]).await
    }
}
