//! CTI groups (SPEC C6): version 2's `cti_group` and `cti_group_member`
//! (accounts) and version 18's `cti_group_subscriber` (WebCTI logins). A
//! group is saved whole, its members named and resolved in the same job, and
//! the panels a member sees are read with each member's lamp lines.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError};
use crate::domain::cti::{BlfSource, Device};
use crate::domain::group::{
    blf_lines, parse_members, Group, GroupProblem, Member, Panel, PanelMember, MAX_GROUPS,
};

/// A group as an administrator saves it: its members as typed.
#[derive(Debug, Clone)]
pub struct SavedGroup {
    pub name: String,
    pub show_numbers: bool,
    pub members: String,
}

/// Whose panels.
#[derive(Debug, Clone)]
pub enum PanelsOf {
    Account(String),
    Subscriber(String),
}

/// The groups subscriber `ext`'s WebCTI login is a member of (none for "").
pub(super) fn subscriber_groups(c: &Connection, ext: &str) -> rusqlite::Result<Vec<i64>> {
    let mut q = c.prepare_cached("SELECT group_id FROM cti_group_subscriber WHERE extension = ?1")?;
    let rows = q.query_map([ext], |r| r.get(0))?;
    rows.collect()
}

fn members(c: &Connection, group: i64) -> rusqlite::Result<Vec<Member>> {
    let mut q = c.prepare_cached(
        "SELECT a.name, 0 FROM cti_group_member m JOIN account a ON a.id = m.account_id WHERE m.group_id = ?1
         UNION ALL SELECT extension, 1 FROM cti_group_subscriber WHERE group_id = ?1",
    )?;
    let rows = q.query_map([group], |r| {
        let name: String = r.get(0)?;
        Ok(match r.get::<_, bool>(1)? {
            false => Member::Account(name),
            true => Member::Subscriber(name),
        })
    })?;
    let mut out: Vec<Member> = rows.collect::<rusqlite::Result<_>>()?;
    out.sort();
    Ok(out)
}

/// Adds (`id` 0) or changes a group with its members whole, in the caller's
/// job (the page's save, a bulk import's); see [`Store::save_cti_group`].
pub(super) fn save(
    c: &Connection,
    id: i64,
    g: &SavedGroup,
) -> rusqlite::Result<Option<Result<i64, GroupProblem>>> {
    if id != 0 && c.query_row("SELECT 1 FROM cti_group WHERE id = ?1", [id], |_| Ok(())).optional()?.is_none()
    {
        return Ok(None);
    }
    let taken = c
        .query_row("SELECT 1 FROM cti_group WHERE name = ?1 AND id != ?2", params![g.name, id], |_| Ok(()))
        .optional()?;
    if taken.is_some() {
        return Ok(Some(Err(GroupProblem::Exists)));
    }
    let count: i64 = c.query_row("SELECT count(*) FROM cti_group", [], |r| r.get(0))?;
    if id == 0 && count as usize >= MAX_GROUPS {
        return Ok(Some(Err(GroupProblem::TooManyGroups)));
    }
    let members = match parse_members(&g.members, |n| resolve(c, n)) {
        Ok(m) => m,
        Err(p) => return Ok(Some(Err(p))),
    };
    let id = if id == 0 {
        c.execute(
            "INSERT INTO cti_group (name, show_numbers) VALUES (?1, ?2)",
            params![g.name, g.show_numbers],
        )?;
        c.last_insert_rowid()
    } else {
        c.execute(
            "UPDATE cti_group SET name = ?2, show_numbers = ?3 WHERE id = ?1",
            params![id, g.name, g.show_numbers],
        )?;
        c.execute("DELETE FROM cti_group_member WHERE group_id = ?1", [id])?;
        c.execute("DELETE FROM cti_group_subscriber WHERE group_id = ?1", [id])?;
        id
    };
    for m in members {
        match m {
            Member::Account(name) => c.execute(
                "INSERT INTO cti_group_member (group_id, account_id) SELECT ?1, id FROM account WHERE name = ?2",
                params![id, name],
            )?,
            Member::Subscriber(ext) => c.execute(
                "INSERT INTO cti_group_subscriber (group_id, extension) VALUES (?1, ?2)",
                params![id, ext],
            )?,
        };
    }
    Ok(Some(Ok(id)))
}

/// What a name in a group's member list is: an account (any case), else an extension.
fn resolve(c: &Connection, name: &str) -> Option<Member> {
    let account: Option<String> = c
        .query_row("SELECT name FROM account WHERE name = ?1 COLLATE NOCASE", [name], |r| r.get(0))
        .optional()
        .ok()
        .flatten();
    if let Some(a) = account {
        return Some(Member::Account(a));
    }
    let ext: Option<String> = c
        .query_row("SELECT number FROM extension WHERE number = ?1", [name], |r| r.get(0))
        .optional()
        .ok()
        .flatten();
    ext.map(Member::Subscriber)
}

/// A member's lamp as its panel shows it.
fn lamp(c: &Connection, member: Member) -> rusqlite::Result<PanelMember> {
    match &member {
        Member::Account(name) => {
            let row = c
                .query_row(
                    "SELECT id, first_name, last_name, blf_source FROM account WHERE name = ?1",
                    [name],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, first, last, blf)) = row else {
                return Ok(PanelMember {
                    label: name.clone(),
                    member,
                    lines: Vec::new(),
                    follows_use: false,
                });
            };
            let mut q = c.prepare_cached(
                "SELECT device, main, softphone FROM account_device WHERE account_id = ?1 ORDER BY main DESC, device",
            )?;
            let devices: Vec<Device> = q
                .query_map([id], |r| Ok(Device { ext: r.get(0)?, main: r.get(1)?, softphone: r.get(2)? }))?
                .collect::<rusqlite::Result<_>>()?;
            let full = format!("{first} {last}").trim().to_owned();
            let label = if full.is_empty() { name.clone() } else { full };
            let source = BlfSource::from_code(&blf).unwrap_or_default();
            let lines = blf_lines(&devices, source);
            Ok(PanelMember { member, label, lines, follows_use: source == BlfSource::InUse })
        }
        Member::Subscriber(ext) => {
            let name: String = c
                .query_row("SELECT name FROM extension WHERE number = ?1", [ext], |r| r.get(0))
                .optional()?
                .unwrap_or_default();
            let label = if name.is_empty() { ext.clone() } else { format!("{name} ({ext})") };
            Ok(PanelMember { lines: vec![ext.clone()], member, label, follows_use: false })
        }
    }
}

impl Store {
    /// Every group, by name.
    pub async fn cti_groups(&self) -> Result<Vec<Group>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached("SELECT id, name, show_numbers FROM cti_group ORDER BY name")?;
            let groups: Vec<(i64, String, bool)> = q
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            groups
                .into_iter()
                .map(|(id, name, show_numbers)| {
                    Ok(Group { id, name, show_numbers, members: members(c, id)? })
                })
                .collect()
        })
        .await
    }

    /// Adds (`id` 0) or changes a group with its members whole. The group's
    /// id, or why not; `None` when there is no group `id`.
    pub async fn save_cti_group(
        &self,
        id: i64,
        g: SavedGroup,
    ) -> Result<Option<Result<i64, GroupProblem>>, StoreError> {
        self.write(move |c| save(c, id, &g)).await
    }

    /// Each member list (one member a line, as the page's form) resolved:
    /// accounts by name (those there are but those the same file removes,
    /// `gone`, then those it makes, `made`), subscribers by extension; or why not (a bulk file's groups,
    /// checked before anything is written).
    pub async fn resolve_cti_members(
        &self,
        lists: Vec<String>,
        made: Vec<String>,
        gone: Vec<String>,
    ) -> Result<Vec<Result<Vec<Member>, GroupProblem>>, StoreError> {
        self.read(move |c| {
            let resolve = |n: &str| {
                let new =
                    || made.iter().find(|m| m.eq_ignore_ascii_case(n)).map(|m| Member::Account(m.clone()));
                match resolve(c, n) {
                    // An account the same file removes is nobody.
                    Some(Member::Account(a)) if gone.iter().any(|g| g.eq_ignore_ascii_case(&a)) => None,
                    Some(Member::Account(a)) => Some(Member::Account(a)),
                    there => new().or(there),
                }
            };
            Ok(lists.iter().map(|l| parse_members(l, resolve)).collect())
        })
        .await
    }

    /// Deletes a group; false when there was none.
    pub async fn delete_cti_group(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| Ok(c.execute("DELETE FROM cti_group WHERE id = ?1", [id])? > 0)).await
    }

    /// The panels of the groups `who` is a member of, by name.
    pub async fn panels(&self, who: PanelsOf) -> Result<Vec<Panel>, StoreError> {
        self.read(move |c| {
            let (sql, key) = match &who {
                PanelsOf::Account(name) => (
                    "SELECT g.id, g.name, g.show_numbers FROM cti_group g JOIN cti_group_member m ON m.group_id = g.id
                     JOIN account a ON a.id = m.account_id WHERE a.name = ?1 COLLATE NOCASE ORDER BY g.name",
                    name,
                ),
                PanelsOf::Subscriber(ext) => (
                    "SELECT g.id, g.name, g.show_numbers FROM cti_group g JOIN cti_group_subscriber s ON s.group_id = g.id
                     WHERE s.extension = ?1 ORDER BY g.name",
                    ext,
                ),
            };
            let mut q = c.prepare_cached(sql)?;
            let groups: Vec<(i64, String, bool)> =
                q.query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::with_capacity(groups.len());
            for (id, name, show_numbers) in groups {
                let members = members(c, id)?.into_iter().map(|m| lamp(c, m)).collect::<rusqlite::Result<_>>()?;
                let members: Vec<PanelMember> = members;
                out.push(Panel { id, name, show_numbers, members: members.into() });
            }
            Ok(out)
        })
        .await
    }
}
