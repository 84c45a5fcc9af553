//! Outlook's CSV: column headers in English, German or Polish, comma, semicolon
//! or tab between fields, quoted fields that may hold line breaks. The export
//! writes Outlook's English headers (which every Outlook maps by itself) and a
//! "WebCTI Book" column that Outlook ignores and our import reads.

use super::{BookKind, Contact, FileError, Number, NumberKind, Parsed, Problem, Rejected, MAX_NUMBERS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    First,
    Middle,
    Last,
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
}

/// Headers as Outlook writes them in English, German and Polish (and a few
/// spellings other programs use), lower case.
const HEADERS: &[(&str, Field)] = &[
    ("first name", Field::First),
    ("given name", Field::First),
    ("vorname", Field::First),
    ("imię", Field::First),
    ("imie", Field::First),
    ("middle name", Field::Middle),
    ("weitere vornamen", Field::Middle),
    ("drugie imię", Field::Middle),
    ("last name", Field::Last),
    ("surname", Field::Last),
    ("family name", Field::Last),
    ("nachname", Field::Last),
    ("nazwisko", Field::Last),
    ("company", Field::Company),
    ("organization", Field::Company),
    ("firma", Field::Company),
    ("job title", Field::Title),
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
    ("ulica (służbowy)", Field::Street),
    ("ulica służbowa", Field::Street),
    ("business city", Field::City),
    ("ort geschäftlich", Field::City),
    ("miejscowość (służbowy)", Field::City),
    ("miasto służbowe", Field::City),
    ("business postal code", Field::Postal),
    ("postleitzahl geschäftlich", Field::Postal),
    ("kod pocztowy (służbowy)", Field::Postal),
    ("kod pocztowy służbowy", Field::Postal),
    ("business country/region", Field::Country),
    ("land/region geschäftlich", Field::Country),
    ("kraj/region (służbowy)", Field::Country),
    ("business phone", Field::Phone(NumberKind::Work)),
    ("business phone 2", Field::Phone(NumberKind::Work)),
    ("company main phone", Field::Phone(NumberKind::Work)),
    ("primary phone", Field::Phone(NumberKind::Work)),
    ("phone", Field::Phone(NumberKind::Work)),
    ("telefon geschäftlich", Field::Phone(NumberKind::Work)),
    ("telefon geschäftlich 2", Field::Phone(NumberKind::Work)),
    ("telefon firma", Field::Phone(NumberKind::Work)),
    ("haupttelefon", Field::Phone(NumberKind::Work)),
    ("telefon służbowy", Field::Phone(NumberKind::Work)),
    ("telefon służbowy 2", Field::Phone(NumberKind::Work)),
    ("telefon podstawowy", Field::Phone(NumberKind::Work)),
    ("główny telefon firmowy", Field::Phone(NumberKind::Work)),
    ("mobile phone", Field::Phone(NumberKind::Mobile)),
    ("mobile", Field::Phone(NumberKind::Mobile)),
    ("mobiltelefon", Field::Phone(NumberKind::Mobile)),
    ("telefon komórkowy", Field::Phone(NumberKind::Mobile)),
    ("home phone", Field::Phone(NumberKind::Home)),
    ("home phone 2", Field::Phone(NumberKind::Home)),
    ("telefon privat", Field::Phone(NumberKind::Home)),
    ("telefon privat 2", Field::Phone(NumberKind::Home)),
    ("telefon domowy", Field::Phone(NumberKind::Home)),
    ("telefon domowy 2", Field::Phone(NumberKind::Home)),
    ("business fax", Field::Phone(NumberKind::Fax)),
    ("fax geschäftlich", Field::Phone(NumberKind::Fax)),
    ("faks służbowy", Field::Phone(NumberKind::Fax)),
    ("other phone", Field::Phone(NumberKind::Other)),
    ("weiteres telefon", Field::Phone(NumberKind::Other)),
    ("telefon inny", Field::Phone(NumberKind::Other)),
    ("inny telefon", Field::Phone(NumberKind::Other)),
    ("categories", Field::Categories),
    ("kategorien", Field::Categories),
    ("kategorie", Field::Categories),
    ("webcti book", Field::Book),
    ("webcti uid", Field::Uid),
];

fn field_of(header: &str) -> Option<Field> {
    let h: String =
        header.trim().trim_matches('"').split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    HEADERS.iter().find(|(name, _)| *name == h).map(|(_, f)| *f)
}

/// The separator of the header line: the one of comma, semicolon and tab that
/// occurs most often outside quotes.
fn separator(text: &str) -> u8 {
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
    let named = columns.iter().any(|c| matches!(c, Some(Field::First | Field::Last | Field::Company)));
    let phoned = columns.iter().any(|c| matches!(c, Some(Field::Phone(_) | Field::Email)));
    if !named || !phoned {
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

fn contact(columns: &[Option<Field>], record: &csv::StringRecord) -> Result<Contact, Problem> {
    let mut c = Contact::default();
    let (mut middle, mut street, mut city, mut postal, mut country) =
        (String::new(), String::new(), String::new(), String::new(), String::new());
    for (field, value) in columns.iter().zip(record.iter()) {
        let value = unguard(value.trim());
        let Some(field) = field else { continue };
        if value.is_empty() {
            continue;
        }
        match field {
            Field::First => c.first_name = value.to_owned(),
            Field::Middle => middle = value.to_owned(),
            Field::Last => c.last_name = value.to_owned(),
            Field::Company => c.company = value.to_owned(),
            Field::Title => c.title = value.to_owned(),
            Field::Email => {
                if c.email.is_empty() {
                    c.email = value.to_owned()
                }
            }
            Field::Street => street = value.replace("\r\n", "\n"),
            Field::City => city = value.to_owned(),
            Field::Postal => postal = value.to_owned(),
            Field::Country => country = value.to_owned(),
            Field::Phone(kind) => {
                if c.numbers.len() < MAX_NUMBERS && !c.numbers.iter().any(|n| n.number == value) {
                    c.numbers.push(Number { kind: *kind, number: value.to_owned() })
                }
            }
            Field::Categories => {
                c.groups = value
                    .split([';', ','])
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
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
    let place = format!("{postal} {city}").trim().to_owned();
    c.address = [street, place, country].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n");
    c.check()?;
    Ok(c)
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
fn guard(s: &str) -> String {
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
}
