//! Contacts as files (SPEC W6): CSV (Outlook's, Outlook.com's and Google
//! Contacts') and vCard (2.1, 3.0, 4.0) in, Outlook CSV and vCard out. Pure
//! functions over bytes and [`Contact`]s; the store keeps the books, the web
//! pages move the files.
//!
//! What real files look like decides the reader: Outlook writes its column
//! headers in the user's language (English, German, Polish; each version spells
//! some of them its own way), in the Windows code page (1250 for Polish, 1252 for
//! German and English) unless told to use UTF-8, with commas or, where the
//! decimal mark is a comma, semicolons; fields with line breaks are quoted.
//! Google numbers its columns ("Phone 2 - Label", "Phone 2 - Value") and puts
//! several values in one cell. Phones and older mail programs write vCard 2.1,
//! quoted-printable in any character set. A column or a label that cannot be
//! mapped is passed over, never a reason to refuse the file. A WebCTI export
//! carries the book each contact came from, so importing it puts every contact
//! back where it was.

pub mod google;
pub mod outlook;
pub mod sheet;
pub mod text;
pub mod vcard;

use serde::Serialize;

/// Which book a contact lives in, as a subscriber sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BookKind {
    Public,
    Private,
}

impl BookKind {
    pub fn code(self) -> &'static str {
        match self {
            BookKind::Public => "public",
            BookKind::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<BookKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" => Some(BookKind::Public),
            "private" => Some(BookKind::Private),
            _ => None,
        }
    }
}

/// What a number is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum NumberKind {
    Work,
    Mobile,
    Home,
    Fax,
    Other,
}

impl NumberKind {
    pub const ALL: [NumberKind; 5] =
        [NumberKind::Work, NumberKind::Mobile, NumberKind::Home, NumberKind::Fax, NumberKind::Other];

    pub fn code(self) -> &'static str {
        match self {
            NumberKind::Work => "work",
            NumberKind::Mobile => "mobile",
            NumberKind::Home => "home",
            NumberKind::Fax => "fax",
            NumberKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> NumberKind {
        NumberKind::ALL.into_iter().find(|k| k.code() == s).unwrap_or(NumberKind::Other)
    }

    /// The kind the words a file labels a number with say (a vCard's types,
    /// Google's label), lower case: a fax first, then mobile, home, work;
    /// anything else, or nothing, is "other".
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> NumberKind {
        let words: Vec<&str> = words.into_iter().collect();
        let has = |any: &[&str]| words.iter().any(|w| any.contains(w));
        if has(&["fax"]) {
            NumberKind::Fax
        } else if has(&["cell", "mobile", "iphone", "car"]) {
            NumberKind::Mobile
        } else if has(&["home"]) {
            NumberKind::Home
        } else if has(&["work", "main", "business", "company", "assistant", "x-assistant", "x-company"]) {
            NumberKind::Work
        } else {
            NumberKind::Other
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Number {
    pub kind: NumberKind,
    pub number: String,
}

/// One contact as files carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub title: String,
    pub email: String,
    pub address: String,
    pub numbers: Vec<Number>,
    /// Group names (Outlook's categories).
    pub groups: Vec<String>,
    /// The book it came from, when the file says (a WebCTI export does).
    pub book: Option<BookKind>,
    /// A vCard's UID, kept so the contact keeps its identity.
    pub uid: Option<String>,
}

impl Contact {
    /// The name as lists show it: "Last First", or the company.
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.last_name, self.first_name).trim().to_owned();
        if name.is_empty() {
            self.company.clone()
        } else {
            name
        }
    }

    /// Takes a name written whole ("Anna Maria Nowak": vCard's FN, Google's
    /// "Name") where the file gives no parts: the last word is the last name.
    pub fn name_from_full(&mut self, full: &str) {
        if !self.first_name.is_empty() || !self.last_name.is_empty() {
            return;
        }
        match full.trim().rsplit_once(' ') {
            Some((first, last)) => {
                self.first_name = first.trim().to_owned();
                self.last_name = last.to_owned();
            }
            None => self.last_name = full.trim().to_owned(),
        }
    }

    /// A contact needs a name (or company) and a number to be worth keeping.
    pub fn check(&self) -> Result<(), Problem> {
        if self.display_name().is_empty() {
            return Err(Problem::new("import.no_name", ""));
        }
        if self.numbers.is_empty() && self.email.is_empty() {
            return Err(Problem::new("import.no_number", ""));
        }
        for n in &self.numbers {
            if !is_phone_number(&n.number) {
                return Err(Problem::new("import.bad_number", &n.number));
            }
        }
        for (field, value, max) in [
            ("first name", &self.first_name, 100),
            ("last name", &self.last_name, 100),
            ("company", &self.company, 200),
            ("title", &self.title, 200),
            ("e-mail", &self.email, 200),
            ("address", &self.address, 500),
        ] {
            if value.chars().count() > max {
                return Err(Problem::new("import.too_long", &format!("{field} > {max}")));
            }
        }
        if self.numbers.len() > MAX_NUMBERS {
            return Err(Problem::new("import.too_many_numbers", &MAX_NUMBERS.to_string()));
        }
        Ok(())
    }
}

/// Numbers one contact may have.
pub const MAX_NUMBERS: usize = 10;

pub use crate::domain::number::{dial_string, is_phone_number};

/// What is wrong, as a translation key (`{detail}` in the text takes the detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub key: &'static str,
    pub detail: String,
}

impl Problem {
    pub fn new(key: &'static str, detail: &str) -> Problem {
        let detail: String = detail.chars().take(80).collect();
        Problem { key, detail }
    }
}

/// A row of an import that was not taken, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub line: u64,
    pub problem: Problem,
}

impl Rejected {
    pub fn new(line: u64, key: &'static str, detail: &str) -> Rejected {
        Rejected { line, problem: Problem::new(key, detail) }
    }
}

/// What a file held: contacts to take (with the line each starts on) and rows
/// that were refused.
#[derive(Debug, Default)]
pub struct Parsed {
    pub contacts: Vec<(u64, Contact)>,
    /// The first [`MAX_REJECTED`] rows refused, by line.
    pub rejected: Vec<Rejected>,
    /// How many rows were refused in all.
    pub rejected_total: u64,
}

impl Parsed {
    /// Notes a refused row: counted always, kept among the first [`MAX_REJECTED`].
    pub fn reject(&mut self, r: Rejected) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_REJECTED {
            self.rejected.push(r);
        }
    }
}

/// Why a whole file was refused (nothing of it is taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileError {
    Empty,
    /// No header line with the name and phone columns Outlook writes.
    NotCsv,
    /// No BEGIN:VCARD.
    NotVCard,
    TooLarge,
}

impl FileError {
    pub fn key(self) -> &'static str {
        match self {
            FileError::Empty => "import.empty",
            FileError::NotCsv => "import.not_csv",
            FileError::NotVCard => "import.not_vcard",
            FileError::TooLarge => "import.too_large",
        }
    }
}

/// Contacts one import may bring.
pub const MAX_IMPORT: usize = 20_000;
/// Lines one file may have (20,000 vCards of ten lines and some room).
pub const MAX_LINES: usize = 250_000;
/// Refused rows reported one by one; the rest are counted.
pub const MAX_REJECTED: usize = 500;

/// The formats the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    VCard,
}

/// Reads a contact file in the given format, or guesses it from the content.
pub fn parse(bytes: &[u8], format: Option<Format>) -> Result<Parsed, FileError> {
    let text = text::decode(bytes);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    if text.bytes().filter(|b| *b == b'\n').count() >= MAX_LINES {
        return Err(FileError::TooLarge);
    }
    let format = format.unwrap_or_else(|| {
        if text.trim_start().to_ascii_uppercase().starts_with("BEGIN:VCARD") {
            Format::VCard
        } else {
            Format::Csv
        }
    });
    let parsed = match format {
        Format::Csv => outlook::parse(&text)?,
        Format::VCard => vcard::parse(&text)?,
    };
    if parsed.contacts.len() > MAX_IMPORT {
        return Err(FileError::TooLarge);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_as_people_write_them() {
        for ok in ["+48 22 123 45 67", "(0221) 23-45-67", "101", "*21#", "0600/100.100"] {
            assert!(is_phone_number(ok), "{ok}");
        }
        for bad in ["", "abc", "12a", "1+2", "+", "=cmd|' /C calc'!A0"] {
            assert!(!is_phone_number(bad), "{bad}");
        }
        assert_eq!(dial_string("+48 (22) 123-45-67"), "+48221234567");
    }
}
