//! Contact CSV: Outlook's (desktop 2003 to 365 and Outlook.com) with column
//! headers in English, German or Polish, and Google Contacts' (its numbered
//! columns are read by `google`). Comma, semicolon or tab between fields,
//! quoted fields that may hold line breaks. Columns that are not known are
//! passed over. The export writes Outlook's English headers (which every
//! Outlook maps by itself) and a "WebCTI Book" column that Outlook ignores and
//! our import reads.

use super::{
    google, BookKind, Contact, FileError, Number, NumberKind, Parsed, Problem, Rejected, MAX_NUMBERS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    First,
    Middle,
    Last,
    /// The name written whole (Google's older "Name"), for a row without parts.
    FullName,
    Company,
    Title,
    Email,
    Street,
    City,
    Postal,
    Country,
    Phone(NumberKind),
    Categories,
    Book,
    Uid,
    Google(google::Column),
}

use NumberKind::{Fax, Home, Mobile, Other, Work};

/// Headers as Outlook writes them in English, German and Polish (each version
/// and Outlook.com spell some their own way; parentheses are read as spaces, so
/// "Telefon (privat)" is "telefon privat"), Google's unnumbered ones, and a few
/// spellings other programs use; in the form [`header`] gives. Every number a
/// user would call has its kind; a pager or a telex is "other" at most.
const HEADERS: &[(&str, Field)] = &[
    ("first name", Field::First),
    ("given name", Field::First),
    ("vorname", Field::First),
    ("imię", Field::First),
    ("imie", Field::First),
    ("middle name", Field::Middle),
    ("additional name", Field::Middle),
    ("weitere vornamen", Field::Middle),
    ("zweiter vorname", Field::Middle),
    ("drugie imię", Field::Middle),
    ("last name", Field::Last),
    ("surname", Field::Last),
    ("family name", Field::Last),
    ("nachname", Field::Last),
    ("nazwisko", Field::Last),
    ("name", Field::FullName),
    ("full name", Field::FullName),
    ("display name", Field::FullName),
    ("company", Field::Company),
    ("organization", Field::Company),
    ("organization name", Field::Company),
    ("firma", Field::Company),
    ("job title", Field::Title),
    ("organization title", Field::Title),
    ("position", Field::Title),
    ("stanowisko", Field::Title),
    ("e-mail address", Field::Email),
    ("email address", Field::Email),
    ("e-mail", Field::Email),
    ("email", Field::Email),
    ("e-mail-adresse", Field::Email),
    ("adres e-mail", Field::Email),
    ("business street", Field::Street),
    ("straße geschäftlich", Field::Street),
    ("ulica służbowy", Field::Street),
    ("ulica służbowa", Field::Street),
    ("business city", Field::City),
    ("ort geschäftlich", Field::City),
    ("miejscowość służbowy", Field::City),
    ("miasto służbowe", Field::City),
    ("business postal code", Field::Postal),
    ("postleitzahl geschäftlich", Field::Postal),
    ("kod pocztowy służbowy", Field::Postal),
    ("business country/region", Field::Country),
    ("land/region geschäftlich", Field::Country),
    ("kraj/region służbowy", Field::Country),
    // Work: the office, the company's switchboard, the assistant.
    ("business phone", Field::Phone(Work)),
    ("business phone 2", Field::Phone(Work)),
    ("company main phone", Field::Phone(Work)),
    ("primary phone", Field::Phone(Work)),
    ("assistant's phone", Field::Phone(Work)),
    ("phone", Field::Phone(Work)),
    ("telefon geschäftlich", Field::Phone(Work)),
    ("telefon geschäftlich 2", Field::Phone(Work)),
    ("telefon firma", Field::Phone(Work)),
    ("haupttelefon", Field::Phone(Work)),
    ("telefon assistent", Field::Phone(Work)),
    ("telefon des assistenten", Field::Phone(Work)),
    ("telefon służbowy", Field::Phone(Work)),
    ("telefon służbowy 2", Field::Phone(Work)),
    ("telefon podstawowy", Field::Phone(Work)),
    ("główny telefon firmowy", Field::Phone(Work)),
    ("telefon asystenta", Field::Phone(Work)),
    // Mobile, the car's included.
    ("mobile phone", Field::Phone(Mobile)),
    ("mobile phone 2", Field::Phone(Mobile)),
    ("mobile", Field::Phone(Mobile)),
    ("car phone", Field::Phone(Mobile)),
    ("mobiltelefon", Field::Phone(Mobile)),
    ("mobiltelefon 2", Field::Phone(Mobile)),
    ("autotelefon", Field::Phone(Mobile)),
    ("telefon komórkowy", Field::Phone(Mobile)),
    ("telefon komórkowy 2", Field::Phone(Mobile)),
    ("telefon w samochodzie", Field::Phone(Mobile)),
    ("home phone", Field::Phone(Home)),
    ("home phone 2", Field::Phone(Home)),
    ("telefon privat", Field::Phone(Home)),
    ("telefon privat 2", Field::Phone(Home)),
    ("telefon domowy", Field::Phone(Home)),
    ("telefon domowy 2", Field::Phone(Home)),
    ("business fax", Field::Phone(Fax)),
    ("home fax", Field::Phone(Fax)),
    ("other fax", Field::Phone(Fax)),
    ("fax geschäftlich", Field::Phone(Fax)),
    ("fax privat", Field::Phone(Fax)),
    ("weiteres fax", Field::Phone(Fax)),
    ("faks służbowy", Field::Phone(Fax)),
    ("faks domowy", Field::Phone(Fax)),
    ("inny faks", Field::Phone(Fax)),
    ("other phone", Field::Phone(Other)),
    ("callback", Field::Phone(Other)),
    ("radio phone", Field::Phone(Other)),
    ("isdn", Field::Phone(Other)),
    ("tty/tdd phone", Field::Phone(Other)),
    ("pager", Field::Phone(Other)),
    ("weiteres telefon", Field::Phone(Other)),
    ("rückmeldung", Field::Phone(Other)),
    ("rückruf", Field::Phone(Other)),
    ("funkruf", Field::Phone(Other)),
    ("funktelefon", Field::Phone(Other)),
    ("telefon für hörbehinderte", Field::Phone(Other)),
    ("telefon inny", Field::Phone(Other)),
    ("inny telefon", Field::Phone(Other)),
    ("wywołanie zwrotne", Field::Phone(Other)),
    ("radiotelefon", Field::Phone(Other)),
    ("telefon tty/tdd", Field::Phone(Other)),
    ("categories", Field::Categories),
    ("kategorien", Field::Categories),
    ("kategorie", Field::Categories),
    ("labels", Field::Categories),
    ("group membership", Field::Categories),
    ("webcti book", Field::Book),
    ("webcti uid", Field::Uid),
];

/// A header as [`HEADERS`] spells it: lower case, without quotes, parentheses
/// read as spaces, white space folded.
pub(super) fn header(raw: &str) -> String {
    raw.trim()
        .trim_matches('"')
        .replace(['(', ')'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub(super) fn field_of(raw: &str) -> Option<Field> {
    let h = header(raw);
    HEADERS
        .iter()
        .find(|(name, _)| *name == h)
        .map(|(_, f)| *f)
        .or_else(|| google::column(&h).map(Field::Google))
}

/// The separator of the header line: the one of comma, semicolon and tab that
/// occurs most often outside quotes.
pub(super) fn separator(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - i)).unwrap_or(0);
    seps[best]
}

pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| FileError::NotCsv)?.clone();
    let columns: Vec<Option<Field>> = headers.iter().map(field_of).collect();
    if !is_contact_file(&columns) {
        return Err(FileError::NotCsv);
    }
    let mut parsed = Parsed::default();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                parsed.reject(Rejected::new(line, "import.unreadable", &e.to_string()));
                continue;
            }
        };
        let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match contact(&columns, &record) {
            Ok(c) => parsed.contacts.push((line, c)),
            Err(problem) => parsed.reject(Rejected { line, problem }),
        }
    }
    Ok(parsed)
}

/// Whether a file's columns are a contact file's: one for a name (or the
/// company) and one for a phone (or an e-mail address).
pub(super) fn is_contact_file(columns: &[Option<Field>]) -> bool {
    let named = columns.iter().any(|c| {
        matches!(
            c,
            Some(
                Field::First
                    | Field::Last
                    | Field::FullName
                    | Field::Company
                    | Field::Google(google::Column::Company)
            )
        )
    });
    let phoned = columns.iter().any(|c| {
        matches!(
            c,
            Some(
                Field::Phone(_)
                    | Field::Email
                    | Field::Google(google::Column::PhoneValue(_) | google::Column::EmailValue)
            )
        )
    });
    named && phoned
}

/// The line (from 1) a byte offset is on, counting line breaks inside quoted
/// fields too: the number a text editor shows. Offsets come in increasing order,
/// so each byte is counted once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter { bytes: text.as_bytes(), at: 0, line: 1 }
    }

    fn at(&mut self, byte: u64) -> u64 {
        // A record "starts" at the line break that ended the one before it.
        let mut end = (byte as usize).min(self.bytes.len());
        while end < self.bytes.len() && matches!(self.bytes[end], b'\r' | b'\n') {
            end += 1;
        }
        if end > self.at {
            self.line += self.bytes[self.at..end].iter().filter(|b| **b == b'\n').count() as u64;
            self.at = end;
        }
        self.line
    }
}

pub(super) fn contact(columns: &[Option<Field>], record: &csv::StringRecord) -> Result<Contact, Problem> {
    let mut c = Contact::default();
    let (mut middle, mut full, mut street, mut city, mut postal, mut country, mut formatted) =
        Default::default();
    // Google gives a phone's label in a column before its numbers.
    let mut labels: Vec<(u8, &str)> = Vec::new();
    for (field, value) in columns.iter().zip(record.iter()) {
        if let Some(Field::Google(google::Column::PhoneLabel(n))) = field {
            labels.push((*n, value));
        }
    }
    for (field, value) in columns.iter().zip(record.iter()) {
        let value = unguard(value.trim());
        let Some(field) = field else { continue };
        if value.is_empty() {
            continue;
        }
        use google::Column as G;
        match field {
            Field::First => c.first_name = value.to_owned(),
            Field::Middle => middle = value.to_owned(),
            Field::Last => c.last_name = value.to_owned(),
            Field::FullName => full = value.to_owned(),
            Field::Company | Field::Google(G::Company) => c.company = value.to_owned(),
            Field::Title | Field::Google(G::Title) => c.title = value.to_owned(),
            Field::Email | Field::Google(G::EmailValue) => {
                if c.email.is_empty() {
                    c.email = google::values(value).next().unwrap_or_default().to_owned()
                }
            }
            Field::Street | Field::Google(G::Street) => street = value.replace("\r\n", "\n"),
            Field::City | Field::Google(G::City) => city = value.to_owned(),
            Field::Postal | Field::Google(G::Postal) => postal = value.to_owned(),
            Field::Country | Field::Google(G::Country) => country = value.to_owned(),
            Field::Google(G::Address) => formatted = value.replace("\r\n", "\n"),
            Field::Phone(kind) => add(&mut c, *kind, value),
            Field::Google(G::PhoneValue(n)) => {
                let label = labels.iter().find(|(m, _)| m == n).map_or("", |(_, l)| l);
                for number in google::values(value) {
                    add(&mut c, google::kind(label), number);
                }
            }
            Field::Google(G::PhoneLabel(_)) => {}
            Field::Categories => {
                c.groups = value
                    .split(":::")
                    .flat_map(|g| g.split([';', ',']))
                    .map(str::trim)
                    .filter(|g| !g.is_empty() && !google::is_system_group(g))
                    .map(str::to_owned)
                    .collect()
            }
            Field::Book => {
                c.book =
                    Some(BookKind::parse(value).ok_or_else(|| Problem::new("import.unknown_book", value))?)
            }
            Field::Uid => c.uid = Some(value.to_owned()),
        }
    }
    if !middle.is_empty() {
        c.first_name = format!("{} {middle}", c.first_name).trim().to_owned();
    }
    c.name_from_full(&full);
    let place = format!("{postal} {city}").trim().to_owned();
    c.address = if formatted.is_empty() {
        [street, place, country].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n")
    } else {
        formatted
    };
    c.check()?;
    Ok(c)
}

/// Adds a number the contact does not have yet, up to [`MAX_NUMBERS`].
fn add(c: &mut Contact, kind: NumberKind, number: &str) {
    if c.numbers.len() < MAX_NUMBERS && !c.numbers.iter().any(|n| n.number == number) {
        c.numbers.push(Number { kind, number: number.to_owned() })
    }
}

/// Outlook's own column names for what we export, in its order.
const EXPORT: &[&str] = &[
    "First Name",
    "Last Name",
    "Company",
    "Job Title",
    "Business Street",
    "Business Phone",
    "Business Phone 2",
    "Mobile Phone",
    "Home Phone",
    "Business Fax",
    "Other Phone",
    "E-mail Address",
    "Categories",
    "WebCTI Book",
    "WebCTI UID",
];

/// CSV that Outlook imports, UTF-8 with a byte-order mark.
pub fn export(contacts: &[Contact]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = w.write_record(EXPORT);
    for c in contacts {
        let mut work = c.numbers.iter().filter(|n| n.kind == NumberKind::Work).map(|n| n.number.as_str());
        let (work1, work2) = (work.next().unwrap_or(""), work.next().unwrap_or(""));
        let one =
            |k: NumberKind| c.numbers.iter().find(|n| n.kind == k).map(|n| n.number.as_str()).unwrap_or("");
        // Numbers beyond Outlook's columns go to "Other Phone", joined.
        let others: Vec<&str> = c
            .numbers
            .iter()
            .enumerate()
            .filter(|(i, n)| match n.kind {
                NumberKind::Work => {
                    c.numbers[..*i].iter().filter(|m| m.kind == NumberKind::Work).count() >= 2
                }
                NumberKind::Other => true,
                k => c.numbers[..*i].iter().any(|m| m.kind == k),
            })
            .map(|(_, n)| n.number.as_str())
            .collect();
        let groups = c.groups.join(";");
        let record = [
            guard(&c.first_name),
            guard(&c.last_name),
            guard(&c.company),
            guard(&c.title),
            guard(&c.address),
            work1.to_owned(),
            work2.to_owned(),
            one(NumberKind::Mobile).to_owned(),
            one(NumberKind::Home).to_owned(),
            one(NumberKind::Fax).to_owned(),
            others.first().copied().unwrap_or("").to_owned(),
            guard(&c.email),
            guard(&groups),
            c.book.map(BookKind::code).unwrap_or("").to_owned(),
            c.uid.clone().unwrap_or_default(),
        ];
        let _ = w.write_record(&record);
    }
    let text = w.into_inner().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    super::text::encode_for_outlook(&text)
}

/// A field that a spreadsheet would take for a formula gets a leading quote mark
/// (CSV injection); the import strips it again.
pub(super) fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_headers() {
        assert_eq!(separator("Vorname;Nachname;Firma\n"), b';');
        assert_eq!(separator("\"First Name\",\"Last Name\"\n"), b',');
        assert_eq!(separator("a\tb\tc\n"), b'\t');
        assert_eq!(field_of(" \"Telefon  geschäftlich\" "), Some(Field::Phone(NumberKind::Work)));
        assert_eq!(field_of("Telefon komórkowy"), Some(Field::Phone(NumberKind::Mobile)));
        assert_eq!(field_of("Unknown"), None);
    }

    #[test]
    fn the_table_is_written_as_headers_are_read() {
        for (name, field) in HEADERS {
            assert_eq!(header(name), *name, "{name}");
            assert_eq!(field_of(name), Some(*field), "{name} is in the table twice");
        }
    }

    /// Every phone column of each Outlook, in each language, and its kind.
    #[test]
    fn phone_columns_of_every_outlook() {
        let cases: &[(&str, NumberKind)] = &[
            // English: Outlook 2003 to 365 and Outlook.com.
            ("Business Phone", Work),
            ("Business Phone 2", Work),
            ("Company Main Phone", Work),
            ("Primary Phone", Work),
            ("Assistant's Phone", Work),
            ("Mobile Phone", Mobile),
            ("Car Phone", Mobile),
            ("Home Phone", Home),
            ("Home Phone 2", Home),
            ("Business Fax", Fax),
            ("Home Fax", Fax),
            ("Other Fax", Fax),
            ("Other Phone", Other),
            ("Callback", Other),
            ("Radio Phone", Other),
            ("ISDN", Other),
            ("TTY/TDD Phone", Other),
            ("Pager", Other),
            // German: Outlook 2003-2016, and the parenthesised spelling of 365.
            ("Telefon geschäftlich", Work),
            ("Telefon (geschäftlich)", Work),
            ("Telefon geschäftlich 2", Work),
            ("Telefon (geschäftlich) 2", Work),
            ("Telefon Firma", Work),
            ("Telefon (Firma)", Work),
            ("Haupttelefon", Work),
            ("Telefon Assistent", Work),
            ("Mobiltelefon", Mobile),
            ("Mobiltelefon 2", Mobile),
            ("Autotelefon", Mobile),
            ("Telefon privat", Home),
            ("Telefon (privat)", Home),
            ("Telefon privat 2", Home),
            ("Telefon (privat) 2", Home),
            ("Fax geschäftlich", Fax),
            ("Fax (geschäftlich)", Fax),
            ("Fax privat", Fax),
            ("Fax (privat)", Fax),
            ("Weiteres Fax", Fax),
            ("Weiteres Telefon", Other),
            ("Rückmeldung", Other),
            ("Funkruf", Other),
            ("Telefon für Hörbehinderte", Other),
            // Polish: Outlook 2007-365.
            ("Telefon służbowy", Work),
            ("Telefon służbowy 2", Work),
            ("Telefon (służbowy)", Work),
            ("Główny telefon firmowy", Work),
            ("Telefon podstawowy", Work),
            ("Telefon asystenta", Work),
            ("Telefon komórkowy", Mobile),
            ("Telefon w samochodzie", Mobile),
            ("Telefon domowy", Home),
            ("Telefon domowy 2", Home),
            ("Faks służbowy", Fax),
            ("Faks domowy", Fax),
            ("Inny faks", Fax),
            ("Inny telefon", Other),
            ("Wywołanie zwrotne", Other),
            ("Radiotelefon", Other),
            ("Telefon TTY/TDD", Other),
        ];
        for (raw, kind) in cases {
            assert_eq!(field_of(raw), Some(Field::Phone(*kind)), "{raw}");
        }
        for (raw, field) in [
            ("Straße (geschäftlich)", Field::Street),
            ("Postleitzahl (geschäftlich)", Field::Postal),
            ("Ulica (służbowy)", Field::Street),
            ("Kraj/region (służbowy)", Field::Country),
            ("E-Mail-Adresse", Field::Email),
            ("Zweiter Vorname", Field::Middle),
            ("Phone 2 - Value", Field::Google(google::Column::PhoneValue(2))),
            ("Group Membership", Field::Categories),
        ] {
            assert_eq!(field_of(raw), Some(field), "{raw}");
        }
        // What no one would dial, or what is not a number, is passed over.
        for raw in ["Telex", "Teleks", "Phonetic First Name", "E-mail Display Name", "Title", "Anrede"] {
            assert_eq!(field_of(raw), None, "{raw}");
        }
    }
}
