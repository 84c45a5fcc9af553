//! The phonebooks (SPEC W6): the public book, each subscriber's private book,
//! groups, the extensions and departments beside them; adding, deleting,
//! grouping, import (Outlook CSV, vCard) and export. `domain::access` decides
//! which books an actor may read and change; the store keeps each change in one
//! job and re-checks, in that job, that the contacts belong to those books.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::directory::{Directories, FileChange};
use super::{Busy, Context, Invalid, ServiceError};
use crate::domain::access::{allowed, book_access, Action, Actor, Area, Target, Who};
use crate::domain::dialplan::Form;
use crate::domain::number::{is_phone_number, NumberProblem};
use crate::domain::phonebook::{
    check_note, BookAccess, ContactNotes, Entry, Group, ImportOutcome, Lookup, Mark, PublicRight, Refusal,
    Rows, SharedBook, View, LIST_LIMIT, MAX_PAGE, PAGE_ROWS,
};
use crate::phonebook::{self, outlook, vcard, BookKind, Contact, Format, Rejected};
use crate::store::public_book::PublicGroup;

/// The public book's name for CTI clients (SPEC C9).
pub const GLOBAL_PHONEBOOK: &str = "Global.Phonebook";
/// The users' own numbers as a book (SPEC C9): the extensions, their mobile
/// numbers and the CTI accounts' phone numbers, always as they are now.
pub const GLOBAL_LOCAL_NUMBERS: &str = "Global.LocalNumbers";

#[derive(Clone)]
pub struct Phonebook {
    ctx: Context,
    /// The external sources: an editable CSV file is changed through them.
    directories: Directories,
    /// The owners whose import is running: one at a time each.
    importing: Arc<Mutex<HashSet<String>>>,
}

/// An owner's import running: the place is given back when it ends.
struct Importing {
    set: Arc<Mutex<HashSet<String>>>,
    owner: String,
}

impl Drop for Importing {
    fn drop(&mut self) {
        self.set.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.owner);
    }
}

/// What the phonebook page shows for one list.
#[derive(Debug, Clone)]
pub struct BookPage {
    pub right: PublicRight,
    /// He may set VIP marks and hide additional numbers (and sees them).
    pub may_mark: bool,
    pub departments: Vec<(i64, String)>,
    pub groups: Vec<Group>,
    pub entries: Vec<Entry>,
    /// The page these entries are (from 1), and whether another follows.
    pub page: usize,
    pub more: bool,
}

/// An export's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    OutlookCsv,
    VCard3,
    VCard4,
}

/// What an import did, with the first rejected lines (by the line an editor
/// shows) and how many were rejected in all.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub added: usize,
    pub unchanged: usize,
    pub rejected: Vec<Rejected>,
    pub rejected_total: u64,
}

impl Phonebook {
    pub fn new(ctx: Context, directories: Directories) -> Phonebook {
        Phonebook { ctx, directories, importing: Arc::default() }
    }

    /// What `actor` may do with the public book (asked, not refused: nothing to log).
    fn right(&self, actor: &Actor) -> PublicRight {
        if allowed(actor, Action::Change, Target::PublicBook).is_ok() {
            PublicRight::Edit
        } else if allowed(actor, Action::Read, Target::PublicBook).is_ok() {
            PublicRight::Read
        } else {
            PublicRight::None
        }
    }

    fn may_change(&self, actor: &Actor, owner: &str, book: BookKind) -> Result<(), ServiceError> {
        let target = match book {
            BookKind::Public => Target::PublicBook,
            BookKind::Private => Target::PrivateBook { owner },
        };
        self.ctx.may_do(actor, Action::Change, target).map_err(|e| match (book, e) {
            (BookKind::Public, ServiceError::Denied(_)) => Refusal::PublicReadOnly.into(),
            (_, e) => e,
        })
    }

    /// One page of a list of `owner`'s phonebook (his private book, the public
    /// one if he may read it, the extensions), searched: [`PAGE_ROWS`] rows
    /// from page 1 on, and whether another page follows.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.page", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn page(
        &self,
        actor: &Actor,
        owner: &str,
        view: View,
        search: &str,
        page: usize,
    ) -> Result<BookPage, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner })?;
        let right = self.right(actor);
        let (departments, groups) = self.ctx.store.phonebook_groups(owner).await?;
        let page = page.clamp(1, MAX_PAGE);
        // One row more than a page says whether another follows.
        let rows = Rows::Page { skip: (page - 1) * PAGE_ROWS, limit: PAGE_ROWS + 1 };
        let mut entries = self.ctx.store.phonebook_rows(owner, view, search, rows).await?;
        let more = entries.len() > PAGE_ROWS;
        entries.truncate(PAGE_ROWS);
        let may_mark = sees_hidden(actor);
        Ok(BookPage { right, may_mark, departments, groups, entries: shown(may_mark, entries), page, more })
    }

    /// The first entries matching `search` (the start page's search).
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.search", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn search(
        &self,
        actor: &Actor,
        owner: &str,
        search: &str,
        limit: usize,
    ) -> Result<Vec<Entry>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner })?;
        let entries = self.ctx.store.phonebook_first(owner, View::All, search, limit).await?;
        Ok(shown(sees_hidden(actor), entries))
    }

    /// Who `number` is, as the actor may know him (reverse lookup, SPEC C14):
    /// for `owner`'s subscriber (himself, his manager, an administrator) the
    /// extensions, the owner's private book and the public book; without an
    /// owner (an API token) the extensions and the public book. The number is
    /// read as `form` says; the answer gives its canonical form.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.lookup", actor = %actor.label(), via = actor.via.code()))]
    pub async fn lookup(
        &self,
        actor: &Actor,
        owner: Option<&str>,
        number: &str,
        form: Form,
    ) -> Result<Lookup, ServiceError> {
        match owner {
            Some(owner) => self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner })?,
            None => self.ctx.may_do(actor, Action::Read, Target::PublicBook)?,
        }
        if !is_phone_number(number.trim()) {
            return Err(Invalid::Number(NumberProblem::NotDialable).into());
        }
        // A subscriber's own books are his; anyone else's those he may read.
        let books = match owner {
            Some(_) => None,
            None => Some(self.readable(actor).await?),
        };
        Ok(self.ctx.store.lookup(owner.unwrap_or_default(), number.trim(), form, books).await?)
    }

    /// The exchange's directory as a desk phone shows it (SPEC Y4): the
    /// extensions and the public book, searched by name or number, without
    /// the numbers managers hid, at most `limit` entries.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.directory", actor = %actor.label(), via = actor.via.code()))]
    pub async fn directory(
        &self,
        actor: &Actor,
        search: &str,
        limit: usize,
    ) -> Result<Vec<Entry>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PublicBook)?;
        let books = self.readable(actor).await?;
        let entries = self.ctx.store.directory(search, limit.min(LIST_LIMIT), books).await?;
        Ok(entries.into_iter().map(Entry::without_hidden).collect())
    }

    /// The books `actor` may read (SPEC C11) with what he may do with each:
    /// `Global.Phonebook` (the public book) and `Global.LocalNumbers` (the
    /// extensions and their mobile numbers), read by all, then the named
    /// shared books he may read. Each with its kind: `public`, `local`,
    /// `book` (kept by administrators), `directory` (an external source's).
    pub async fn books(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(String, &'static str, BookAccess)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PublicBook)?;
        let mut out = vec![
            (GLOBAL_PHONEBOOK.to_owned(), "public", BookAccess::Read),
            (GLOBAL_LOCAL_NUMBERS.to_owned(), "local", BookAccess::Read),
        ];
        for (b, access) in self.shelf(actor).await? {
            if access >= BookAccess::Read {
                out.push((b.name, if b.kept { "book" } else { "directory" }, access));
            }
        }
        Ok(out)
    }

    /// A page of a named shared book's contacts after contact `after`, for
    /// a reader who may keep a copy of it (a CTI client's offline book).
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.download", actor = %actor.label(), via = actor.via.code()))]
    pub async fn download(
        &self,
        actor: &Actor,
        book: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Entry>, ServiceError> {
        let (b, access) = self.named(actor, book).await?;
        match access {
            BookAccess::None => Err(ServiceError::NotFound),
            BookAccess::Read => {
                tracing::info!(actor = %actor.label(), book = %b.name, "refused: no copy of this book");
                Err(ServiceError::Denied(crate::domain::access::Denied::NotYours))
            }
            BookAccess::Offline | BookAccess::Write => {
                Ok(self.ctx.store.book_contacts(b.id, after, limit.min(LIST_LIMIT)).await?)
            }
        }
    }

    /// Adds a contact to a shared book `actor` may change (SPEC C11: a group
    /// given "change"), or (`uid`) puts it in place of the one with that
    /// permanent id; its permanent id. A book kept here is changed in the
    /// store; an editable CSV source's in its file, then its book.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.save_shared", actor = %actor.label(), via = actor.via.code()))]
    pub async fn save_shared(
        &self,
        actor: &Actor,
        book: &str,
        uid: Option<String>,
        contact: Contact,
    ) -> Result<String, ServiceError> {
        let book = self.writable(actor, book).await?;
        contact.check().map_err(|p| ServiceError::Invalid(Invalid::Contact(p)))?;
        if !book.kept {
            let saved =
                self.directories.change_file(book.id, FileChange::Save(uid, Box::new(contact))).await?;
            return saved.ok_or(ServiceError::NotFound);
        }
        let saved = self.ctx.store.save_kept_contact(book.id, uid, contact, self.ctx.clock.now()).await?;
        saved.ok_or(ServiceError::NotFound)
    }

    /// Deletes the contact with permanent id `uid` from a shared book `actor`
    /// may change (from an editable CSV source's file, then its book).
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.delete_shared", actor = %actor.label(), via = actor.via.code()))]
    pub async fn delete_shared(&self, actor: &Actor, book: &str, uid: &str) -> Result<(), ServiceError> {
        let book = self.writable(actor, book).await?;
        if !book.kept {
            self.directories.change_file(book.id, FileChange::Delete(uid.to_owned())).await?;
            return Ok(());
        }
        match self.ctx.store.delete_kept_contact(book.id, uid).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// A page of the public book's contacts (`Global.Phonebook`) by id, after
    /// `after`, for a script that keeps it (SPEC V1).
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.public_contacts", actor = %actor.label(), via = actor.via.code()))]
    pub async fn public_contacts(
        &self,
        actor: &Actor,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Contact)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PublicBook)?;
        Ok(self.ctx.store.public_contacts(after, limit.min(LIST_LIMIT)).await?)
    }

    /// Contact `id` of the public book.
    pub async fn public_contact(&self, actor: &Actor, id: i64) -> Result<Contact, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PublicBook)?;
        self.ctx.store.public_contact(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Adds a contact to the public book, or (`id`) puts it in place of
    /// contact `id`, which keeps its id and notes; checked as the portal's
    /// form checks one. Its id.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.save_public", actor = %actor.label(), via = actor.via.code()))]
    pub async fn save_public(&self, actor: &Actor, id: Option<i64>, c: Contact) -> Result<i64, ServiceError> {
        self.may_change(actor, "", BookKind::Public)?;
        c.check().map_err(|p| ServiceError::Invalid(Invalid::Contact(p)))?;
        let name = c.display_name();
        let saved = self.ctx.store.save_public_contact(id, c, self.ctx.clock.now()).await?;
        let saved =
            saved.ok_or(ServiceError::NotFound)?.map_err(|r| ServiceError::Invalid(Invalid::Book(r)))?;
        tracing::info!(actor = %actor.label(), id = saved, contact = %name, "public book contact saved");
        Ok(saved)
    }

    /// Deletes contact `id` of the public book (its notes stay with its
    /// permanent id, as when the portal deletes one).
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.delete_public", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn delete_public(&self, actor: &Actor, id: i64) -> Result<(), ServiceError> {
        self.may_change(actor, "", BookKind::Public)?;
        match self.ctx.store.delete_public_contact(id).await? {
            true => {
                tracing::info!(actor = %actor.label(), id, "public book contact deleted");
                Ok(())
            }
            false => Err(ServiceError::NotFound),
        }
    }

    /// The public book's groups, with how many contacts each holds.
    pub async fn public_groups(&self, actor: &Actor) -> Result<Vec<PublicGroup>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PublicBook)?;
        Ok(self.ctx.store.public_groups().await?)
    }

    /// Makes a group of the public book, or (`id`) renames group `id`; its id.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.save_public_group", actor = %actor.label(), via = actor.via.code()))]
    pub async fn save_public_group(
        &self,
        actor: &Actor,
        id: Option<i64>,
        name: &str,
    ) -> Result<i64, ServiceError> {
        self.may_change(actor, "", BookKind::Public)?;
        match self.ctx.store.save_public_group(id, name).await? {
            Some(Ok(id)) => Ok(id),
            Some(Err(r)) => Err(r.into()),
            None => Err(ServiceError::NotFound),
        }
    }

    /// Deletes group `id` of the public book; its contacts stay.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.delete_public_group", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn delete_public_group(&self, actor: &Actor, id: i64) -> Result<(), ServiceError> {
        self.may_change(actor, "", BookKind::Public)?;
        match self.ctx.store.delete_public_group(id).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// The shared book named `book`, if `actor` may change it.
    async fn writable(&self, actor: &Actor, book: &str) -> Result<SharedBook, ServiceError> {
        match self.named(actor, book).await? {
            (b, BookAccess::Write) => Ok(b),
            (_, BookAccess::None) => Err(ServiceError::NotFound),
            (b, BookAccess::Read | BookAccess::Offline) => {
                tracing::info!(actor = %actor.label(), book = %b.name, "refused: may not change this book");
                Err(ServiceError::Denied(crate::domain::access::Denied::NotYours))
            }
        }
    }

    /// The shared named book called `book` (in any case), with what `actor`
    /// may do with it; not found when there is none.
    async fn named(&self, actor: &Actor, book: &str) -> Result<(SharedBook, BookAccess), ServiceError> {
        let shelf = self.shelf(actor).await?;
        shelf.into_iter().find(|(b, _)| b.name.eq_ignore_ascii_case(book)).ok_or(ServiceError::NotFound)
    }

    /// The shared named books `actor` may read (SPEC C11), by id.
    pub async fn readable(&self, actor: &Actor) -> Result<Vec<i64>, ServiceError> {
        Ok(self
            .shelf(actor)
            .await?
            .into_iter()
            .filter(|(_, a)| *a >= BookAccess::Read)
            .map(|(b, _)| b.id)
            .collect())
    }

    /// Every shared named book with what `actor` may do with it
    /// (`domain::access::book_access`), by name.
    pub async fn shelf(&self, actor: &Actor) -> Result<Vec<(SharedBook, BookAccess)>, ServiceError> {
        let (ext, groups) = match &actor.who {
            Who::Subscriber { ext, pin_only: false, .. } | Who::Manager { ext, .. } => {
                (Some(ext.clone()), None)
            }
            Who::CtiAccount { groups, .. } => (None, Some(groups.clone())),
            _ => (None, None),
        };
        let (books, member_of) = self.ctx.store.shared_books(ext).await?;
        let groups = groups.unwrap_or(member_of);
        Ok(books
            .into_iter()
            .map(|b| {
                let access = book_access(actor, &groups, &b);
                (b, access)
            })
            .collect())
    }

    /// The canonical form of a number a desk phone should dial: `+` and the
    /// international number where the board's plan can tell it, else the
    /// digits as written (extensions, service codes).
    pub fn dial_form(&self, number: &str) -> String {
        match self.ctx.store.plan().canonical(number, Form::Written) {
            c if c.starts_with('+') => c,
            _ => phonebook::dial_string(number),
        }
    }

    /// Contact `id`'s shared notes (SPEC C12), as `owner`'s subscriber sees
    /// them: a contact of his private book, or of the public book if he may
    /// read it. Not found otherwise.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.notes", actor = %actor.label(), via = actor.via.code(), owner = %owner, id))]
    pub async fn notes(&self, actor: &Actor, owner: &str, id: i64) -> Result<ContactNotes, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner })?;
        let public = self.right(actor) != PublicRight::None;
        self.ctx.store.contact_notes(owner, public, id).await?.ok_or(ServiceError::NotFound)
    }

    /// Adds a note to contact `id`, written by `owner`; anyone who may see
    /// the contact may add one.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.add_note", actor = %actor.label(), via = actor.via.code(), owner = %owner, id))]
    pub async fn add_note(
        &self,
        actor: &Actor,
        owner: &str,
        id: i64,
        text: &str,
    ) -> Result<i64, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::PrivateBook { owner })?;
        let text = check_note(text).ok_or(ServiceError::Invalid(Invalid::Note))?;
        let public = self.right(actor) != PublicRight::None;
        let now = self.ctx.clock.now();
        match self.ctx.store.add_note(owner, public, id, text, now).await? {
            Some(Ok(note)) => Ok(note),
            Some(Err(_)) => Err(Invalid::NotesFull.into()),
            None => Err(ServiceError::NotFound),
        }
    }

    /// Deletes note `note` of contact `id`: its author's own, or any as an
    /// administrator.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.delete_note", actor = %actor.label(), via = actor.via.code(), owner = %owner, id, note))]
    pub async fn delete_note(
        &self,
        actor: &Actor,
        owner: &str,
        id: i64,
        note: i64,
    ) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::PrivateBook { owner })?;
        let any = allowed(actor, Action::Change, Target::Administration(Area::Phonebook)).is_ok();
        let public = self.right(actor) != PublicRight::None;
        match self.ctx.store.delete_note(owner, public, id, note, any).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// Adds one contact; returns its id.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.add", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn add(
        &self,
        actor: &Actor,
        owner: &str,
        book: BookKind,
        c: Contact,
    ) -> Result<i64, ServiceError> {
        self.may_change(actor, owner, book)?;
        c.check().map_err(|p| ServiceError::Invalid(Invalid::Contact(p)))?;
        let by = Context::author(actor);
        let id = self.ctx.store.add_contact(owner, book, c, by, self.ctx.clock.now()).await??;
        Ok(id)
    }

    /// Deletes contacts of the books `actor` may change; all or nothing.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.delete", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn delete(&self, actor: &Actor, owner: &str, ids: Vec<i64>) -> Result<usize, ServiceError> {
        self.may_change(actor, owner, BookKind::Private)?;
        check_selection(&ids)?;
        let by = Context::author(actor);
        Ok(self.ctx.store.delete_contacts(owner, ids, by, self.ctx.clock.now()).await??)
    }

    /// Marks contacts of the public book VIP, or hides their additional numbers
    /// (SPEC M3: managers and administrators); journaled. Returns how many changed.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.mark", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn mark(
        &self,
        actor: &Actor,
        owner: &str,
        ids: Vec<i64>,
        mark: Mark,
    ) -> Result<usize, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner })?;
        self.ctx.may_do(actor, Action::Change, Target::ContactMarks)?;
        check_selection(&ids)?;
        let by = Context::author(actor);
        Ok(self.ctx.store.mark_contacts(owner, ids, mark, by, self.ctx.clock.now()).await??)
    }

    /// Puts contacts into a group of their book.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.group", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn group(
        &self,
        actor: &Actor,
        owner: &str,
        ids: Vec<i64>,
        group: i64,
    ) -> Result<usize, ServiceError> {
        self.may_change(actor, owner, BookKind::Private)?;
        check_selection(&ids)?;
        Ok(self.ctx.store.add_to_group(owner, ids, group).await??)
    }

    /// Makes a group; returns its id.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.new_group", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn new_group(
        &self,
        actor: &Actor,
        owner: &str,
        name: &str,
        book: BookKind,
    ) -> Result<i64, ServiceError> {
        self.may_change(actor, owner, book)?;
        Ok(self.ctx.store.create_group(owner, name, book).await??)
    }

    /// Renames a group (`Some(name)`) or deletes it (`None`; its contacts stay).
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.change_group", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn change_group(
        &self,
        actor: &Actor,
        owner: &str,
        group: i64,
        name: Option<String>,
    ) -> Result<(), ServiceError> {
        // The store checks, in its job, that the group's book is one he may change.
        self.may_change(actor, owner, BookKind::Private)?;
        let by = Context::author(actor);
        Ok(self.ctx.store.change_group(owner, group, name, by, self.ctx.clock.now()).await??)
    }

    /// Imports a contact file into `book` (a WebCTI export puts each contact back
    /// into the book it names). Parsed off the async threads.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.import", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn import(
        &self,
        actor: &Actor,
        owner: &str,
        file: Vec<u8>,
        format: Option<Format>,
        book: BookKind,
    ) -> Result<ImportReport, ServiceError> {
        self.may_change(actor, owner, book)?;
        if file.is_empty() {
            return Err(ServiceError::Invalid(Invalid::File(phonebook::FileError::Empty)));
        }
        let _running = {
            let mut set = self.importing.lock().unwrap_or_else(|e| e.into_inner());
            if !set.insert(owner.to_owned()) {
                return Err(ServiceError::Busy(Busy::Import));
            }
            Importing { set: self.importing.clone(), owner: owner.to_owned() }
        };
        let parsed = tokio::task::spawn_blocking(move || phonebook::parse(&file, format))
            .await
            .map_err(|_| ServiceError::Invalid(Invalid::File(phonebook::FileError::Empty)))?
            .map_err(|e| ServiceError::Invalid(Invalid::File(e)))?;
        let (mut rejected, mut rejected_total) = (parsed.rejected, parsed.rejected_total);
        // Contacts the file puts into the public book need the right to change it.
        let edit_public = self.right(actor) == PublicRight::Edit;
        let (contacts, refused): (Vec<_>, Vec<_>) = parsed
            .contacts
            .into_iter()
            .partition(|(_, c)| edit_public || c.book.unwrap_or(book) != BookKind::Public);
        rejected_total += refused.len() as u64;
        rejected.extend(
            refused.into_iter().map(|(line, _)| Rejected::new(line, Refusal::PublicReadOnly.key(), "")),
        );
        let ImportOutcome { added, unchanged, rejected: refused } = self
            .ctx
            .store
            .import_contacts(owner, book, contacts, Context::author(actor), self.ctx.clock.now())
            .await??;
        rejected_total += refused.len() as u64;
        rejected.extend(refused);
        rejected.sort_by_key(|r| r.line);
        rejected.truncate(phonebook::MAX_REJECTED);
        tracing::info!(actor = %actor.label(), owner = %owner, added, unchanged, rejected = rejected_total, "phonebook import");
        Ok(ImportReport { added, unchanged, rejected, rejected_total })
    }

    /// The contacts of a list (all, or one group) as a file.
    #[tracing::instrument(name = "service", skip_all, fields(call = "phonebook.export", actor = %actor.label(), via = actor.via.code(), owner = %owner))]
    pub async fn export(
        &self,
        actor: &Actor,
        owner: &str,
        view: View,
        format: ExportFormat,
    ) -> Result<Vec<u8>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner })?;
        let contacts = self.ctx.store.export_contacts(owner, view, sees_hidden(actor)).await?;
        Ok(match format {
            ExportFormat::VCard3 => vcard::export(&contacts, false),
            ExportFormat::VCard4 => vcard::export(&contacts, true),
            ExportFormat::OutlookCsv => outlook::export(&contacts),
        })
    }
}

/// Whether `actor` sees the additional numbers hidden on public contacts.
fn sees_hidden(actor: &Actor) -> bool {
    allowed(actor, Action::Read, Target::ContactMarks).is_ok()
}

/// Entries as someone is shown them who sees hidden numbers, or not.
fn shown(sees_hidden: bool, entries: Vec<Entry>) -> Vec<Entry> {
    match sees_hidden {
        true => entries,
        false => entries.into_iter().map(Entry::without_hidden).collect(),
    }
}

fn check_selection(ids: &[i64]) -> Result<(), ServiceError> {
    if ids.is_empty() || ids.len() > LIST_LIMIT {
        return Err(ServiceError::Invalid(Invalid::Selection));
    }
    Ok(())
}
