//! The phonebook's shapes as services and pages see them: the right to the
//! public book, which list is shown, one row of it, groups, what an import did
//! and why a change is refused. The store fills them; nothing here does I/O.

use super::codes::codes;

use crate::phonebook::{BookKind, Contact, Rejected};

/// What a subscriber may do with the public book.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PublicRight {
    #[default]
    None,
    Read,
    Edit,
}

codes!(PublicRight { None => "none", Read => "read", Edit => "edit" });

/// What an extension may do with the public book: what the administrator set,
/// but administrators and managers edit it whatever that is (SPEC A4, M3:
/// its groups and contacts are theirs to keep).
pub fn effective_right(set: PublicRight, is_admin: bool, manages: bool) -> PublicRight {
    if is_admin || manages {
        PublicRight::Edit
    } else {
        set
    }
}

/// What a reader may do with a shared named book (SPEC C11), least first:
/// read it (search it, find names in it), keep a copy of it (a CTI client's
/// offline cache), or change its contacts (only a book an administrator keeps).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum BookAccess {
    #[default]
    None,
    Read,
    Offline,
    Write,
}

codes!(BookAccess { None => "none", Read => "read", Offline => "offline", Write => "write" });

/// The most books an administrator keeps besides the sources' (each is a
/// search's and a lookup's work).
pub const MAX_KEPT_BOOKS: usize = 20;

/// A shared book with a name: an external source's mirror or one an
/// administrator keeps (`kept`), with who may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBook {
    pub id: i64,
    pub name: String,
    pub kept: bool,
    /// Whether its contacts may be changed at all: a kept book, or the book
    /// of a CSV file the administrator lets be edited (the change is written
    /// into the file). A directory's mirror never is.
    pub editable: bool,
    /// What everyone may do with it: at most keep a copy.
    pub everyone: BookAccess,
    /// What the members of each group (by id) may do with it.
    pub grants: Vec<(i64, BookAccess)>,
}

/// Where an entry of the list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Extension,
    Book(BookKind),
    /// A shared book with a name: the read-only book of an external source
    /// (a CSV file, an LDAP directory) or one an administrator keeps.
    Directory(String),
}

impl Source {
    /// The source as the API and the CTI protocol name it: `extension`, the
    /// book's code (`public`, `private`) or `directory`.
    pub fn word(&self) -> &'static str {
        match self {
            Source::Extension => "extension",
            Source::Book(book) => book.code(),
            Source::Directory(_) => "directory",
        }
    }
}

/// One row of the phonebook list.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The contact's id; 0 for an extension.
    pub id: i64,
    pub source: Source,
    pub contact: Contact,
    /// Marked VIP by a manager (SPEC M3).
    pub vip: bool,
    /// Its numbers after the first are shown only to those who may see them.
    pub hide_extra: bool,
}

impl Entry {
    /// The entry as someone who may not see hidden numbers is shown it.
    pub fn without_hidden(mut self) -> Entry {
        if self.hide_extra {
            self.contact.numbers.truncate(1);
        }
        self
    }
}

/// A note on a contact, shared with everyone who may read its book (SPEC C12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    /// The extension that wrote it, and its name.
    pub author: String,
    pub author_name: String,
    pub text: String,
    pub created_at: i64,
}

/// A contact's notes, with what the page names the contact by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactNotes {
    pub name: String,
    pub book: Source,
    pub notes: Vec<Note>,
}

/// A contact has [`MAX_NOTES`] notes already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotesFull;

/// The longest note, in characters.
pub const MAX_NOTE: usize = 2000;
/// Notes one contact keeps at most (the oldest are not shown beyond them).
pub const MAX_NOTES: usize = 200;

/// A note's text, trimmed, if it is one: not empty, at most [`MAX_NOTE`]
/// characters, no control characters but line breaks and tabs.
pub fn check_note(text: &str) -> Option<&str> {
    let text = text.trim();
    let fine = !text.is_empty()
        && text.chars().count() <= MAX_NOTE
        && !text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    fine.then_some(text)
}

/// Who a number is, as reverse lookup found him.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The name as lists show it (an extension's name, a contact's display name).
    pub name: String,
    pub source: Source,
}

/// A lookup's answer: the number's canonical form, and who it is if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub canonical: String,
    pub known: Option<Known>,
}

/// A mark a manager sets on contacts of the public book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Vip(bool),
    HideExtra(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub book: BookKind,
    pub members: i64,
}

/// Which entries a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    All,
    Extensions,
    Public,
    Private,
    Group(i64),
    Department(i64),
}

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct ImportOutcome {
    pub added: usize,
    /// Already in the book with the same name and numbers: left as they were.
    pub unchanged: usize,
    pub rejected: Vec<Rejected>,
}

/// A change that is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The public book needs the right to edit it.
    PublicReadOnly,
    /// Not a contact or group of the public book or the subscriber's own.
    NotYours,
    GroupName,
    /// A group takes only contacts of its own book.
    OtherBook,
    /// The book holds [`MAX_BOOK_CONTACTS`] already.
    Full,
}

/// The most contacts the public book, or a subscriber's own, holds (as the
/// other shared books hold at most [`super::directory::MAX_RECORDS`]): each
/// is a search's and a lookup's work, and an outsider's script could fill it.
pub const MAX_BOOK_CONTACTS: usize = 50_000;

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::PublicReadOnly => "phonebook.public_read_only",
            Refusal::NotYours => "phonebook.not_yours",
            Refusal::GroupName => "phonebook.group_name",
            Refusal::OtherBook => "phonebook.other_book",
            Refusal::Full => "phonebook.full",
        }
    }
}

/// Entries one list shows at most of each source, extensions and contacts (a
/// search narrows it); exports take all. A hundred rows is more than a screen
/// and keeps a page of a 10,000-contact book small (500 made it 790 KB).
pub const LIST_LIMIT: usize = 100;

/// Rows on one page of the portal's phonebook, extensions first, then
/// contacts: a 10,000-contact book is read page by page, and each page stays
/// small (a page of 200 rows was 122 KB).
pub const PAGE_ROWS: usize = 50;

/// The last page the portal's phonebook pages to: past every book's
/// [`MAX_BOOK_CONTACTS`] and every extension, so it bounds the rows a deep
/// page reads, never what can be reached.
pub const MAX_PAGE: usize = 4 * MAX_BOOK_CONTACTS / PAGE_ROWS;

/// Which rows of a list are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rows {
    /// Up to this many of each source: extensions, then contacts.
    EachUpTo(usize),
    /// A page of the whole list: `skip` rows, then up to `limit`.
    Page { skip: usize, limit: usize },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phonebook::{Number, NumberKind};

    #[test]
    fn administrators_and_managers_edit_the_public_book() {
        use PublicRight::*;
        // (set by the administrator, is an administrator, manages departments, in force)
        let cases = [
            (None, false, false, None),
            (Read, false, false, Read),
            (Edit, false, false, Edit),
            (None, true, false, Edit),
            (Read, false, true, Edit),
            (None, true, true, Edit),
        ];
        for (set, admin, manages, want) in cases {
            assert_eq!(effective_right(set, admin, manages), want, "{set:?} admin={admin} manages={manages}");
        }
    }

    #[test]
    fn hidden_numbers_leave_the_first() {
        let number = |n: &str| Number { kind: NumberKind::Work, number: n.into() };
        let contact = Contact { numbers: vec![number("1"), number("2"), number("3")], ..Default::default() };
        let entry = |hide_extra| Entry {
            id: 1,
            source: Source::Extension,
            contact: contact.clone(),
            vip: false,
            hide_extra,
        };
        assert_eq!(entry(true).without_hidden().contact.numbers, vec![number("1")]);
        assert_eq!(entry(false).without_hidden().contact.numbers.len(), 3);
    }
}
