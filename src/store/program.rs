//! What the core is programmed with for each extension, read from the stored
//! settings (extension, services, forwarding rules) in one pass.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use super::journal::{self, Changes};
use super::{Store, StoreError};
use crate::domain::program::{
    ExtensionProgram, ForwardRule, Language, Restriction, RuleCalls, RulePresentation, RuleTarget, RuleWhen,
};

impl Store {
    /// Every extension's program, by extension number.
    pub async fn programs(&self) -> Result<Vec<(String, ExtensionProgram)>, StoreError> {
        self.read(|c| programs(c, None)).await
    }

    /// One extension's program, if the extension exists.
    pub async fn program(&self, ext: &str) -> Result<Option<ExtensionProgram>, StoreError> {
        let key = ext.to_owned();
        let ext = key.clone();
        self.read_kept(
            |k| &k.programs,
            self.settings_stamp(),
            key,
            move |c| Ok(programs(c, Some(&ext))?.pop().map(|(_, p)| p)),
        )
        .await
    }

    /// Stores what the subscriber sets of his program (services, forwarding, DND,
    /// follow-me, MobilePhone fallbacks, advanced rules, in order). The MobilePhone
    /// number and the language are not his to set here and stay as they are.
    /// With it, in the same job, the journal's entries for the change.
    pub async fn save_program(
        &self,
        ext: &str,
        p: ExtensionProgram,
        changes: Changes,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            if !save_program(c, &ext, &p, now)? {
                return Ok(false);
            }
            journal::record(c, &ext, &changes.by, &changes.list, now)?;
            Ok(true)
        })
        .await
    }

    /// Stores the services page in one job: the program and the account recall
    /// (the account, and the PIN's hash when a new one is given). False if there
    /// is no such extension; then nothing is written.
    pub async fn save_services(
        &self,
        ext: &str,
        p: ExtensionProgram,
        recall_account: &str,
        recall_pin_hash: Option<String>,
        changes: Changes,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (ext, account) = (ext.to_owned(), recall_account.to_owned());
        self.write(move |c| {
            if !save_program(c, &ext, &p, now)? {
                return Ok(false);
            }
            set_recall(c, &ext, &account, recall_pin_hash.as_deref(), now)?;
            journal::record(c, &ext, &changes.by, &changes.list, now)?;
            Ok(true)
        })
        .await
    }

    /// The numbers `ext` may present as its caller ID, as assigned, in order.
    pub async fn caller_ids(&self, ext: &str) -> Result<Vec<String>, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            let mut q =
                c.prepare_cached("SELECT number FROM caller_id WHERE extension = ?1 ORDER BY number")?;
            let rows = q.query_map([&ext], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }

    /// The numbers these extensions may present, by extension.
    pub async fn caller_ids_of(
        &self,
        numbers: Vec<String>,
    ) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
        let list = serde_json::to_string(&numbers).unwrap_or_else(|_| "[]".to_owned());
        self.read(move |c| {
            let mut q = c.prepare_cached(
                "SELECT extension, number FROM caller_id
                 WHERE extension IN (SELECT value FROM json_each(?1)) ORDER BY extension, number",
            )?;
            let mut by_ext = std::collections::HashMap::<String, Vec<String>>::new();
            let mut rows = q.query([list])?;
            while let Some(r) = rows.next()? {
                by_ext.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
            Ok(by_ext)
        })
        .await
    }

    /// Every extension's numbers it may present, by extension.
    pub async fn all_caller_ids(&self) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
        self.read(|c| {
            let mut q =
                c.prepare_cached("SELECT extension, number FROM caller_id ORDER BY extension, number")?;
            let mut by_ext = std::collections::HashMap::<String, Vec<String>>::new();
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                by_ext.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
            Ok(by_ext)
        })
        .await
    }

    /// Assigns the numbers `ext` may present (an administrator's or the
    /// provisioning's choice); the ones not listed are taken away. A chosen
    /// "call as" that is taken away is cleared.
    pub async fn set_caller_ids(&self, ext: &str, numbers: &[String], now: i64) -> Result<bool, StoreError> {
        let (ext, numbers) = (ext.to_owned(), numbers.to_vec());
        self.write(move |c| {
            // A write job is one transaction of the writer's.
            let tx = c;
            let known: bool =
                tx.query_row("SELECT count(*) FROM extension WHERE number = ?1", [&ext], |r| {
                    r.get::<_, i64>(0)
                })? == 1;
            if !known {
                return Ok(false);
            }
            write_caller_ids(tx, &ext, &numbers, now)?;
            Ok(true)
        })
        .await
    }

    /// Account recall (SPEC W8): the account number and whether a PIN is set.
    pub async fn recall(&self, ext: &str) -> Result<(String, bool), StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT recall_account, recall_pin_hash IS NOT NULL FROM extension_services WHERE extension = ?1",
                [&ext],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or_default())
        })
        .await
    }

    /// Sets the account recall: the account, and the PIN's hash when a new one is given.
    pub async fn set_recall(
        &self,
        ext: &str,
        account: &str,
        pin_hash: Option<String>,
        now: i64,
    ) -> Result<(), StoreError> {
        let (ext, account) = (ext.to_owned(), account.to_owned());
        self.write(move |c| set_recall(c, &ext, &account, pin_hash.as_deref(), now)).await
    }

    /// Adds an extension with default settings, or renames it if it exists.
    pub async fn upsert_extension(&self, number: &str, name: &str, now: i64) -> Result<(), StoreError> {
        let (number, name) = (number.to_owned(), name.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO extension (number, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (number) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
                rusqlite::params![number, name, now],
            )?;
            c.execute(
                "INSERT INTO extension_services (extension, updated_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                rusqlite::params![number, now],
            )?;
            Ok(())
        })
        .await
    }

    /// Makes an extension of each number the core has a line for and the store
    /// does not know yet, named by its number until an administrator names it
    /// (an extension always has a name: an export of it imports again); names
    /// and settings of known extensions are left as they are. The new numbers.
    pub async fn learn_extensions(&self, numbers: Vec<String>, now: i64) -> Result<Vec<String>, StoreError> {
        self.write(move |c| {
            let mut learnt = Vec::new();
            for number in numbers {
                let added = c.execute(
                    "INSERT INTO extension (number, name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)
                     ON CONFLICT (number) DO NOTHING",
                    rusqlite::params![number, now],
                )?;
                if added > 0 {
                    c.execute(
                        "INSERT INTO extension_services (extension, updated_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                        rusqlite::params![number, now],
                    )?;
                    learnt.push(number);
                }
            }
            Ok(learnt)
        })
        .await
    }
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Every extension's program, or only `only`'s.
fn programs(c: &Connection, only: Option<&str>) -> rusqlite::Result<Vec<(String, ExtensionProgram)>> {
    let mut out: BTreeMap<String, ExtensionProgram> = BTreeMap::new();
    // One extension's program is read for every page that shows it: by its key,
    // not by a scan of every extension (`?1 IS NULL OR e.number = ?1` would be).
    let which = if only.is_some() { "e.number = ?1" } else { "?1 IS NULL" };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT e.number, e.mobile_number, e.language,
                coalesce(s.phone_lock, 0), coalesce(s.clir, 0), coalesce(s.call_waiting, 1), coalesce(s.call_as, ''),
                s.wakeup_time, coalesce(s.dnd, 0), coalesce(s.dnd_announcement, 0), coalesce(s.follow_me_to, ''),
                coalesce(s.forward_to, ''), coalesce(s.forward_busy, ''), coalesce(s.forward_no_answer, ''),
                coalesce(s.no_answer_secs, 20), coalesce(s.forward_unreachable, ''),
                coalesce(s.mobile_on_no_answer, 0), coalesce(s.mobile_on_dnd, 0), coalesce(s.mobile_on_unreachable, 0),
                coalesce(s.restriction, 'none'), coalesce(s.voicemail, 1)
         FROM extension e LEFT JOIN extension_services s ON s.extension = e.number
         WHERE {which}"
    ))?;
    let rows = stmt.query_map([only], |r| {
        let language: String = r.get(2)?;
        let wakeup: Option<String> = r.get(7)?;
        let restriction: String = r.get(19)?;
        let program = ExtensionProgram {
            mobile: opt(r.get(1)?),
            language: match language.as_str() {
                "pl" => Language::Polish,
                "de" => Language::German,
                _ => Language::English,
            },
            phone_lock: r.get(3)?,
            clir: r.get(4)?,
            call_waiting: r.get(5)?,
            call_as: opt(r.get(6)?),
            wakeup: wakeup.as_deref().and_then(minutes_of_day),
            dnd: r.get::<_, bool>(8)?.then_some(r.get(9)?),
            follow_me: opt(r.get(10)?),
            forward_always: opt(r.get(11)?),
            forward_busy: opt(r.get(12)?),
            forward_no_answer: opt(r.get(13)?),
            no_answer_secs: r.get(14)?,
            forward_unreachable: opt(r.get(15)?),
            mobile_on_no_answer: r.get(16)?,
            mobile_on_dnd: r.get(17)?,
            mobile_on_unreachable: r.get(18)?,
            restriction: Restriction::from_code(&restriction).unwrap_or_default(),
            voicemail: r.get(20)?,
            rules: Vec::new(),
        };
        Ok((r.get::<_, String>(0)?, program))
    })?;
    for row in rows {
        let (ext, p) = row?;
        out.insert(ext, p);
    }
    let which = if only.is_some() { "extension = ?1" } else { "?1 IS NULL" };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT extension, active, condition, calls, presentation, target_kind, target
         FROM forward_rule WHERE {which} ORDER BY extension, position"
    ))?;
    let rules = stmt.query_map([only], |r| {
        let word = |i: usize| r.get::<_, String>(i);
        let rule = ForwardRule {
            active: r.get(1)?,
            when: RuleWhen::from_code(&word(2)?).unwrap_or(RuleWhen::Always),
            calls: RuleCalls::from_code(&word(3)?).unwrap_or(RuleCalls::All),
            presentation: RulePresentation::from_code(&word(4)?).unwrap_or(RulePresentation::Any),
            target: RuleTarget::from_kind(&word(5)?, Some(word(6)?)).unwrap_or(RuleTarget::Number(word(6)?)),
        };
        Ok((r.get::<_, String>(0)?, rule))
    })?;
    for row in rules {
        let (ext, rule) = row?;
        if let Some(p) = out.get_mut(&ext) {
            p.rules.push(rule);
        }
    }
    Ok(out.into_iter().collect())
}

/// `HH:MM` as minutes after midnight.
fn minutes_of_day(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn save_program(c: &Connection, ext: &str, p: &ExtensionProgram, now: i64) -> rusqlite::Result<bool> {
    let exists: bool =
        c.query_row("SELECT count(*) FROM extension WHERE number = ?1", [ext], |r| r.get::<_, i64>(0))? == 1;
    if !exists {
        return Ok(false);
    }
    let wakeup = p.wakeup.map(|m| format!("{:02}:{:02}", m / 60, m % 60));
    let restriction = p.restriction.code();
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    c.execute(
        "INSERT INTO extension_services (extension, phone_lock, clir, call_waiting, call_as, wakeup_time, dnd,
           dnd_announcement, follow_me_to, forward_to, forward_busy, forward_no_answer, no_answer_secs,
           forward_unreachable, voicemail, mobile_on_no_answer, mobile_on_dnd, mobile_on_unreachable,
           restriction, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT (extension) DO UPDATE SET phone_lock = excluded.phone_lock, clir = excluded.clir,
           call_waiting = excluded.call_waiting, call_as = excluded.call_as, wakeup_time = excluded.wakeup_time,
           dnd = excluded.dnd, dnd_announcement = excluded.dnd_announcement, follow_me_to = excluded.follow_me_to,
           forward_to = excluded.forward_to, forward_busy = excluded.forward_busy,
           forward_no_answer = excluded.forward_no_answer, no_answer_secs = excluded.no_answer_secs,
           forward_unreachable = excluded.forward_unreachable, voicemail = excluded.voicemail,
           mobile_on_no_answer = excluded.mobile_on_no_answer, mobile_on_dnd = excluded.mobile_on_dnd,
           mobile_on_unreachable = excluded.mobile_on_unreachable, restriction = excluded.restriction,
           updated_at = excluded.updated_at",
        rusqlite::params![
            ext,
            p.phone_lock,
            p.clir,
            p.call_waiting,
            s(&p.call_as),
            wakeup,
            p.dnd.is_some(),
            p.dnd.unwrap_or(0),
            s(&p.follow_me),
            s(&p.forward_always),
            s(&p.forward_busy),
            s(&p.forward_no_answer),
            p.no_answer_secs,
            s(&p.forward_unreachable),
            p.voicemail,
            p.mobile_on_no_answer,
            p.mobile_on_dnd,
            p.mobile_on_unreachable,
            restriction,
            now
        ],
    )?;
    c.execute("DELETE FROM forward_rule WHERE extension = ?1", [ext])?;
    for (i, r) in p.rules.iter().enumerate() {
        let (when, calls, presentation) = (r.when.code(), r.calls.code(), r.presentation.code());
        let (kind, target) = (r.target.kind(), r.target.number().unwrap_or_default());
        c.execute(
            "INSERT INTO forward_rule (extension, position, active, condition, calls, presentation, target_kind, target)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![ext, i as i64, r.active, when, calls, presentation, kind, target],
        )?;
    }
    Ok(true)
}

fn set_recall(
    c: &Connection,
    ext: &str,
    account: &str,
    pin_hash: Option<&str>,
    now: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO extension_services (extension, updated_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        rusqlite::params![ext, now],
    )?;
    c.execute(
        "UPDATE extension_services SET recall_account = ?2,
           recall_pin_hash = CASE WHEN ?2 = '' THEN NULL ELSE coalesce(?3, recall_pin_hash) END, updated_at = ?4
         WHERE extension = ?1",
        rusqlite::params![ext, account, pin_hash, now],
    )?;
    Ok(())
}

/// Replaces the numbers `ext` may present; a chosen "call as" that is taken away is cleared.
pub(crate) fn write_caller_ids(
    c: &Connection,
    ext: &str,
    numbers: &[String],
    now: i64,
) -> rusqlite::Result<()> {
    c.execute("DELETE FROM caller_id WHERE extension = ?1", [ext])?;
    for n in numbers {
        c.execute("INSERT OR IGNORE INTO caller_id (extension, number) VALUES (?1, ?2)", [ext, n.as_str()])?;
    }
    c.execute(
        "UPDATE extension_services SET call_as = '', updated_at = ?2
         WHERE extension = ?1 AND call_as <> ''
           AND call_as NOT IN (SELECT number FROM caller_id WHERE extension = ?1)",
        rusqlite::params![ext, now],
    )?;
    Ok(())
}
