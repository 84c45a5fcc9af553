//! A contact CSV file changed in its own layout (SPEC C10: a file source the
//! administrator lets be edited). The file stays the administrator's: its
//! encoding, separator, line breaks, quoting, header words and every column
//! this program does not read are kept, and every row but the one changed is
//! written back byte for byte. In the changed row, only the cells of what
//! changed are written: a new number goes to a free column of its kind (or a
//! free Google "Phone N" pair), a changed address to the street column. What
//! the file's columns cannot hold (a third work number where Outlook has two
//! columns, a letter its code page lacks) is refused with the reason, never
//! written short: the row is read back as the import reads it and must give
//! the contact asked for.

use super::outlook::{self, Field};
use super::text;
use super::{google, Contact, FileError, Number, NumberKind, Problem};

/// What to change in a file; rows are known by the key the caller gives each
/// contact (a source's permanent id).
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    Add(&'a Contact),
    Replace(&'a str, &'a Contact),
    Remove(&'a str),
}

/// A changed file: its bytes, and the contact of the row written as the
/// import reads it back (none for a removal).
#[derive(Debug)]
pub struct Edited {
    pub bytes: Vec<u8>,
    pub contact: Option<Contact>,
}

/// `bytes` with `change` made, or `None` when no row has the key to change;
/// `Err` says why the file cannot take the change (nothing is written).
pub fn edit(
    bytes: &[u8],
    key: impl Fn(&Contact) -> String,
    change: Change<'_>,
) -> Result<Option<Edited>, Problem> {
    let (text, encoding) = text::decode_as(bytes);
    if text.trim_start().to_ascii_uppercase().starts_with("BEGIN:VCARD") {
        return Err(Problem::new("import.edit_csv_only", ""));
    }
    let sep = outlook::separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| Problem::new(FileError::NotCsv.key(), ""))?.clone();
    let layout = Layout {
        columns: headers.iter().map(outlook::field_of).collect(),
        google_groups: headers
            .iter()
            .map(|h| matches!(outlook::header(h).as_str(), "group membership" | "labels"))
            .collect(),
        sep,
        quote_all: text.trim_start().starts_with('"'),
        crlf: text.split('\n').next().is_some_and(|l| l.ends_with('\r')),
    };
    if !outlook::is_contact_file(&layout.columns) {
        return Err(Problem::new(FileError::NotCsv.key(), ""));
    }
    // Where each record starts, and the one to change.
    let mut starts = Vec::new();
    let mut found: Option<(usize, csv::StringRecord, Contact)> = None;
    for record in reader.records() {
        let record = record.map_err(|e| Problem::new("import.unreadable", &e.to_string()))?;
        // The reader places a record at the line break that ended the one before.
        let mut start = record.position().map_or(text.len(), |p| p.byte() as usize).min(text.len());
        while text.as_bytes().get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        starts.push(start);
        let wanted = match change {
            Change::Replace(k, _) | Change::Remove(k) => k,
            Change::Add(_) => continue,
        };
        if found.is_none() {
            if let Ok(c) = outlook::contact(&layout.columns, &record) {
                if key(&c) == wanted {
                    found = Some((starts.len() - 1, record, c));
                }
            }
        }
    }
    let end_of = |row: usize| starts.get(row + 1).copied().unwrap_or(text.len());
    let (head, row, tail, contact) = match change {
        Change::Add(new) => {
            let mut head = text.clone();
            if !head.is_empty() && !head.ends_with('\n') {
                head.push_str(if layout.crlf { "\r\n" } else { "\n" });
            }
            let (row, contact) = layout.row(&[], &Contact::default(), new)?;
            (head, row, String::new(), Some(contact))
        }
        Change::Replace(_, new) => {
            let Some((at, record, old)) = found else { return Ok(None) };
            let cells: Vec<String> = record.iter().map(str::to_owned).collect();
            let (row, contact) = layout.row(&cells, &old, new)?;
            (text[..starts[at]].to_owned(), row, text[end_of(at)..].to_owned(), Some(contact))
        }
        Change::Remove(_) => {
            let Some((at, _, _)) = found else { return Ok(None) };
            (text[..starts[at]].to_owned(), String::new(), text[end_of(at)..].to_owned(), None)
        }
    };
    let bytes = text::encode(&format!("{head}{row}{tail}"), encoding)
        .map_err(|c| Problem::new("import.code_page", &c.to_string()))?;
    Ok(Some(Edited { bytes, contact }))
}

/// How the file is written.
struct Layout {
    columns: Vec<Option<Field>>,
    /// Google's group column, whose groups are joined by " ::: ".
    google_groups: Vec<bool>,
    sep: u8,
    quote_all: bool,
    crlf: bool,
}

impl Layout {
    /// The row for `new`, from the row that held `old` (`cells`; none for a
    /// new row), and the contact it reads as.
    fn row(&self, cells: &[String], old: &Contact, new: &Contact) -> Result<(String, Contact), Problem> {
        let new = trimmed(new);
        // A short row is filled out to the header's columns; cells past them stay.
        let width = self.columns.len().max(cells.len());
        let mut cells: Vec<String> = (0..width).map(|i| cells.get(i).cloned().unwrap_or_default()).collect();
        self.fill(&mut cells, old, &new)?;
        let record = csv::StringRecord::from(cells.clone());
        let read = outlook::contact(&self.columns, &record)?;
        if let Some(what) = differs(&read, &new) {
            return Err(Problem::new("import.cannot_hold", what));
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.sep)
            .quote_style(if self.quote_all { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
            .terminator(if self.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        w.write_record(&cells).map_err(|e| Problem::new("import.unreadable", &e.to_string()))?;
        let bytes = w.into_inner().map_err(|e| Problem::new("import.unreadable", &e.to_string()))?;
        Ok((String::from_utf8_lossy(&bytes).into_owned(), read))
    }

    /// The columns that hold one of `fields`, in the file's order.
    fn of(&self, fields: &[Field]) -> Vec<usize> {
        (0..self.columns.len()).filter(|i| self.columns[*i].is_some_and(|c| fields.contains(&c))).collect()
    }

    /// Writes into `cells` what differs between `old` and `new`; the rest is
    /// left as the file has it.
    fn fill(&self, cells: &mut [String], old: &Contact, new: &Contact) -> Result<(), Problem> {
        use google::Column as G;
        let no_column = |what: &str| Problem::new("import.no_column", what);
        if (&old.first_name, &old.last_name) != (&new.first_name, &new.last_name) {
            let (first, last) = (self.of(&[Field::First]), self.of(&[Field::Last]));
            let whole = format!("{} {}", new.first_name, new.last_name).trim().to_owned();
            for i in self.of(&[Field::FullName]) {
                cells[i] = outlook::guard(&whole);
            }
            if !first.is_empty() || !last.is_empty() {
                for i in self.of(&[Field::First, Field::Middle, Field::Last]) {
                    cells[i].clear();
                }
                match (first.first(), new.first_name.is_empty()) {
                    (Some(i), _) => cells[*i] = outlook::guard(&new.first_name),
                    (None, false) => return Err(no_column("first name")),
                    (None, true) => {}
                }
                match (last.first(), new.last_name.is_empty()) {
                    (Some(i), _) => cells[*i] = outlook::guard(&new.last_name),
                    (None, false) => return Err(no_column("last name")),
                    (None, true) => {}
                }
            } else if !whole.is_empty() && self.of(&[Field::FullName]).is_empty() {
                return Err(no_column("name"));
            }
        }
        for (what, fields, was, now) in [
            ("company", [Field::Company, Field::Google(G::Company)], &old.company, &new.company),
            ("title", [Field::Title, Field::Google(G::Title)], &old.title, &new.title),
            ("e-mail", [Field::Email, Field::Google(G::EmailValue)], &old.email, &new.email),
        ] {
            if was != now {
                let at = self.of(&fields);
                match at.first() {
                    Some(i) => cells[*i] = outlook::guard(now),
                    None if now.is_empty() => {}
                    None => return Err(no_column(what)),
                }
                // One company, one title: a second column would be read over the first.
                if what != "e-mail" {
                    for i in at.iter().skip(1) {
                        cells[*i].clear();
                    }
                }
            }
        }
        if old.address != new.address {
            let parts = [Field::Street, Field::City, Field::Postal, Field::Country];
            let google = [G::Street, G::City, G::Postal, G::Country].map(Field::Google);
            for i in self.of(&parts).into_iter().chain(self.of(&google)) {
                cells[i].clear();
            }
            let formatted = self.of(&[Field::Google(G::Address)]);
            for i in &formatted {
                cells[*i].clear();
            }
            let street = self.of(&[Field::Street, Field::Google(G::Street)]);
            match formatted.first().or(street.first()) {
                Some(i) => cells[*i] = outlook::guard(&new.address),
                None if new.address.is_empty() => {}
                None => return Err(no_column("address")),
            }
        }
        if !same_numbers(&old.numbers, &new.numbers) {
            self.numbers(cells, &new.numbers)?;
        }
        if old.groups != new.groups {
            let at = self.of(&[Field::Categories]);
            match at.first() {
                Some(i) => {
                    let google = self.google_groups[*i];
                    // Google's own groups ("* myContacts") stay.
                    let mut groups: Vec<String> = google::values(&cells[*i])
                        .filter(|g| google && google::is_system_group(g))
                        .map(str::to_owned)
                        .collect();
                    groups.extend(new.groups.iter().cloned());
                    cells[*i] = outlook::guard(&groups.join(if google { " ::: " } else { ";" }));
                    for i in at.iter().skip(1) {
                        cells[*i].clear();
                    }
                }
                None if new.groups.is_empty() => {}
                None => return Err(no_column("groups")),
            }
        }
        Ok(())
    }

    /// Writes the numbers anew: each into the first free column of its kind,
    /// else into the first free Google "Phone N" (its label saying the kind).
    fn numbers(&self, cells: &mut [String], numbers: &[Number]) -> Result<(), Problem> {
        use google::Column as G;
        let mut slots: Vec<(u8, usize, Option<usize>)> = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            match c {
                Some(Field::Phone(_) | Field::Google(G::PhoneLabel(_))) => cells[i].clear(),
                Some(Field::Google(G::PhoneValue(n))) => {
                    cells[i].clear();
                    let label =
                        self.columns.iter().position(|c| *c == Some(Field::Google(G::PhoneLabel(*n))));
                    slots.push((*n, i, label));
                }
                _ => {}
            }
        }
        slots.sort_by_key(|(n, _, _)| *n);
        let mut slots = slots.into_iter();
        for n in numbers {
            let own = self.of(&[Field::Phone(n.kind)]).into_iter().find(|i| cells[*i].is_empty());
            if let Some(i) = own {
                cells[i] = n.number.clone();
            } else if let Some((_, value, label)) = slots.next() {
                cells[value] = n.number.clone();
                if let Some(l) = label {
                    cells[l] = google_label(n.kind).to_owned();
                }
            } else {
                return Err(Problem::new("import.no_column", &format!("{} {}", n.kind.code(), n.number)));
            }
        }
        Ok(())
    }
}

/// The label Google writes for a kind of number, read back as that kind.
fn google_label(kind: NumberKind) -> &'static str {
    match kind {
        NumberKind::Work => "Work",
        NumberKind::Mobile => "Mobile",
        NumberKind::Home => "Home",
        NumberKind::Fax => "Work Fax",
        NumberKind::Other => "Other",
    }
}

/// The contact as a file row holds it: no white space around its values.
fn trimmed(c: &Contact) -> Contact {
    let t = |s: &str| s.trim().to_owned();
    Contact {
        first_name: t(&c.first_name),
        last_name: t(&c.last_name),
        company: t(&c.company),
        title: t(&c.title),
        email: t(&c.email),
        address: c.address.trim().replace("\r\n", "\n"),
        numbers: c.numbers.iter().map(|n| Number { kind: n.kind, number: t(&n.number) }).collect(),
        groups: c.groups.iter().map(|g| t(g)).filter(|g| !g.is_empty()).collect(),
        book: c.book,
        uid: c.uid.clone(),
    }
}

fn same_numbers(a: &[Number], b: &[Number]) -> bool {
    fn sorted(n: &[Number]) -> Vec<(NumberKind, &str)> {
        let mut v: Vec<(NumberKind, &str)> = n.iter().map(|n| (n.kind, n.number.as_str())).collect();
        v.sort();
        v
    }
    sorted(a) == sorted(b)
}

/// The first field in which the row as read (`read`) is not the contact
/// asked for.
fn differs(read: &Contact, new: &Contact) -> Option<&'static str> {
    if (&read.first_name, &read.last_name) != (&new.first_name, &new.last_name) {
        return Some("name");
    }
    for (what, a, b) in [
        ("company", &read.company, &new.company),
        ("title", &read.title, &new.title),
        ("e-mail", &read.email, &new.email),
        ("address", &read.address, &new.address),
    ] {
        if a != b {
            return Some(what);
        }
    }
    if !same_numbers(&read.numbers, &new.numbers) {
        return Some("numbers");
    }
    if read.groups != new.groups {
        return Some("groups");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use text::Encoding;

    fn by_last(c: &Contact) -> String {
        c.last_name.clone()
    }

    fn number(kind: NumberKind, number: &str) -> Number {
        Number { kind, number: number.to_owned() }
    }

    fn read(bytes: &[u8]) -> Vec<Contact> {
        super::super::parse(bytes, None)
            .expect("a contact file")
            .contacts
            .into_iter()
            .map(|(_, c)| c)
            .collect()
    }

    /// A German Outlook's file (code page 1252, semicolons, every field
    /// quoted, a column this program does not read): one row changed, the
    /// others and everything else kept byte for byte.
    #[test]
    fn a_changed_row_is_written_in_the_files_own_layout() {
        let text =
            "\"Vorname\";\"Nachname\";\"Firma\";\"Telefon geschäftlich\";\"Mobiltelefon\";\"Notizen\"\r\n\
                    \"Jörg\";\"Müller\";\"Bäckerei\";\"+49 30 1111\";\"\";\"kommt montags\"\r\n\
                    \"Grete\";\"Weiß\";\"Straßenbau\";\"+49 30 2222\";\"\";\"\"\r\n";
        let bytes = text::encode(text, Encoding::Cp1252).expect("German letters");
        let mut grete = read(&bytes).remove(1);
        grete.numbers.push(number(NumberKind::Mobile, "+49 170 3333"));
        grete.company = "Straßenbau GmbH".to_owned();
        let edited = edit(&bytes, by_last, Change::Replace("Weiß", &grete)).expect("taken").expect("found");
        let (after, encoding) = text::decode_as(&edited.bytes);
        assert_eq!(encoding, Encoding::Cp1252);
        let lines: Vec<&str> = after.split("\r\n").collect();
        let before: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[..2], before[..2], "the header and Jörg's row are as they were");
        assert_eq!(lines[2], "\"Grete\";\"Weiß\";\"Straßenbau GmbH\";\"+49 30 2222\";\"+49 170 3333\";\"\"");
        assert_eq!(read(&edited.bytes), vec![read(&bytes).remove(0), grete.clone()]);
        assert_eq!(edited.contact, Some(grete));
    }

    /// Outlook's columns hold two work numbers and one other: a third is
    /// refused with the reason, not written short.
    #[test]
    fn what_the_columns_cannot_hold_is_refused_not_lost() {
        let text = "First Name,Last Name,Business Phone,Business Phone 2,Other Phone\n\
                    Anna,Nowak,+48 22 100,+48 22 101,\n";
        let mut anna = read(text.as_bytes()).remove(0);
        anna.numbers.push(number(NumberKind::Work, "+48 22 102"));
        let refused = edit(text.as_bytes(), by_last, Change::Replace("Nowak", &anna)).expect_err("no column");
        assert_eq!((refused.key, refused.detail.as_str()), ("import.no_column", "work +48 22 102"));
        // As an "other" number it has a column.
        anna.numbers[2].kind = NumberKind::Other;
        let edited =
            edit(text.as_bytes(), by_last, Change::Replace("Nowak", &anna)).expect("taken").expect("found");
        assert_eq!(
            String::from_utf8_lossy(&edited.bytes).lines().nth(1),
            Some("Anna,Nowak,+48 22 100,+48 22 101,+48 22 102")
        );
        // A title, with no column for it; a letter the code page has no byte for.
        let mut titled = read(text.as_bytes()).remove(0);
        titled.title = "Director".to_owned();
        let refused =
            edit(text.as_bytes(), by_last, Change::Replace("Nowak", &titled)).expect_err("no column");
        assert_eq!((refused.key, refused.detail.as_str()), ("import.no_column", "title"));
        let latin =
            text::encode("Vorname,Nachname,Telefon geschäftlich\nJörg,Müller,+49 30 1\n", Encoding::Cp1252)
                .expect("1252");
        let mut jorg = read(&latin).remove(0);
        jorg.first_name = "Łukasz".to_owned();
        let refused = edit(&latin, by_last, Change::Replace("Müller", &jorg)).expect_err("no such letter");
        assert_eq!((refused.key, refused.detail.as_str()), ("import.code_page", "Ł"));
    }

    /// A row with more cells than the header has columns keeps them.
    #[test]
    fn cells_past_the_header_stay() {
        let text = "Last Name,Business Phone\nNowak,+48 22 100,kept,too\n";
        let mut anna = read(text.as_bytes()).remove(0);
        anna.numbers[0].number = "+48 22 101".to_owned();
        let edited =
            edit(text.as_bytes(), by_last, Change::Replace("Nowak", &anna)).expect("taken").expect("found");
        assert_eq!(
            String::from_utf8_lossy(&edited.bytes),
            "Last Name,Business Phone\nNowak,+48 22 101,kept,too\n"
        );
    }

    #[test]
    fn rows_are_added_at_the_end_and_removed_whole() {
        // The last row has no line break.
        let text =
            "First Name,Last Name,Business Phone,E-mail Address\nAnna,Nowak,+48 22 100,anna@example.com";
        let piotr = Contact {
            first_name: "Piotr".to_owned(),
            last_name: "Wiśniewski".to_owned(),
            email: "=cmd".to_owned(),
            numbers: vec![number(NumberKind::Work, "+48 22 200")],
            ..Contact::default()
        };
        let added = edit(text.as_bytes(), by_last, Change::Add(&piotr)).expect("taken").expect("made");
        let after = String::from_utf8(added.bytes.clone()).expect("UTF-8 as it came");
        // A value a spreadsheet would run as a formula is written guarded, and read back as it was.
        assert_eq!(after, format!("{text}\nPiotr,Wiśniewski,+48 22 200,'=cmd\n"));
        assert_eq!(read(&added.bytes)[1], piotr);
        let removed = edit(&added.bytes, by_last, Change::Remove("Nowak")).expect("taken").expect("found");
        assert_eq!(
            String::from_utf8_lossy(&removed.bytes),
            "First Name,Last Name,Business Phone,E-mail Address\nPiotr,Wiśniewski,+48 22 200,'=cmd\n"
        );
        assert!(edit(text.as_bytes(), by_last, Change::Remove("Kowalski")).expect("taken").is_none());
    }

    /// Google numbers its phones; a new one takes a free "Phone N" with a
    /// label saying its kind, and Google's own groups stay.
    #[test]
    fn google_phones_and_groups_keep_their_form() {
        let text = "Name,Given Name,Family Name,Group Membership,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value\n\
                    Ewa Lis,Ewa,Lis,* myContacts ::: Clients,Mobile,+48 600 100 100,,\n";
        let mut ewa = read(text.as_bytes()).remove(0);
        ewa.numbers.push(number(NumberKind::Fax, "+48 22 300"));
        ewa.groups = vec!["Suppliers".to_owned()];
        ewa.last_name = "Lis-Nowak".to_owned();
        let edited =
            edit(text.as_bytes(), by_last, Change::Replace("Lis", &ewa)).expect("taken").expect("found");
        assert_eq!(
            String::from_utf8_lossy(&edited.bytes).lines().nth(1),
            Some("Ewa Lis-Nowak,Ewa,Lis-Nowak,* myContacts ::: Suppliers,Mobile,+48 600 100 100,Work Fax,+48 22 300")
        );
        assert_eq!(read(&edited.bytes), vec![ewa]);
    }

    #[test]
    fn only_a_csv_file_is_changed() {
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Nowak\r\nN:Nowak;Anna;;;\r\nTEL:+48 22 100\r\nEND:VCARD\r\n";
        let anna = Contact { last_name: "Nowak".to_owned(), ..Contact::default() };
        let refused = edit(card.as_bytes(), by_last, Change::Replace("Nowak", &anna)).expect_err("a vCard");
        assert_eq!(refused.key, "import.edit_csv_only");
        let refused = edit(b"a,b\n1,2\n", by_last, Change::Add(&anna)).expect_err("not a contact file");
        assert_eq!(refused.key, "import.not_csv");
    }
}
