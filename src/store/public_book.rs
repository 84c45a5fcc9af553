//! The public book (`Global.Phonebook`) kept by script (SPEC V1): its
//! contacts by id, each with its numbers in order and its groups by name, and
//! the groups themselves. The same tables as the portal's phonebook: a
//! contact written here is the portal's, the CTI clients' and the desk
//! phones', and reverse lookup finds it by each number's canonical form.

use rusqlite::{params, Connection, OptionalExtension};

use super::phonebook::{insert, new_uid, set_groups};
use super::{Store, StoreError};
use crate::domain::phonebook::Refusal;
use crate::phonebook::{BookKind, Contact, Number, NumberKind};

/// A group of the public book and how many contacts are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicGroup {
    pub id: i64,
    pub name: String,
    pub contacts: i64,
}

/// The public book's id, made when first needed (by a write).
fn public_id(c: &Connection) -> rusqlite::Result<i64> {
    super::phonebook::book_id(c, "", BookKind::Public)
}

/// The public book's id, if it has been made (a read makes nothing).
fn public_id_if_any(c: &Connection) -> rusqlite::Result<Option<i64>> {
    c.query_row("SELECT id FROM book WHERE kind = 'public' AND owner IS NULL ORDER BY id LIMIT 1", [], |r| {
        r.get(0)
    })
    .optional()
}

/// Contact `id` of the public book, whole.
fn contact(c: &Connection, book: i64, id: i64) -> rusqlite::Result<Option<Contact>> {
    let found = c
        .query_row(
            "SELECT first_name, last_name, company, title, email, address, uid FROM contact WHERE id = ?1 AND book_id = ?2",
            params![id, book],
            |r| {
                Ok(Contact {
                    first_name: r.get(0)?,
                    last_name: r.get(1)?,
                    company: r.get(2)?,
                    title: r.get(3)?,
                    email: r.get(4)?,
                    address: r.get(5)?,
                    uid: r.get(6)?,
                    book: Some(BookKind::Public),
                    ..Contact::default()
                })
            },
        )
        .optional()?;
    let Some(mut k) = found else { return Ok(None) };
    let mut numbers =
        c.prepare_cached("SELECT kind, number FROM contact_number WHERE contact_id = ?1 ORDER BY position")?;
    k.numbers = numbers
        .query_map([id], |r| {
            Ok(Number { kind: NumberKind::parse(&r.get::<_, String>(0)?), number: r.get(1)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut groups = c.prepare_cached(
        "SELECT g.name FROM contact_group g JOIN contact_group_member m ON m.group_id = g.id
         WHERE m.contact_id = ?1 ORDER BY g.name",
    )?;
    k.groups = groups.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(Some(k))
}

impl Store {
    /// A page of the public book's contacts by id, after `after`.
    pub async fn public_contacts(&self, after: i64, limit: usize) -> Result<Vec<(i64, Contact)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let Some(book) = public_id_if_any(c)? else { return Ok(Vec::new()) };
            let mut stmt = c.prepare_cached(
                "SELECT id FROM contact WHERE book_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let ids: Vec<i64> =
                stmt.query_map(params![book, after, limit], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(k) = contact(c, book, id)? {
                    out.push((id, k));
                }
            }
            Ok(out)
        })
        .await
    }

    /// Contact `id` of the public book.
    pub async fn public_contact(&self, id: i64) -> Result<Option<Contact>, StoreError> {
        self.read(move |c| match public_id_if_any(c)? {
            Some(book) => contact(c, book, id),
            None => Ok(None),
        })
        .await
    }

    /// Adds a contact to the public book (`id` none) or puts it in place of
    /// contact `id`, which keeps its id, permanent id and notes; its groups
    /// become the ones named (made when missing). Its id, or (a new one) the
    /// refusal of a full book; `None` when there is no contact `id`.
    pub async fn save_public_contact(
        &self,
        id: Option<i64>,
        contact: Contact,
        now: i64,
    ) -> Result<Option<Result<i64, Refusal>>, StoreError> {
        let fresh = new_uid()?;
        let plan = self.plan();
        self.write(move |c| {
            let book = public_id(c)?;
            let uid = match id {
                Some(id) => {
                    let uid: Option<String> = c
                        .query_row(
                            "SELECT uid FROM contact WHERE id = ?1 AND book_id = ?2",
                            params![id, book],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match uid {
                        Some(uid) => uid,
                        None => return Ok(None),
                    }
                }
                None if super::phonebook::full(c, book)? => return Ok(Some(Err(Refusal::Full))),
                None => fresh,
            };
            let saved = insert(c, &plan, book, &contact, &uid, now)?;
            c.execute("DELETE FROM contact_group_member WHERE contact_id = ?1", [saved])?;
            set_groups(c, book, saved, &contact.groups)?;
            Ok(Some(Ok(saved)))
        })
        .await
    }

    /// Deletes contact `id` of the public book; false when there is none.
    pub async fn delete_public_contact(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            let book = public_id(c)?;
            Ok(c.execute("DELETE FROM contact WHERE id = ?1 AND book_id = ?2", params![id, book])? > 0)
        })
        .await
    }

    /// The public book's groups, by name.
    pub async fn public_groups(&self) -> Result<Vec<PublicGroup>, StoreError> {
        self.read(|c| {
            let Some(book) = public_id_if_any(c)? else { return Ok(Vec::new()) };
            let mut stmt = c.prepare_cached(
                "SELECT g.id, g.name, (SELECT count(*) FROM contact_group_member m WHERE m.group_id = g.id)
                 FROM contact_group g WHERE g.book_id = ?1 ORDER BY g.name",
            )?;
            let rows = stmt.query_map([book], |r| {
                Ok(PublicGroup { id: r.get(0)?, name: r.get(1)?, contacts: r.get(2)? })
            })?;
            rows.collect()
        })
        .await
    }

    /// Makes a group of the public book (`id` none) or renames group `id`;
    /// its id. `Ok(Err)` for a name that is empty, too long or another
    /// group's; `None` when there is no group `id`.
    pub async fn save_public_group(
        &self,
        id: Option<i64>,
        name: &str,
    ) -> Result<Option<Result<i64, Refusal>>, StoreError> {
        let name = name.trim().to_owned();
        self.write(move |c| {
            let book = public_id(c)?;
            if let Some(id) = id {
                let there: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM contact_group WHERE id = ?1 AND book_id = ?2)",
                    params![id, book],
                    |r| r.get(0),
                )?;
                if !there {
                    return Ok(None);
                }
            }
            let taken: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM contact_group WHERE book_id = ?1 AND name = ?2 AND id IS NOT ?3)",
                params![book, name, id],
                |r| r.get(0),
            )?;
            if name.is_empty() || name.chars().count() > 60 || taken {
                return Ok(Some(Err(Refusal::GroupName)));
            }
            Ok(Some(Ok(match id {
                Some(id) => {
                    c.execute("UPDATE contact_group SET name = ?2 WHERE id = ?1", params![id, name])?;
                    id
                }
                None => {
                    c.execute("INSERT INTO contact_group (book_id, name) VALUES (?1, ?2)", params![book, name])?;
                    c.last_insert_rowid()
                }
            })))
        })
        .await
    }

    /// Deletes group `id` of the public book (its contacts stay); false when
    /// there is none.
    pub async fn delete_public_group(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            let book = public_id(c)?;
            Ok(c.execute("DELETE FROM contact_group WHERE id = ?1 AND book_id = ?2", params![id, book])? > 0)
        })
        .await
    }
}
