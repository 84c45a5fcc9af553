//! The cache of external phonebook sources (SPEC C10, schema 16): one
//! read-only book per CSV file or LDAP directory. A sync writes only what is
//! new or changed (by each record's change marker) and removes what the source
//! no longer has, in one transaction; while a source cannot be read, its book
//! keeps serving what the last sync left. Deleting a book moves its contacts'
//! notes to the trash.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError};
use crate::domain::directory::{
    LastSync, Record, Source, SourceProblem, SyncReport, MAX_RECORDS, MAX_SOURCES,
};
use crate::domain::phonebook::{BookAccess, SharedBook, MAX_KEPT_BOOKS};
use crate::phonebook::Contact;

/// A source's book as the administrator's page lists it.
#[derive(Debug, Clone)]
pub struct DirectoryBook {
    pub id: i64,
    pub name: String,
    pub source: Source,
    pub contacts: i64,
    pub last: Option<LastSync>,
}

/// Notes trashed when their book was deleted, as the trash lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashedNotes {
    pub book: String,
    pub notes: i64,
    pub trashed_at: i64,
}

/// The key notes on an external book's contacts are kept under.
pub(super) fn note_book(name: &str) -> String {
    format!("Book:{name}")
}

impl Store {
    /// The external sources' books, by name.
    pub async fn directory_books(&self) -> Result<Vec<DirectoryBook>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT b.id, b.name, b.source, b.last_sync, (SELECT count(*) FROM contact WHERE book_id = b.id)
                 FROM book b WHERE b.kind IN ('csv', 'ldap') ORDER BY b.name COLLATE NOCASE",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, source, last, contacts) = row?;
                // A book whose settings this program cannot read is left out, not a failure.
                let Ok(source) = serde_json::from_str::<Source>(&source) else { continue };
                let last = serde_json::from_str::<LastSync>(&last).ok();
                out.push(DirectoryBook { id, name, source, contacts, last });
            }
            Ok(out)
        })
        .await
    }

    /// Makes an external source's book; refused when a book of that name
    /// exists or there are [`MAX_SOURCES`] already.
    pub async fn add_directory_book(
        &self,
        name: &str,
        source: &Source,
    ) -> Result<Result<i64, SourceProblem>, StoreError> {
        let name = name.to_owned();
        let kind = match source.origin {
            crate::domain::directory::Origin::Csv { .. } => "csv",
            crate::domain::directory::Origin::Ldap(_) => "ldap",
        };
        let json = serde_json::to_string(source).map_err(|e| StoreError::Write(e.to_string()))?;
        self.write(move |c| {
            if name_taken(c, &name)? {
                return Ok(Err(SourceProblem::Name));
            }
            let sources: i64 =
                c.query_row("SELECT count(*) FROM book WHERE kind IN ('csv', 'ldap')", [], |r| r.get(0))?;
            if sources >= MAX_SOURCES as i64 {
                return Ok(Err(SourceProblem::TooMany));
            }
            c.execute(
                "INSERT INTO book (kind, name, read_only, source) VALUES (?1, ?2, 1, ?3)",
                params![kind, name, json],
            )?;
            Ok(Ok(c.last_insert_rowid()))
        })
        .await
    }

    /// Deletes an external source's book and its cached contacts; their notes
    /// go to the trash. False when there is no such book.
    pub async fn remove_directory_book(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        self.write(move |c| remove_book(c, id, now)).await
    }

    /// Makes a book an administrator keeps (SPEC C11), read by nobody but
    /// administrators until access is given; refused when a shared book of
    /// that name exists or there are [`MAX_KEPT_BOOKS`] already.
    pub async fn add_kept_book(&self, name: &str) -> Result<Result<i64, SourceProblem>, StoreError> {
        let name = name.to_owned();
        self.write(move |c| add_kept(c, &name)).await
    }

    /// Every shared named book with who may read it and how many contacts
    /// it holds, by name (the administrator's page).
    pub async fn shared_book_list(&self) -> Result<Vec<(SharedBook, i64)>, StoreError> {
        self.read(|c| {
            let mut count = c.prepare_cached("SELECT count(*) FROM contact WHERE book_id = ?1")?;
            super::phonebook::shared_books(c)?
                .into_iter()
                .map(|b| {
                    let n = count.query_row([b.id], |r| r.get(0))?;
                    Ok((b, n))
                })
                .collect()
        })
        .await
    }

    /// Sets who reads shared book `id`: `everyone` (at most a copy) and each
    /// group's access, in place of what was given before; groups that do not
    /// exist are left out. False when there is no such book.
    pub async fn set_book_access(
        &self,
        id: i64,
        everyone: BookAccess,
        grants: Vec<(i64, BookAccess)>,
    ) -> Result<bool, StoreError> {
        self.write(move |c| set_access(c, id, Some(everyone), Some(grants))).await
    }

    /// Adds `contact` to kept book `book` under a new permanent id, or (`uid`)
    /// puts it in place of the one with that id; its id. `None`: no such
    /// kept book, no such contact, or the book is full.
    pub async fn save_kept_contact(
        &self,
        book: i64,
        uid: Option<String>,
        contact: Contact,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let fresh = super::phonebook::new_uid()?;
        let plan = self.plan();
        self.write(move |c| {
            let kept: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM book WHERE id = ?1 AND kind = 'book')",
                [book],
                |r| r.get(0),
            )?;
            if !kept {
                return Ok(None);
            }
            let uid = match uid {
                Some(uid) => {
                    let there: bool = c.query_row(
                        "SELECT EXISTS (SELECT 1 FROM contact WHERE book_id = ?1 AND uid = ?2)",
                        params![book, uid],
                        |r| r.get(0),
                    )?;
                    if !there {
                        return Ok(None);
                    }
                    uid
                }
                None => {
                    let n: i64 =
                        c.query_row("SELECT count(*) FROM contact WHERE book_id = ?1", [book], |r| r.get(0))?;
                    if n >= MAX_RECORDS as i64 {
                        return Ok(None);
                    }
                    fresh
                }
            };
            let id = super::phonebook::insert(c, &plan, book, &contact, &uid, now)?;
            // Written here, not by a file: the next file's row is another.
            c.execute("UPDATE contact SET source_rev = NULL WHERE id = ?1", [id])?;
            Ok(Some(uid))
        })
        .await
    }

    /// Deletes the contact with permanent id `uid` from kept book `book`
    /// (its notes stay, as when a sync removes a record: they show again if
    /// the id comes back). False: none such.
    pub async fn delete_kept_contact(&self, book: i64, uid: &str) -> Result<bool, StoreError> {
        let uid = uid.to_owned();
        self.write(move |c| {
            let gone = c.execute(
                "DELETE FROM contact WHERE uid = ?2 AND book_id = (SELECT id FROM book WHERE id = ?1 AND kind = 'book')",
                params![book, uid],
            )?;
            Ok(gone > 0)
        })
        .await
    }

    /// The trash: notes of deleted books, by book.
    pub async fn trashed_notes(&self) -> Result<Vec<TrashedNotes>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT book_name, count(*), max(trashed_at) FROM contact_note WHERE trashed_at IS NOT NULL
                 GROUP BY book_name ORDER BY max(trashed_at) DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                let key: String = r.get(0)?;
                Ok(TrashedNotes {
                    book: key.strip_prefix("Book:").unwrap_or(&key).to_owned(),
                    notes: r.get(1)?,
                    trashed_at: r.get(2)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// Restores the trashed notes of book `name` (they show again on a book
    /// of that name whose contacts have the same ids), or empties them for
    /// good. Returns how many notes.
    pub async fn restore_notes(&self, name: &str, restore: bool) -> Result<usize, StoreError> {
        let key = note_book(name);
        self.write(move |c| match restore {
            true => c.execute(
                "UPDATE contact_note SET trashed_at = NULL WHERE book_name = ?1 AND trashed_at IS NOT NULL",
                [key],
            ),
            false => {
                c.execute("DELETE FROM contact_note WHERE book_name = ?1 AND trashed_at IS NOT NULL", [key])
            }
        })
        .await
    }

    /// Brings book `id` to the source's `records` in one transaction: new
    /// records added, changed ones (another change marker) written again,
    /// the others left as they are, and what the source no longer has
    /// removed. `None` when the book is gone.
    pub async fn sync_directory_book(
        &self,
        id: i64,
        records: Vec<Record>,
        report: SyncReport,
        now: i64,
    ) -> Result<Option<SyncReport>, StoreError> {
        let plan = self.plan();
        self.write(move |c| sync(c, &plan, id, records, report, now)).await
    }

    /// As [`Store::sync_directory_book`], after a change to an editable
    /// source's file: the notes of a contact whose id changed with its name
    /// (`renamed`: from, to) move with it, in the same transaction.
    pub async fn sync_edited_book(
        &self,
        id: i64,
        records: Vec<Record>,
        report: SyncReport,
        renamed: Option<(String, String)>,
        now: i64,
    ) -> Result<Option<SyncReport>, StoreError> {
        let plan = self.plan();
        self.write(move |c| {
            if let (Some((from, to)), Some(name)) = (&renamed, directory_book_name(c, id)?) {
                c.execute(
                    "UPDATE contact_note SET contact_uid = ?3 WHERE book_name = ?1 AND contact_uid = ?2",
                    params![note_book(&name), from, to],
                )?;
            }
            sync(c, &plan, id, records, report, now)
        })
        .await
    }

    /// Replaces the settings of an external source's book (the same kind of
    /// source). False when there is none such.
    pub async fn set_directory_source(&self, id: i64, source: &Source) -> Result<bool, StoreError> {
        let json = serde_json::to_string(source).map_err(|e| StoreError::Write(e.to_string()))?;
        self.write(move |c| {
            let n = c.execute(
                "UPDATE book SET source = ?2 WHERE id = ?1 AND kind IN ('csv', 'ldap')",
                params![id, json],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Keeps why book `id`'s sync failed; its contacts stay as they were.
    pub async fn directory_sync_failed(&self, id: i64, why: &str, now: i64) -> Result<(), StoreError> {
        let last = LastSync { at: now, outcome: Err(why.to_owned()) };
        let json = serde_json::to_string(&last).unwrap_or_default();
        self.write(move |c| {
            c.execute(
                "UPDATE book SET last_sync = ?2 WHERE id = ?1 AND kind IN ('csv', 'ldap')",
                params![id, json],
            )?;
            Ok(())
        })
        .await
    }
}

/// Brings book `id` to `records` (see [`Store::sync_directory_book`]).
fn sync(
    c: &Connection,
    plan: &crate::domain::dialplan::DiallingPlan,
    id: i64,
    records: Vec<Record>,
    mut report: SyncReport,
    now: i64,
) -> rusqlite::Result<Option<SyncReport>> {
    let exists: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM book WHERE id = ?1 AND kind IN ('csv', 'ldap', 'book'))",
        [id],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    let mut have: HashMap<String, (i64, Option<String>)> = HashMap::new();
    {
        let mut stmt = c.prepare("SELECT uid, id, source_rev FROM contact WHERE book_id = ?1")?;
        let rows = stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))?;
        for row in rows {
            let (uid, at) = row?;
            have.insert(uid, at);
        }
    }
    let mut mark = c.prepare_cached("UPDATE contact SET source_rev = ?2 WHERE id = ?1")?;
    for r in &records {
        match have.remove(&r.uid) {
            Some((_, Some(rev))) if rev == r.rev => report.unchanged += 1,
            was => {
                let contact = super::phonebook::insert(c, plan, id, &r.contact, &r.uid, now)?;
                mark.execute(params![contact, r.rev])?;
                match was {
                    Some(_) => report.changed += 1,
                    None => report.added += 1,
                }
            }
        }
    }
    let mut delete = c.prepare_cached("DELETE FROM contact WHERE id = ?1")?;
    for (_, (contact, _)) in have {
        delete.execute([contact])?;
        report.removed += 1;
    }
    let last = LastSync { at: now, outcome: Ok(report.clone()) };
    c.execute(
        "UPDATE book SET synced_at = ?2, last_sync = ?3 WHERE id = ?1",
        params![id, now, serde_json::to_string(&last).unwrap_or_default()],
    )?;
    Ok(Some(report))
}

/// Whether a shared book (a source's, a kept one, the public book) has this
/// name already, in any case.
/// Deletes a shared book (a source's or a kept one) and its contacts in the
/// caller's job; their notes go to the trash. False when there is none.
pub(super) fn remove_book(c: &Connection, id: i64, now: i64) -> rusqlite::Result<bool> {
    let name: Option<String> = c
        .query_row("SELECT name FROM book WHERE id = ?1 AND kind IN ('csv', 'ldap', 'book')", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(name) = name else { return Ok(false) };
    c.execute(
        "UPDATE contact_note SET trashed_at = ?2 WHERE book_name = ?1 AND trashed_at IS NULL",
        params![note_book(&name), now],
    )?;
    c.execute("DELETE FROM book WHERE id = ?1", [id])?;
    Ok(true)
}

/// Makes a kept book in the caller's job, or why not (the name taken, [`MAX_KEPT_BOOKS`] there).
pub(super) fn add_kept(c: &Connection, name: &str) -> rusqlite::Result<Result<i64, SourceProblem>> {
    if name_taken(c, name)? {
        return Ok(Err(SourceProblem::Name));
    }
    let kept: i64 = c.query_row("SELECT count(*) FROM book WHERE kind = 'book'", [], |r| r.get(0))?;
    if kept >= MAX_KEPT_BOOKS as i64 {
        return Ok(Err(SourceProblem::TooMany));
    }
    c.execute("INSERT INTO book (kind, name, everyone) VALUES ('book', ?1, 'none')", [name])?;
    Ok(Ok(c.last_insert_rowid()))
}

/// Sets who reads shared book `id` in the caller's job: `everyone` (at most
/// a copy) and (`grants`) each group's access in place of what was given;
/// `None` keeps that part. Groups that do not exist are left out. False
/// when there is no such book.
pub(super) fn set_access(
    c: &Connection,
    id: i64,
    everyone: Option<BookAccess>,
    grants: Option<Vec<(i64, BookAccess)>>,
) -> rusqlite::Result<bool> {
    let there: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM book WHERE id = ?1 AND kind IN ('csv', 'ldap', 'book'))",
        [id],
        |r| r.get(0),
    )?;
    if !there {
        return Ok(false);
    }
    if let Some(everyone) = everyone {
        let everyone = everyone.min(BookAccess::Offline);
        c.execute("UPDATE book SET everyone = ?2 WHERE id = ?1", params![id, everyone.code()])?;
    }
    if let Some(grants) = grants {
        c.execute("DELETE FROM cti_group_book WHERE book_id = ?1", [id])?;
        let mut give = c.prepare_cached(
            "INSERT INTO cti_group_book (group_id, book_id, access)
             SELECT id, ?2, ?3 FROM cti_group WHERE id = ?1",
        )?;
        for (group, access) in grants.into_iter().filter(|(_, a)| *a > BookAccess::None) {
            give.execute(params![group, id, access.code()])?;
        }
    }
    Ok(true)
}

fn name_taken(c: &Connection, name: &str) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM book WHERE kind IN ('csv', 'ldap', 'book', 'public') AND name = ?1 COLLATE NOCASE)",
        [name],
        |r| r.get(0),
    )
}

/// Whether `c` has a book of an external source with this id (for the notes).
pub(super) fn directory_book_name(c: &Connection, book: i64) -> rusqlite::Result<Option<String>> {
    c.query_row("SELECT name FROM book WHERE id = ?1 AND kind IN ('csv', 'ldap', 'book')", [book], |r| {
        r.get(0)
    })
    .optional()
}
