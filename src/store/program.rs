//! What the core is programmed with for each extension, read from the stored
//! settings (extension, services, forwarding rules) in one pass.

use std::collections::BTreeMap;

use rusqlite::Connection;

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
        let ext = ext.to_owned();
        self.read(move |c| Ok(programs(c, Some(&ext))?.pop().map(|(_, p)| p))).await
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
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Every extension's program, or only `only`'s.
fn programs(c: &Connection, only: Option<&str>) -> rusqlite::Result<Vec<(String, ExtensionProgram)>> {
    let mut out: BTreeMap<String, ExtensionProgram> = BTreeMap::new();
    let mut stmt = c.prepare(
        "SELECT e.number, e.mobile_number, e.language,
                coalesce(s.phone_lock, 0), coalesce(s.clir, 0), coalesce(s.call_waiting, 1), coalesce(s.call_as, ''),
                s.wakeup_time, coalesce(s.dnd, 0), coalesce(s.dnd_announcement, 0), coalesce(s.follow_me_to, ''),
                coalesce(s.forward_to, ''), coalesce(s.forward_busy, ''), coalesce(s.forward_no_answer, ''),
                coalesce(s.no_answer_secs, 20), coalesce(s.forward_unreachable, ''),
                coalesce(s.mobile_on_no_answer, 0), coalesce(s.mobile_on_dnd, 0), coalesce(s.mobile_on_unreachable, 0),
                coalesce(s.restriction, 'none'), coalesce(s.voicemail, 1)
         FROM extension e LEFT JOIN extension_services s ON s.extension = e.number
         WHERE ?1 IS NULL OR e.number = ?1",
    )?;
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
            restriction: match restriction.as_str() {
                "internal" => Restriction::InternalOnly,
                "national" => Restriction::NoInternational,
                _ => Restriction::None,
            },
            voicemail: r.get(20)?,
            rules: Vec::new(),
        };
        Ok((r.get::<_, String>(0)?, program))
    })?;
    for row in rows {
        let (ext, p) = row?;
        out.insert(ext, p);
    }
    let mut stmt = c.prepare(
        "SELECT extension, active, condition, calls, presentation, target_kind, target
         FROM forward_rule WHERE ?1 IS NULL OR extension = ?1 ORDER BY extension, position",
    )?;
    let rules = stmt.query_map([only], |r| {
        let word = |i: usize| r.get::<_, String>(i);
        let rule = ForwardRule {
            active: r.get(1)?,
            when: match word(2)?.as_str() {
                "busy" => RuleWhen::Busy,
                "no_answer" => RuleWhen::NoAnswer,
                "unreachable" => RuleWhen::Unreachable,
                "dnd" => RuleWhen::Dnd,
                _ => RuleWhen::Always,
            },
            calls: match word(3)?.as_str() {
                "internal" => RuleCalls::Internal,
                "external" => RuleCalls::External,
                _ => RuleCalls::All,
            },
            presentation: match word(4)?.as_str() {
                "presented" => RulePresentation::Presented,
                "withheld" => RulePresentation::Withheld,
                _ => RulePresentation::Any,
            },
            target: match word(5)?.as_str() {
                "voicemail" => RuleTarget::Voicemail,
                "fax_to_mail" => RuleTarget::FaxToMail,
                _ => RuleTarget::Number(word(6)?),
            },
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
