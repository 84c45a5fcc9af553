//! The phonebook store (SPEC W6, Y4): the public book, each subscriber's private
//! book, their contacts with several numbers, contact groups, and the extensions
//! and departments shown beside them. Every call names the subscriber it acts
//! for, and what he may do with the public book; a refused change writes nothing.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use super::journal::{self, Author};
use super::migrate::fold;
use super::{Store, StoreError};
use crate::domain::dialplan::{DiallingPlan, Form};
use crate::domain::journal::{Change, Topic, OFF, ON};
use crate::domain::phonebook::{effective_right, BookAccess, Mark, SharedBook};
use crate::phonebook::{BookKind, Contact, Number, NumberKind, Rejected};

pub use crate::domain::phonebook::{
    ContactNotes, Entry, Group, ImportOutcome, Known, Lookup, Note, NotesFull, PublicRight, Refusal, Rows,
    Source, View, LIST_LIMIT, MAX_NOTES,
};

/// Whether book `book_id` holds [`MAX_BOOK_CONTACTS`] contacts already.
pub(super) fn full(c: &Connection, book_id: i64) -> rusqlite::Result<bool> {
    let n: i64 = c.query_row("SELECT count(*) FROM contact WHERE book_id = ?1", [book_id], |r| r.get(0))?;
    Ok(n as usize >= crate::domain::phonebook::MAX_BOOK_CONTACTS)
}

/// The departments (id, name) and contact groups the phonebook page lists.
pub type BookGroups = (Vec<(i64, String)>, Vec<Group>);

impl Store {
    pub async fn public_right(&self, ext: &str) -> Result<PublicRight, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| right(c, &ext)).await
    }

    /// Sets what an extension may do with the public book (an administrator's
    /// setting). False if there is no such extension.
    pub async fn set_public_right(&self, ext: &str, r: PublicRight) -> Result<bool, StoreError> {
        let ext = ext.to_owned();
        let word = match r {
            PublicRight::None => "none",
            PublicRight::Read => "read",
            PublicRight::Edit => "edit",
        };
        self.write(move |c| {
            Ok(c.execute("UPDATE extension SET public_book = ?2 WHERE number = ?1", params![ext, word])? == 1)
        })
        .await
    }

    /// The groups the subscriber sees: departments (read-only), the public
    /// book's groups (unless he may not read it) and his private book's.
    pub async fn phonebook_groups(&self, owner: &str) -> Result<BookGroups, StoreError> {
        let key = owner.to_owned();
        let owner = key.clone();
        // Kept while nothing changes: the phonebook page shows them each time,
        // and counting a group's members reads them all.
        self.read_kept(|k| &k.book_groups, self.settings_stamp(), key, move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT d.id, d.name FROM department d JOIN extension e ON e.department_id = d.id ORDER BY d.name",
            )?;
            let departments = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            let public = right(c, &owner)? != PublicRight::None;
            let mut stmt = c.prepare_cached(
                "SELECT g.id, g.name, b.kind, (SELECT count(*) FROM contact_group_member m WHERE m.group_id = g.id)
                 FROM contact_group g JOIN book b ON b.id = g.book_id
                 WHERE (b.kind = 'public' AND ?2) OR (b.kind = 'private' AND b.owner = ?1)
                 ORDER BY b.kind DESC, g.name COLLATE NOCASE",
            )?;
            let groups = stmt
                .query_map(params![owner, public], |r| {
                    let kind: String = r.get(2)?;
                    Ok(Group {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        book: if kind == "public" { BookKind::Public } else { BookKind::Private },
                        members: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok((departments, groups))
        })
        .await
    }

    /// The list for one view, filtered by a search over names, companies and
    /// numbers; extensions first, then contacts by name.
    pub async fn phonebook(&self, owner: &str, view: View, search: &str) -> Result<Vec<Entry>, StoreError> {
        self.phonebook_rows(owner, view, search, Rows::EachUpTo(LIST_LIMIT)).await
    }

    /// The first `limit` entries of a list (the start page's search shows a few).
    pub async fn phonebook_first(
        &self,
        owner: &str,
        view: View,
        search: &str,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        self.phonebook_rows(owner, view, search, Rows::EachUpTo(limit)).await
    }

    /// These rows of a list (the portal's phonebook pages through it with
    /// [`Rows::Page`]).
    pub async fn phonebook_rows(
        &self,
        owner: &str,
        view: View,
        search: &str,
        rows: Rows,
    ) -> Result<Vec<Entry>, StoreError> {
        let (owner, search) = (owner.to_owned(), fold(search.trim()));
        if !search.is_empty() {
            return self.read(move |c| list(c, &owner, view, &search, rows)).await;
        }
        // The list as opened: kept while nothing changes in the books.
        let key = (owner.clone(), view, rows);
        self.read_kept(|k| &k.lists, self.settings_stamp(), key, move |c| list(c, &owner, view, "", rows))
            .await
    }

    /// Adds one contact to the public or the private book.
    /// Journaled in `owner`'s journal, with `by` as its author.
    pub async fn add_contact(
        &self,
        owner: &str,
        book: BookKind,
        contact: Contact,
        by: Author,
        now: i64,
    ) -> Result<Result<i64, Refusal>, StoreError> {
        let owner = owner.to_owned();
        let uid = new_uid()?;
        let plan = self.plan();
        self.write(move |c| {
            if let Err(r) = may_write(c, &owner, book)? {
                return Ok(Err(r));
            }
            let book_id = book_id(c, &owner, book)?;
            if full(c, book_id)? {
                return Ok(Err(Refusal::Full));
            }
            let id = insert(c, &plan, book_id, &contact, contact.uid.as_deref().unwrap_or(&uid), now)?;
            set_groups(c, book_id, id, &contact.groups)?;
            let added = entry_change("contact", String::new(), named(&contact.display_name(), book));
            journal::record(c, &owner, &by, &[added], now)?;
            Ok(Ok(id))
        })
        .await
    }

    /// Sets a mark on contacts of the public book (SPEC M3), journaled in
    /// `owner`'s journal: all or nothing. Returns how many changed.
    pub async fn mark_contacts(
        &self,
        owner: &str,
        ids: Vec<i64>,
        mark: Mark,
        by: Author,
        now: i64,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| {
            for id in &ids {
                match visible_book(c, &owner, CONTACT_BOOK, *id)? {
                    None => return Ok(Err(Refusal::NotYours)),
                    Some((_, BookKind::Private)) => return Ok(Err(Refusal::OtherBook)),
                    Some((_, BookKind::Public)) => {}
                }
            }
            let (column, field, on) = match mark {
                Mark::Vip(on) => ("vip", "vip", on),
                Mark::HideExtra(on) => ("hide_extra", "hidden_numbers", on),
            };
            let flag = |b: bool| if b { ON } else { OFF };
            let mut changes = Vec::new();
            for id in &ids {
                let name = contact_name(c, *id)?;
                let sql = format!(
                    "UPDATE contact SET {column} = ?2, updated_at = ?3 WHERE id = ?1 AND {column} != ?2"
                );
                if c.execute(&sql, params![id, on, now])? == 1 {
                    let old = format!("{name}: {}", flag(!on));
                    changes.push(entry_change(field, old, format!("{name}: {}", flag(on))));
                }
            }
            journal::record(c, &owner, &by, &changes, now)?;
            Ok(Ok(changes.len()))
        })
        .await
    }

    /// Deletes contacts. Extensions are never contacts; public ones need the
    /// right; another's private contacts are not found. All or nothing.
    pub async fn delete_contacts(
        &self,
        owner: &str,
        ids: Vec<i64>,
        by: Author,
        now: i64,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| {
            let edit_public = right(c, &owner)? == PublicRight::Edit;
            let mut books = Vec::with_capacity(ids.len());
            for id in &ids {
                match visible_book(c, &owner, CONTACT_BOOK, *id)? {
                    None => return Ok(Err(Refusal::NotYours)),
                    Some((_, BookKind::Public)) if !edit_public => return Ok(Err(Refusal::PublicReadOnly)),
                    Some((_, kind)) => books.push(kind),
                }
            }
            let mut changes = Vec::new();
            for (id, book) in ids.iter().zip(books) {
                let name = contact_name(c, *id)?;
                if c.execute("DELETE FROM contact WHERE id = ?1", [id])? == 1 {
                    changes.push(entry_change("contact", named(&name, book), String::new()));
                }
            }
            journal::record(c, &owner, &by, &changes, now)?;
            Ok(Ok(changes.len()))
        })
        .await
    }

    /// Creates a group in the private book, or in the public one with the right.
    pub async fn create_group(
        &self,
        owner: &str,
        name: &str,
        book: BookKind,
    ) -> Result<Result<i64, Refusal>, StoreError> {
        let (owner, name) = (owner.to_owned(), name.trim().to_owned());
        self.write(move |c| {
            if name.is_empty() || name.chars().count() > 60 {
                return Ok(Err(Refusal::GroupName));
            }
            if let Err(r) = may_write(c, &owner, book)? {
                return Ok(Err(r));
            }
            let book_id = book_id(c, &owner, book)?;
            c.execute(
                "INSERT INTO contact_group (book_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![book_id, name],
            )?;
            Ok(Ok(c.query_row(
                "SELECT id FROM contact_group WHERE book_id = ?1 AND name = ?2",
                params![book_id, name],
                |r| r.get(0),
            )?))
        })
        .await
    }

    /// Renames a group of a book `owner` may change (`None`: delete it; its
    /// contacts stay in the book), journaled in `owner`'s journal.
    pub async fn change_group(
        &self,
        owner: &str,
        group: i64,
        name: Option<String>,
        by: Author,
        now: i64,
    ) -> Result<Result<(), Refusal>, StoreError> {
        let owner = owner.to_owned();
        let name = name.map(|n| n.trim().to_owned());
        self.write(move |c| {
            let Some((book_id, kind)) = visible_book(c, &owner, GROUP_BOOK, group)? else {
                return Ok(Err(Refusal::NotYours));
            };
            if let Err(r) = may_write(c, &owner, kind)? {
                return Ok(Err(r));
            }
            let old: String = c.query_row("SELECT name FROM contact_group WHERE id = ?1", [group], |r| r.get(0))?;
            let change = match &name {
                Some(n) if n.is_empty() || n.chars().count() > 60 => return Ok(Err(Refusal::GroupName)),
                Some(n) => {
                    let taken: bool = c.query_row(
                        "SELECT count(*) > 0 FROM contact_group WHERE book_id = ?1 AND name = ?2 AND id != ?3",
                        params![book_id, n, group],
                        |r| r.get(0),
                    )?;
                    if taken {
                        return Ok(Err(Refusal::GroupName));
                    }
                    c.execute("UPDATE contact_group SET name = ?2 WHERE id = ?1", params![group, n])?;
                    entry_change("group", named(&old, kind), named(n, kind))
                }
                None => {
                    c.execute("DELETE FROM contact_group WHERE id = ?1", [group])?;
                    entry_change("group", named(&old, kind), String::new())
                }
            };
            journal::record(c, &owner, &by, &[change], now)?;
            Ok(Ok(()))
        })
        .await
    }

    /// Puts contacts into a group of the same book.
    pub async fn add_to_group(
        &self,
        owner: &str,
        ids: Vec<i64>,
        group: i64,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| {
            let Some((book_id, kind)) = visible_book(c, &owner, GROUP_BOOK, group)? else {
                return Ok(Err(Refusal::NotYours));
            };
            if let Err(r) = may_write(c, &owner, kind)? {
                return Ok(Err(r));
            }
            for id in &ids {
                let in_book: Option<i64> =
                    c.query_row("SELECT book_id FROM contact WHERE id = ?1", [id], |r| r.get(0)).optional()?;
                if in_book != Some(book_id) {
                    return Ok(Err(Refusal::OtherBook));
                }
            }
            let mut n = 0;
            for id in &ids {
                n += c.execute(
                    "INSERT INTO contact_group_member (group_id, contact_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![group, id],
                )?;
            }
            Ok(Ok(n))
        })
        .await
    }

    /// Imports contacts in one transaction: each into the book its file names
    /// (a WebCTI export) or else into `book`. A contact for the public book
    /// without the right is refused with its line; the others are taken.
    pub async fn import_contacts(
        &self,
        owner: &str,
        book: BookKind,
        contacts: Vec<(u64, Contact)>,
        by: Author,
        now: i64,
    ) -> Result<Result<ImportOutcome, Refusal>, StoreError> {
        let owner = owner.to_owned();
        let uids = contacts.iter().map(|_| new_uid()).collect::<Result<Vec<_>, _>>()?;
        let plan = self.plan();
        self.write(move |c| {
            if let Err(r) = may_write(c, &owner, book)? {
                return Ok(Err(r));
            }
            let edit_public = right(c, &owner)? == PublicRight::Edit;
            let mut out = ImportOutcome::default();
            let mut books: HashMap<&'static str, i64> = HashMap::new();
            for ((line, contact), uid) in contacts.into_iter().zip(uids) {
                let target = contact.book.unwrap_or(book);
                if target == BookKind::Public && !edit_public {
                    out.rejected.push(Rejected::new(line, "phonebook.public_read_only", ""));
                    continue;
                }
                let book_id = match books.get(target.code()) {
                    Some(id) => *id,
                    None => {
                        let id = book_id(c, &owner, target)?;
                        books.insert(target.code(), id);
                        id
                    }
                };
                let uid = contact.uid.clone().unwrap_or(uid);
                if exists(c, &plan, book_id, &uid, &contact)? {
                    out.unchanged += 1;
                    continue;
                }
                if full(c, book_id)? {
                    out.rejected.push(Rejected::new(line, "phonebook.full", ""));
                    continue;
                }
                let id = insert(c, &plan, book_id, &contact, &uid, now)?;
                set_groups(c, book_id, id, &contact.groups)?;
                out.added += 1;
            }
            // One entry for the file, not one per contact.
            if out.added > 0 {
                let added = entry_change("import", String::new(), format!("{} ({})", out.added, book.code()));
                journal::record(c, &owner, &by, &[added], now)?;
            }
            Ok(Ok(out))
        })
        .await
    }

    /// The contacts of a view for export, each marked with its book; hidden
    /// additional numbers only if `with_hidden`.
    pub async fn export_contacts(
        &self,
        owner: &str,
        view: View,
        with_hidden: bool,
    ) -> Result<Vec<Contact>, StoreError> {
        let owner = owner.to_owned();
        self.read(move |c| {
            Ok(list(c, &owner, view, "", Rows::EachUpTo(usize::MAX))?
                .into_iter()
                .filter(|e| e.source != Source::Extension)
                .map(|e| if with_hidden { e } else { e.without_hidden() })
                .map(|e| e.contact)
                .collect())
        })
        .await
    }

    /// Names for numbers as the subscriber knows them: extension, then his
    /// private book, then the public book, by the canonical form of each
    /// number as it is written (domain::dialplan).
    /// Each number's name is kept while no setting, extension or contact
    /// changes: a history page asks again for the same numbers.
    pub async fn names_for(
        &self,
        owner: &str,
        numbers: Vec<(String, Form)>,
    ) -> Result<HashMap<String, String>, StoreError> {
        let stamp = self.settings_stamp();
        let kept = &self.inner.kept.names;
        let mut out = HashMap::new();
        let mut asked = Vec::new();
        for (number, form) in numbers {
            if number.is_empty() || out.contains_key(&number) {
                continue;
            }
            let key = (owner.to_owned(), number, form);
            match kept.get(&key, stamp) {
                Some(Some(name)) => {
                    out.insert(key.1, name);
                }
                Some(None) => {}
                None => asked.push((key.1, key.2)),
            }
        }
        if asked.is_empty() {
            return Ok(out);
        }
        let who = owner.to_owned();
        let (asked, found) = self
            .read_with_mobiles(move |c, plan, mobiles| {
                let found = names(c, plan, mobiles, &who, asked.clone())?;
                Ok((asked, found))
            })
            .await?;
        for (number, form) in asked {
            let name = found.get(&number).cloned();
            kept.keep((owner.to_owned(), number.clone(), form), stamp, name.clone());
            if let Some(name) = name {
                out.insert(number, name);
            }
        }
        Ok(out)
    }

    /// Runs `f` on a reader with the dialling plan and the users' own numbers
    /// ([`Mobiles`]), those as kept while no setting changed, else read there
    /// first and kept: every name lookup needs them (each call's first event
    /// asks for its parties' names), and reading them scans the extensions.
    pub(super) async fn read_with_mobiles<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &DiallingPlan, &Mobiles) -> rusqlite::Result<T> + Send + 'static,
    {
        let stamp = self.settings_stamp();
        let kept = self.inner.kept.mobiles.get(&(), stamp);
        let plan = self.plan();
        let (out, read) = self
            .read(move |c| match kept {
                Some(mobiles) => Ok((f(c, &plan, &mobiles)?, None)),
                None => {
                    let mobiles = Arc::new(Mobiles::read(c, &plan)?);
                    Ok((f(c, &plan, &mobiles)?, Some(mobiles)))
                }
            })
            .await?;
        if let Some(mobiles) = read {
            self.inner.kept.mobiles.keep((), stamp, mobiles);
        }
        Ok(out)
    }

    /// Contact `id`'s notes, if `owner` may see the contact (his private book's,
    /// or the public book's when `public`).
    pub async fn contact_notes(
        &self,
        owner: &str,
        public: bool,
        id: i64,
    ) -> Result<Option<ContactNotes>, StoreError> {
        let owner = owner.to_owned();
        self.read(move |c| {
            let Some((key, book)) = note_key(c, &owner, public, id)? else { return Ok(None) };
            let (first, last, company): (String, String, String) =
                c.query_row("SELECT first_name, last_name, company FROM contact WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            let name =
                Contact { first_name: first, last_name: last, company, ..Default::default() }.display_name();
            let mut stmt = c.prepare_cached(
                "SELECT n.id, n.author, coalesce(e.name, ''), n.text, n.created_at FROM contact_note n
                 LEFT JOIN extension e ON e.number = n.author
                 WHERE n.contact_uid = ?2 AND n.book_name = ?1 AND n.trashed_at IS NULL
                 ORDER BY n.created_at, n.id LIMIT ?3",
            )?;
            let notes = stmt
                .query_map(params![key.0, key.1, MAX_NOTES as i64], |r| {
                    Ok(Note {
                        id: r.get(0)?,
                        author: r.get(1)?,
                        author_name: r.get(2)?,
                        text: r.get(3)?,
                        created_at: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(Some(ContactNotes { name, book, notes }))
        })
        .await
    }

    /// Adds `owner`'s note to contact `id`, if he may see it and it has fewer
    /// than [`MAX_NOTES`]; kept against the
    /// contact's permanent id, so it stays when the contact is replaced by an
    /// import or a sync with the same id.
    pub async fn add_note(
        &self,
        owner: &str,
        public: bool,
        id: i64,
        text: &str,
        now: i64,
    ) -> Result<Option<Result<i64, NotesFull>>, StoreError> {
        let (owner, text) = (owner.to_owned(), text.to_owned());
        self.write(move |c| {
            let Some((key, _)) = note_key(c, &owner, public, id)? else { return Ok(None) };
            let kept: i64 = c.query_row(
                "SELECT count(*) FROM contact_note WHERE contact_uid = ?2 AND book_name = ?1 AND trashed_at IS NULL",
                params![key.0, key.1],
                |r| r.get(0),
            )?;
            if kept >= MAX_NOTES as i64 {
                return Ok(Some(Err(NotesFull)));
            }
            c.execute(
                "INSERT INTO contact_note (book_name, contact_uid, author, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.0, key.1, owner, text, now],
            )?;
            Ok(Some(Ok(c.last_insert_rowid())))
        })
        .await
    }

    /// Deletes note `note` of contact `id`: its author's, or anyone's when
    /// `any` (an administrator). False when there is no such note to delete.
    pub async fn delete_note(
        &self,
        owner: &str,
        public: bool,
        id: i64,
        note: i64,
        any: bool,
    ) -> Result<bool, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| {
            let Some((key, _)) = note_key(c, &owner, public, id)? else { return Ok(false) };
            let gone = c.execute(
                "DELETE FROM contact_note WHERE id = ?1 AND book_name = ?2 AND contact_uid = ?3 AND (?4 OR author = ?5)",
                params![note, key.0, key.1, any, owner],
            )?;
            Ok(gone == 1)
        })
        .await
    }

    /// Who `number` is as `owner` knows him ([`find`]; `owner` empty: the
    /// extensions, the public book and the books everyone reads), with its
    /// canonical form. `books`: the named shared books to look in, when the
    /// reader is not `owner` (a CTI account, a token); else `owner`'s.
    pub async fn lookup(
        &self,
        owner: &str,
        number: &str,
        form: Form,
        books: Option<Vec<i64>>,
    ) -> Result<Lookup, StoreError> {
        let (owner, number) = (owner.to_owned(), number.to_owned());
        self.read_with_mobiles(move |c, plan, mobiles| {
            let books = match books {
                Some(ids) => ids_json(&ids),
                None => shelf(c, &owner)?,
            };
            let known = find(c, plan, mobiles, &owner, &books, &number, form)?;
            Ok(Lookup { canonical: plan.canonical(&number, form), known })
        })
        .await
    }

    /// The shared books' names (as [`lookup`](Store::lookup) with no owner)
    /// of a call's two parties, in one read: the intake asks at each call's
    /// first event, and every later event of the exchange waits behind it.
    pub async fn party_names(
        &self,
        from: &str,
        to: &str,
    ) -> Result<(Option<String>, Option<String>), StoreError> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.read_with_mobiles(move |c, plan, mobiles| {
            // Names everyone may see: the books everyone reads.
            let books = shelf(c, "")?;
            let name = |number: &str, form| -> rusqlite::Result<Option<String>> {
                if number.is_empty() {
                    return Ok(None);
                }
                Ok(find(c, plan, mobiles, "", &books, number, form)?.map(|k| k.name))
            };
            Ok((name(&from, Form::Written)?, name(&to, Form::Dialled)?))
        })
        .await
    }

    /// The shared named books with who may read them (SPEC C11), and the CTI
    /// groups subscriber `ext` is a member of (none for `None`), in one read.
    pub async fn shared_books(&self, ext: Option<String>) -> Result<(Vec<SharedBook>, Vec<i64>), StoreError> {
        self.read(move |c| {
            let groups = match &ext {
                Some(ext) => super::cti_group::subscriber_groups(c, ext)?,
                None => Vec::new(),
            };
            Ok((shared_books(c)?, groups))
        })
        .await
    }

    /// A named shared book's contacts after contact `after`, by id, at most
    /// `limit` (a CTI client's offline copy, a page at a time).
    pub async fn book_contacts(&self, book: i64, after: i64, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "{SHARED_ENTRY} WHERE c.book_id = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![book, after, limit], shared_entry)?;
            let mut entries: Vec<Entry> = rows.collect::<rusqlite::Result<_>>()?;
            let mut numbers = c.prepare_cached(
                "SELECT kind, number FROM contact_number WHERE contact_id = ?1 ORDER BY position",
            )?;
            for e in &mut entries {
                let rows = numbers.query_map([e.id], |r| {
                    Ok(Number { kind: NumberKind::parse(&r.get::<_, String>(0)?), number: r.get(1)? })
                })?;
                e.contact.numbers = rows.collect::<rusqlite::Result<_>>()?;
            }
            Ok(entries)
        })
        .await
    }

    /// The exchange's directory as desk phones and CTI clients search it:
    /// the extensions, the public book and the named shared `books` (those
    /// the reader may read), searched by name or number like the portal's lists.
    pub async fn directory(
        &self,
        search: &str,
        limit: usize,
        books: Vec<i64>,
    ) -> Result<Vec<Entry>, StoreError> {
        let search = fold(search.trim());
        self.read(move |c| list_as(c, "", true, &ids_json(&books), View::All, &search, Rows::EachUpTo(limit)))
            .await
    }

    /// Makes `plan` the dialling plan contacts' numbers and the callback
    /// lists' open entries are kept canonical by, and makes the stored forms
    /// again when they were made by another plan (the board file's changed, or
    /// a database from before canonical forms). Returns how many changed.
    pub async fn use_dialling_plan(&self, plan: DiallingPlan) -> Result<usize, StoreError> {
        let plan = Arc::new(plan);
        if let Ok(mut in_use) = self.inner.plan.write() {
            *in_use = plan.clone();
        }
        self.write(move |c| {
            let code = plan.to_string();
            let made_by: Option<String> = c
                .query_row("SELECT value FROM setting WHERE key = 'dialling_plan'", [], |r| r.get(0))
                .optional()?;
            if made_by.as_deref() == Some(code.as_str()) {
                return Ok(0);
            }
            let mut changed = 0;
            let mut read =
                c.prepare("SELECT contact_id, position, number, normalized FROM contact_number")?;
            let rows =
                read.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?)))?;
            let mut update = c.prepare(
                "UPDATE contact_number SET normalized = ?3 WHERE contact_id = ?1 AND position = ?2",
            )?;
            for row in rows {
                let (id, position, number, old): (i64, i64, String, String) = row?;
                let new = plan.canonical(&number, Form::Written);
                if new != old {
                    update.execute(params![id, position, new])?;
                    changed += 1;
                }
            }
            changed += super::callback::rekey(c, &plan)?;
            c.execute(
                "INSERT INTO setting (key, value) VALUES ('dialling_plan', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [code],
            )?;
            Ok(changed)
        })
        .await
    }
}

pub(super) fn new_uid() -> Result<String, StoreError> {
    crate::system::random::hex_token(16).map_err(|e| StoreError::Write(format!("no random source: {e}")))
}

pub(super) fn right(c: &Connection, ext: &str) -> rusqlite::Result<PublicRight> {
    let r: Option<(String, bool, bool)> = c
        .query_row(
            "SELECT public_book, is_admin, EXISTS (SELECT 1 FROM manager_department m WHERE m.extension = e.number)
             FROM extension e WHERE number = ?1",
            [ext],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match r {
        Some((set, is_admin, manages)) => {
            effective_right(PublicRight::from_code(&set).unwrap_or_default(), is_admin, manages)
        }
        None => PublicRight::None,
    })
}

fn may_write(c: &Connection, owner: &str, book: BookKind) -> rusqlite::Result<Result<(), Refusal>> {
    Ok(match book {
        BookKind::Private => Ok(()),
        BookKind::Public if right(c, owner)? == PublicRight::Edit => Ok(()),
        BookKind::Public => Err(Refusal::PublicReadOnly),
    })
}

/// The book's id, made when first needed.
pub(super) fn book_id(c: &Connection, owner: &str, book: BookKind) -> rusqlite::Result<i64> {
    let owner = (book == BookKind::Private).then_some(owner);
    let found: Option<i64> = c
        .query_row(
            "SELECT id FROM book WHERE kind = ?1 AND owner IS ?2 ORDER BY id LIMIT 1",
            params![book.code(), owner],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => {
            let name = if book == BookKind::Public { "Public" } else { "Private" };
            c.execute(
                "INSERT INTO book (kind, name, owner) VALUES (?1, ?2, ?3)",
                params![book.code(), name, owner],
            )?;
            Ok(c.last_insert_rowid())
        }
    }
}

/// The book of a contact, if it is the public book or the owner's private one.
/// Where contact `id`'s notes are kept (its book's name for notes and its
/// permanent id) and its book, if `owner` may see it.
fn note_key(
    c: &Connection,
    owner: &str,
    public: bool,
    id: i64,
) -> rusqlite::Result<Option<((String, String), Source)>> {
    let book_id: Option<i64> =
        c.query_row("SELECT book_id FROM contact WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    let Some(book_id) = book_id else { return Ok(None) };
    let (key, source) = match visible_book(c, owner, CONTACT_BOOK, id)? {
        Some((_, BookKind::Public)) if public => ("Public".to_owned(), Source::Book(BookKind::Public)),
        // A private book's notes are its owner's: the same contact (an export
        // imported by a colleague) in another private book has none of them.
        Some((_, BookKind::Private)) => (format!("Private:{owner}"), Source::Book(BookKind::Private)),
        None if public => match super::directory::directory_book_name(c, book_id)? {
            Some(name) => (super::directory::note_book(&name), Source::Directory(name)),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let uid: String = c.query_row("SELECT uid FROM contact WHERE id = ?1", [id], |r| r.get(0))?;
    Ok(Some(((key, uid), source)))
}

const CONTACT_BOOK: &str =
    "SELECT b.id, b.kind, b.owner FROM contact c JOIN book b ON b.id = c.book_id WHERE c.id = ?1";
const GROUP_BOOK: &str =
    "SELECT b.id, b.kind, b.owner FROM contact_group g JOIN book b ON b.id = g.book_id WHERE g.id = ?1";

/// The book (id and kind) that a contact or group (`CONTACT_BOOK`, `GROUP_BOOK`)
/// is in, if the subscriber sees it: the public book or his own private one.
fn visible_book(
    c: &Connection,
    owner: &str,
    query: &str,
    id: i64,
) -> rusqlite::Result<Option<(i64, BookKind)>> {
    let row: Option<(i64, String, Option<String>)> =
        c.query_row(query, [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
    Ok(match row {
        Some((book, kind, _)) if kind == "public" => Some((book, BookKind::Public)),
        Some((book, kind, Some(o))) if kind == "private" && o == owner => Some((book, BookKind::Private)),
        _ => None,
    })
}

/// A contact's name as lists show it.
fn contact_name(c: &Connection, id: i64) -> rusqlite::Result<String> {
    c.query_row("SELECT first_name, last_name, company FROM contact WHERE id = ?1", [id], |r| {
        let k =
            Contact { first_name: r.get(0)?, last_name: r.get(1)?, company: r.get(2)?, ..Default::default() };
        Ok(k.display_name())
    })
}

/// A contact as the journal names it: its name and its book.
fn named(name: &str, book: BookKind) -> String {
    format!("{name} ({})", book.code())
}

fn entry_change(field: &'static str, old: String, new: String) -> Change {
    Change { topic: Topic::Phonebook, field, old, new }
}

pub(super) fn insert(
    c: &Connection,
    plan: &DiallingPlan,
    book_id: i64,
    k: &Contact,
    uid: &str,
    now: i64,
) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO contact (book_id, uid, first_name, last_name, company, title, email, address, updated_at, search)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (book_id, uid) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
           company = excluded.company, title = excluded.title, email = excluded.email, address = excluded.address,
           updated_at = excluded.updated_at, search = excluded.search",
        params![book_id, uid, k.first_name, k.last_name, k.company, k.title, k.email, k.address, now, search_text(k)],
    )?;
    let id: i64 =
        c.query_row("SELECT id FROM contact WHERE book_id = ?1 AND uid = ?2", params![book_id, uid], |r| {
            r.get(0)
        })?;
    c.execute("DELETE FROM contact_number WHERE contact_id = ?1", [id])?;
    for (i, n) in k.numbers.iter().enumerate() {
        c.execute(
            "INSERT INTO contact_number (contact_id, position, kind, number, normalized, digits)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                i as i64,
                n.kind.code(),
                n.number,
                plan.canonical(&n.number, Form::Written),
                search_digits(&n.number)
            ],
        )?;
    }
    Ok(id)
}

/// What a search by name finds a contact by (column `contact.search`): as SQL's
/// `fold(first_name || ' ' || last_name || ' ' || company)` in migration 9.
fn search_text(k: &Contact) -> String {
    fold(&format!("{} {} {}", k.first_name, k.last_name, k.company))
}

/// What a search by number finds a number by (column `contact_number.digits`).
fn search_digits(number: &str) -> String {
    number.chars().filter(|c| !" -/".contains(*c)).collect()
}

pub(super) fn set_groups(
    c: &Connection,
    book_id: i64,
    contact: i64,
    groups: &[String],
) -> rusqlite::Result<()> {
    for g in groups.iter().map(|g| g.trim()).filter(|g| !g.is_empty()).take(20) {
        let name: String = g.chars().take(60).collect();
        c.execute(
            "INSERT INTO contact_group (book_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![book_id, name],
        )?;
        c.execute(
            "INSERT INTO contact_group_member (group_id, contact_id)
             SELECT id, ?3 FROM contact_group WHERE book_id = ?1 AND name = ?2 ON CONFLICT DO NOTHING",
            params![book_id, name, contact],
        )?;
    }
    Ok(())
}

/// Whether the book holds this contact already: the same UID, or the same name
/// and company with the same numbers.
fn exists(
    c: &Connection,
    plan: &DiallingPlan,
    book_id: i64,
    uid: &str,
    k: &Contact,
) -> rusqlite::Result<bool> {
    let by_uid: Option<i64> = c
        .query_row("SELECT id FROM contact WHERE book_id = ?1 AND uid = ?2", params![book_id, uid], |r| {
            r.get(0)
        })
        .optional()?;
    // By the exact name: contact_name finds it; the planner would rather scan
    // the book in contact_order, which holds the names too.
    let mut stmt = c.prepare_cached(
        "SELECT id FROM contact INDEXED BY contact_name
         WHERE book_id = ?1 AND first_name = ?2 AND last_name = ?3 AND company = ?4",
    )?;
    let same_name: Vec<i64> = stmt
        .query_map(params![book_id, k.first_name, k.last_name, k.company], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut wanted: Vec<String> =
        k.numbers.iter().map(|n| plan.canonical(&n.number, Form::Written)).collect();
    wanted.sort();
    for id in by_uid.into_iter().chain(same_name) {
        let mut stmt = c.prepare_cached(
            "SELECT normalized FROM contact_number WHERE contact_id = ?1 ORDER BY normalized",
        )?;
        let have: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if have == wanted {
            return Ok(true);
        }
    }
    Ok(false)
}

fn list(c: &Connection, owner: &str, view: View, search: &str, rows: Rows) -> rusqlite::Result<Vec<Entry>> {
    let public = right(c, owner)? != PublicRight::None;
    list_as(c, owner, public, &shelf(c, owner)?, view, search, rows)
}

/// The named shared books (SPEC C11) subscriber `ext` reads, as the JSON
/// array of their ids the queries take: those everyone reads, and those given
/// to a CTI group he is a member of (`domain::access::book_access`). `ext`
/// empty: those everyone reads.
pub(super) fn shelf(c: &Connection, ext: &str) -> rusqlite::Result<String> {
    let groups = super::cti_group::subscriber_groups(c, ext)?;
    let reader = crate::domain::access::Actor::new(
        crate::domain::access::Who::Subscriber {
            ext: ext.to_owned(),
            pin_only: ext.is_empty(),
            public_book: PublicRight::None,
        },
        crate::domain::access::Channel::Web,
    );
    let ids: Vec<i64> = shared_books(c)?
        .iter()
        .filter(|b| crate::domain::access::book_access(&reader, &groups, b) >= BookAccess::Read)
        .map(|b| b.id)
        .collect();
    Ok(ids_json(&ids))
}

pub(super) fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

/// Every shared named book with who may read it.
pub(super) fn shared_books(c: &Connection) -> rusqlite::Result<Vec<SharedBook>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name, kind = 'book', everyone,
                kind = 'book' OR (kind = 'csv' AND coalesce(json_extract(source, '$.origin.editable'), 0) = 1)
         FROM book WHERE kind IN ('book', 'csv', 'ldap') ORDER BY name COLLATE NOCASE",
    )?;
    let mut books: Vec<SharedBook> = stmt
        .query_map([], |r| {
            Ok(SharedBook {
                id: r.get(0)?,
                name: r.get(1)?,
                kept: r.get(2)?,
                everyone: BookAccess::from_code(&r.get::<_, String>(3)?).unwrap_or_default(),
                editable: r.get(4)?,
                grants: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut grants = c.prepare_cached("SELECT book_id, group_id, access FROM cti_group_book")?;
    let rows =
        grants.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?;
    for row in rows {
        let (book, group, access) = row?;
        if let (Some(b), Some(a)) = (books.iter_mut().find(|b| b.id == book), BookAccess::from_code(&access))
        {
            b.grants.push((group, a));
        }
    }
    Ok(books)
}

/// A list as `owner` sees it, with the public book if `public`, and the
/// named shared books `books` (a JSON array of ids) in the whole list.
fn list_as(
    c: &Connection,
    owner: &str,
    public: bool,
    books_json: &str,
    view: View,
    search: &str,
    rows: Rows,
) -> rusqlite::Result<Vec<Entry>> {
    // A page reads its rows and those before it: extensions, then contacts.
    let (skip, limit) = match rows {
        Rows::EachUpTo(n) => (0, n),
        Rows::Page { skip, limit } => (skip, skip.saturating_add(limit)),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    // Numbers are searched only when the search looks like one.
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    let numeric = !digits.is_empty() && search.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c));
    // What no number holds, when the search is not one.
    let digits = if numeric { digits } else { String::from("\u{1}") };
    if matches!(view, View::All | View::Extensions | View::Department(_)) {
        let dept = match view {
            View::Department(d) => Some(d),
            _ => None,
        };
        let mut stmt = c.prepare_cached(
            "SELECT e.number, e.name, coalesce(d.name, ''), e.email FROM extension e LEFT JOIN department d ON d.id = e.department_id
             WHERE (?1 IS NULL OR e.department_id = ?1)
               AND (?2 = '' OR instr(fold(e.name), ?2) > 0 OR instr(e.number, ?3) > 0)
             ORDER BY e.number LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![dept, search, digits, limit], |r| {
            let number: String = r.get(0)?;
            let name: String = r.get(1)?;
            let (first, last) = match name.rsplit_once(' ') {
                Some((f, l)) => (f.to_owned(), l.to_owned()),
                None => (String::new(), name),
            };
            Ok(Entry {
                id: 0,
                source: Source::Extension,
                contact: Contact {
                    first_name: first,
                    last_name: last,
                    company: r.get(2)?,
                    email: r.get(3)?,
                    numbers: vec![Number { kind: NumberKind::Work, number }],
                    ..Default::default()
                },
                vip: false,
                hide_extra: false,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    let (kind, group): (Option<BookKind>, Option<i64>) = match view {
        View::All => (None, None),
        View::Public => (Some(BookKind::Public), None),
        View::Private => (Some(BookKind::Private), None),
        View::Group(g) => (None, Some(g)),
        View::Extensions | View::Department(_) => {
            out.drain(..skip.min(out.len()));
            return Ok(out);
        }
    };
    // A page's contacts follow its extensions; otherwise each source has the limit.
    let limit = match rows {
        Rows::EachUpTo(_) => limit,
        Rows::Page { .. } => limit - i64::try_from(out.len()).unwrap_or(limit),
    };
    // The books the subscriber sees, by id (his private book, the public one if he
    // may read it); the search reads the precomputed columns, with instr (the
    // search is taken literally, '%' and '_' included), and numbers only when the
    // search looks like one.
    let mut books: Vec<(i64, BookKind)> = Vec::with_capacity(2);
    let mut ids = c.prepare_cached(
        "SELECT id, kind FROM book WHERE (kind = 'private' AND owner = ?1) OR (kind = 'public' AND ?2)",
    )?;
    for row in ids.query_map(params![owner, public], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, k) = row?;
        let book = if k == "public" { BookKind::Public } else { BookKind::Private };
        if kind.is_none_or(|want| want == book) {
            books.push((id, book));
        }
    }
    let filter = match (search.is_empty(), numeric) {
        (true, _) => "",
        (false, false) => "AND instr(c.search, ?4) > 0",
        (false, true) => {
            "AND (instr(c.search, ?4) > 0 OR c.id IN (SELECT contact_id FROM contact_number WHERE instr(digits, ?5) > 0))"
        }
    };
    let mut contacts = match books.first() {
        Some(&(first, _)) => {
            let second = books.get(1).map_or(first, |b| b.0);
            two_books(c, &books, (first, second), group, filter, search, &digits, limit)?
        }
        None => Vec::new(),
    };
    // The shared named books go with the public book, in the whole list.
    if public && matches!(view, View::All) {
        contacts.extend(directory_entries(c, books_json, filter, search, &digits, limit)?);
        contacts.sort_by_cached_key(|e| {
            let k = &e.contact;
            (k.last_name.to_lowercase(), k.first_name.to_lowercase(), k.company.to_lowercase())
        });
        contacts.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    if skip > 0 {
        // The rows before the page are dropped before their numbers are read.
        let past = skip.saturating_sub(out.len());
        out.drain(..skip.min(out.len()));
        contacts.drain(..past.min(contacts.len()));
    }
    if contacts.is_empty() {
        return Ok(out);
    }
    // The numbers and groups of the whole page in two queries, not two per contact.
    let at: HashMap<i64, usize> = contacts.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    let ids = serde_json::to_string(&at.keys().collect::<Vec<_>>()).unwrap_or_default();
    let mut numbers = c.prepare_cached(
        "SELECT contact_id, kind, number FROM contact_number
         WHERE contact_id IN (SELECT value FROM json_each(?1)) ORDER BY contact_id, position",
    )?;
    let mut rows = numbers.query([&ids])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = at.get(&r.get::<_, i64>(0)?) {
            let kind = NumberKind::parse(&r.get::<_, String>(1)?);
            contacts[i].contact.numbers.push(Number { kind, number: r.get(2)? });
        }
    }
    let mut groups = c.prepare_cached(
        "SELECT m.contact_id, g.name FROM contact_group_member m JOIN contact_group g ON g.id = m.group_id
         WHERE m.contact_id IN (SELECT value FROM json_each(?1)) ORDER BY m.contact_id, g.name",
    )?;
    let mut rows = groups.query([&ids])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = at.get(&r.get::<_, i64>(0)?) {
            contacts[i].contact.groups.push(r.get(1)?);
        }
    }
    out.extend(contacts);
    Ok(out)
}

/// One or two books' contacts (the subscriber's private book, the public
/// book), each read in order from contact_order, merged (SQLite merges the two
/// ordered halves instead of sorting them).
#[allow(clippy::too_many_arguments)]
fn two_books(
    c: &Connection,
    books: &[(i64, BookKind)],
    (first, second): (i64, i64),
    group: Option<i64>,
    filter: &str,
    search: &str,
    digits: &str,
    limit: i64,
) -> rusqlite::Result<Vec<Entry>> {
    let book = |which: &str, not_twice: &str| {
        format!(
            "SELECT c.id, c.book_id, c.uid, c.first_name, c.last_name, c.company, c.title, c.email,
                    c.address, c.vip, c.hide_extra
             FROM contact c
             WHERE c.book_id = {which} {not_twice}
               AND (?3 IS NULL OR c.id IN (SELECT contact_id FROM contact_group_member WHERE group_id = ?3))
               {filter}"
        )
    };
    let mut stmt = c.prepare_cached(&format!(
        "{} UNION ALL {} ORDER BY 5 COLLATE NOCASE, 4 COLLATE NOCASE, 6 COLLATE NOCASE LIMIT ?6",
        book("?1", ""),
        book("?2", "AND ?2 <> ?1"),
    ))?;
    let rows = stmt.query_map(params![first, second, group, search, digits, limit], |r| {
        let book_id: i64 = r.get(1)?;
        let book = books.iter().find(|b| b.0 == book_id).map_or(BookKind::Private, |b| b.1);
        Ok(Entry {
            id: r.get(0)?,
            source: Source::Book(book),
            contact: Contact {
                uid: Some(r.get(2)?),
                first_name: r.get(3)?,
                last_name: r.get(4)?,
                company: r.get(5)?,
                title: r.get(6)?,
                email: r.get(7)?,
                address: r.get(8)?,
                book: Some(book),
                ..Default::default()
            },
            vip: r.get(9)?,
            hide_extra: r.get(10)?,
        })
    })?;
    rows.collect()
}

/// The contacts of the named shared books `books_json` (a JSON array of
/// ids) that match, in name order.
fn directory_entries(
    c: &Connection,
    books_json: &str,
    filter: &str,
    search: &str,
    digits: &str,
    limit: i64,
) -> rusqlite::Result<Vec<Entry>> {
    // The list's filter, with its parameters where this query has them.
    let filter = filter.replace("?4", "?1").replace("?5", "?2");
    let mut stmt = c.prepare_cached(&format!(
        "{SHARED_ENTRY}
         WHERE b.id IN (SELECT value FROM json_each(?4)) {filter}
         ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.company COLLATE NOCASE LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![search, digits, limit, books_json], shared_entry)?;
    rows.collect()
}

/// The columns [`SHARED_ENTRY`] selects as an entry of a named shared book.
fn shared_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        source: Source::Directory(r.get(8)?),
        contact: Contact {
            uid: Some(r.get(1)?),
            first_name: r.get(2)?,
            last_name: r.get(3)?,
            company: r.get(4)?,
            title: r.get(5)?,
            email: r.get(6)?,
            address: r.get(7)?,
            ..Default::default()
        },
        vip: false,
        hide_extra: false,
    })
}

/// What [`shared_entry`] reads: a contact and its book's name.
const SHARED_ENTRY: &str =
    "SELECT c.id, c.uid, c.first_name, c.last_name, c.company, c.title, c.email, c.address, b.name
     FROM contact c JOIN book b ON b.id = c.book_id";

/// The names `owner` knows for these numbers ([`find`] for each).
pub(super) fn names(
    c: &Connection,
    plan: &DiallingPlan,
    mobiles: &Mobiles,
    owner: &str,
    numbers: Vec<(String, Form)>,
) -> rusqlite::Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let books = shelf(c, owner)?;
    for (n, form) in numbers {
        if out.contains_key(&n) || n.is_empty() {
            continue;
        }
        if let Some(known) = find(c, plan, mobiles, owner, &books, &n, form)? {
            out.insert(n, known.name);
        }
    }
    Ok(out)
}

/// The users' own numbers besides their extensions (Global.LocalNumbers):
/// each extension's MobilePhone number and each CTI account's phone number in
/// their canonical form, with the user's name (an extension's first). Read
/// once for a batch of lookups; an exchange has hundreds of them.
pub(super) struct Mobiles(HashMap<String, String>);

impl Mobiles {
    pub(super) fn read(c: &Connection, plan: &DiallingPlan) -> rusqlite::Result<Mobiles> {
        let mut stmt =
            c.prepare_cached("SELECT mobile_number, name FROM extension WHERE mobile_number <> ''")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut map = HashMap::new();
        for row in rows {
            let (mobile, name) = row?;
            let key = plan.canonical(&mobile, Form::Written);
            if !key.is_empty() {
                map.entry(key).or_insert(name);
            }
        }
        let mut accounts = c.prepare_cached(
            "SELECT phone, trim(first_name || ' ' || last_name), name FROM account WHERE phone <> ''",
        )?;
        let rows = accounts.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        for row in rows {
            let (phone, full, name) = row?;
            let key = plan.canonical(&phone, Form::Written);
            if !key.is_empty() {
                map.entry(key).or_insert(if full.is_empty() { name } else { full });
            }
        }
        Ok(Mobiles(map))
    }
}

/// Reverse lookup, the one way every caller finds who a number is: an
/// extension by its number or its MobilePhone number, else by each canonical
/// form of the number in turn
/// (domain::dialplan) the first contact of `owner`'s private book, else of the
/// public book, else of the named shared books `books` (a JSON array of ids,
/// those the reader may read). `owner` empty: no private book.
pub(super) fn find(
    c: &Connection,
    plan: &DiallingPlan,
    mobiles: &Mobiles,
    owner: &str,
    books: &str,
    number: &str,
    form: Form,
) -> rusqlite::Result<Option<Known>> {
    let mut ext = c.prepare_cached("SELECT name FROM extension WHERE number = ?1")?;
    let dialled = crate::domain::number::dial_string(number);
    if let Some(name) = ext.query_row([&dialled], |r| r.get::<_, String>(0)).optional()? {
        return Ok(Some(Known { name, source: Source::Extension }));
    }
    // A colleague calling from his mobile.
    if let Some(name) = plan.keys(number, form).iter().find_map(|k| mobiles.0.get(k)) {
        return Ok(Some(Known { name: name.clone(), source: Source::Extension }));
    }
    let mut book = c.prepare_cached(
        "SELECT c.first_name, c.last_name, c.company, b.kind, b.name FROM contact_number n
         JOIN contact c ON c.id = n.contact_id JOIN book b ON b.id = c.book_id
         WHERE n.normalized = ?1
           AND ((b.kind = 'private' AND b.owner = ?2) OR b.kind = 'public' OR b.id IN (SELECT value FROM json_each(?3)))
         ORDER BY b.kind = 'private' DESC, b.kind = 'public' DESC LIMIT 1",
    )?;
    for key in plan.keys(number, form) {
        let found = book
            .query_row(params![key, owner, books], |r| {
                let c = Contact {
                    first_name: r.get(0)?,
                    last_name: r.get(1)?,
                    company: r.get(2)?,
                    ..Default::default()
                };
                let source = match r.get::<_, String>(3)?.as_str() {
                    "private" => Source::Book(BookKind::Private),
                    "public" => Source::Book(BookKind::Public),
                    _ => Source::Directory(r.get(4)?),
                };
                Ok(Known { name: c.display_name(), source })
            })
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}
