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

/// Where an entry of the list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Extension,
    Book(BookKind),
}

/// One row of the phonebook list.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The contact's id; 0 for an extension.
    pub id: i64,
    pub source: Source,
    pub contact: Contact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub book: BookKind,
    pub members: i64,
}

/// Which entries a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::PublicReadOnly => "phonebook.public_read_only",
            Refusal::NotYours => "phonebook.not_yours",
            Refusal::GroupName => "phonebook.group_name",
            Refusal::OtherBook => "phonebook.other_book",
        }
    }
}

/// Entries one list shows at most (a search narrows it); exports take all.
pub const LIST_LIMIT: usize = 500;
