//! vCard 2.1, 3.0 and 4.0 (the versit 2.1 text, RFC 2426, RFC 6350): the
//! properties a phonebook needs (N, FN, ORG, TITLE, TEL, EMAIL, ADR, CATEGORIES,
//! UID) and our X-WEBCTI-BOOK. Folded lines, escaped characters and TYPE
//! parameters in every version's spelling are read, and 2.1's own ways too:
//! bare types (`TEL;WORK;VOICE:`), quoted-printable values with soft line breaks,
//! each in the character set its `CHARSET` names (or, without one, the one its
//! bytes read as), and base64 values whose lines are not indented. Unknown
//! properties are skipped.

use super::{text, BookKind, Contact, FileError, Number, NumberKind, Parsed, Rejected, MAX_NUMBERS};

/// Lines unfolded, each with the line number it starts on: a line starting with
/// a space or tab continues the one before; so does the line after a
/// quoted-printable value that ends in `=` (a soft line break, which is taken
/// away), and a line of a base64 value that has no colon (2.1 lets those
/// stand unindented until an empty line).
fn unfold(text: &str) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((_, prev)) = out.last_mut() {
            let encoding = encoding_of(prev);
            if encoding == Encoding::QuotedPrintable && prev.ends_with('=') {
                prev.pop();
                prev.push_str(line);
                continue;
            }
            if let Some(rest) = line.strip_prefix([' ', '\t']) {
                prev.push_str(rest);
                continue;
            }
            if encoding == Encoding::Base64 && !line.trim().is_empty() && !line.contains(':') {
                prev.push_str(line.trim());
                continue;
            }
        }
        out.push((i as u64 + 1, line.to_owned()));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Plain,
    QuotedPrintable,
    Base64,
}

/// The encoding a content line's parameters name (`ENCODING=QUOTED-PRINTABLE`,
/// or 2.1's bare `QUOTED-PRINTABLE`; `BASE64` and 3.0's `b` likewise).
fn encoding_of(line: &str) -> Encoding {
    let Some(colon) = value_start(line) else { return Encoding::Plain };
    let mut encoding = Encoding::Plain;
    for p in line[..colon].split(';').skip(1) {
        let v = p
            .split_once('=')
            .map_or(p, |(k, v)| if k.trim().eq_ignore_ascii_case("ENCODING") { v } else { "" });
        match v.trim().trim_matches('"').to_ascii_uppercase().as_str() {
            "QUOTED-PRINTABLE" => encoding = Encoding::QuotedPrintable,
            "BASE64" | "B" => encoding = Encoding::Base64,
            _ => {}
        }
    }
    encoding
}

/// Where a content line's value starts: after the first colon outside a quoted
/// parameter.
fn value_start(line: &str) -> Option<usize> {
    let mut quoted = false;
    line.char_indices()
        .find(|(_, c)| {
            if *c == '"' {
                quoted = !quoted;
            }
            *c == ':' && !quoted
        })
        .map(|(i, _)| i)
}

/// Quoted-printable to bytes: `=XX` is the byte XX; anything else, a lone `=`
/// among it, stands for itself.
fn quoted_printable(s: &str) -> Vec<u8> {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if let (Some(high), Some(low)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                // Two hex digits make at most 0xFF.
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits on `sep` where it is not escaped.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            if let Some(p) = parts.last_mut() {
                p.push('\\');
                p.push(c);
            }
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(String::new());
        } else if let Some(p) = parts.last_mut() {
            p.push(c);
        }
    }
    parts.into_iter().map(|p| unescape(&p)).collect()
}

struct Property {
    name: String,
    types: Vec<String>,
    value: String,
}

fn property(line: &str) -> Option<Property> {
    let colon = value_start(line)?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut params = head.split(';');
    let name = params.next()?.rsplit('.').next()?.to_ascii_uppercase();
    let mut types = Vec::new();
    let mut charset = None;
    for p in params {
        // 2.1 writes types bare (`TEL;WORK;VOICE`), later versions as TYPE=.
        let (k, v) = p.split_once('=').unwrap_or(("TYPE", p));
        if k.eq_ignore_ascii_case("TYPE") {
            types.extend(v.trim_matches('"').split(',').map(|t| t.trim().to_ascii_lowercase()));
        } else if k.eq_ignore_ascii_case("CHARSET") {
            charset = Some(v.trim_matches('"'));
        }
    }
    let value = match encoding_of(line) {
        Encoding::QuotedPrintable => {
            text::decode_named(&quoted_printable(value), charset).replace("\r\n", "\n")
        }
        Encoding::Plain | Encoding::Base64 => value.to_owned(),
    };
    Some(Property { name, types, value })
}

fn number_kind(types: &[String]) -> NumberKind {
    NumberKind::from_words(types.iter().map(String::as_str))
}

pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let lines = unfold(text);
    if !lines.iter().any(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VCARD")) {
        return Err(FileError::NotVCard);
    }
    let mut parsed = Parsed::default();
    let mut current: Option<(u64, Contact, Option<String>)> = None;
    for (n, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.eq_ignore_ascii_case("BEGIN:VCARD") {
            if let Some((start, _, _)) = current.take() {
                parsed.reject(Rejected::new(start, "import.no_end", ""));
            }
            current = Some((n, Contact::default(), None));
            continue;
        }
        let Some((start, c, full_name)) = current.as_mut() else {
            parsed.reject(Rejected::new(n, "import.outside_card", ""));
            continue;
        };
        if trimmed.eq_ignore_ascii_case("END:VCARD") {
            let start = *start;
            if let Some((_, mut c, full)) = current.take() {
                if let Some(full) = full {
                    c.name_from_full(&full);
                }
                match c.check() {
                    Ok(()) => parsed.contacts.push((start, c)),
                    Err(problem) => parsed.reject(Rejected { line: start, problem }),
                }
            }
            continue;
        }
        let Some(p) = property(trimmed) else {
            parsed.reject(Rejected::new(n, "import.bad_line", trimmed));
            current = None;
            continue;
        };
        match p.name.as_str() {
            "N" => {
                let parts = split_unescaped(&p.value, ';');
                c.last_name = parts.first().cloned().unwrap_or_default().trim().to_owned();
                let given = parts.get(1).cloned().unwrap_or_default();
                let middle = parts.get(2).cloned().unwrap_or_default();
                c.first_name = format!("{given} {middle}").trim().to_owned();
            }
            "FN" => *full_name = Some(unescape(&p.value).trim().to_owned()),
            "ORG" => c.company = split_unescaped(&p.value, ';').join(" ").trim().to_owned(),
            "TITLE" => c.title = unescape(&p.value),
            "EMAIL" if c.email.is_empty() => c.email = unescape(&p.value).trim().to_owned(),
            "TEL" => {
                let value = p.value.trim();
                let number = value.strip_prefix("tel:").unwrap_or(value).to_owned();
                if c.numbers.len() < MAX_NUMBERS && !number.is_empty() {
                    c.numbers.push(Number { kind: number_kind(&p.types), number });
                }
            }
            "ADR" => {
                // PO box; extended; street; locality; region; postal code; country
                let a = split_unescaped(&p.value, ';');
                let get = |i: usize| a.get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
                let place = format!("{} {}", get(5), get(3)).trim().to_owned();
                c.address = [get(2), place, get(6)]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            "CATEGORIES" => {
                c.groups = split_unescaped(&p.value, ',')
                    .into_iter()
                    .map(|g| g.trim().to_owned())
                    .filter(|g| !g.is_empty())
                    .collect()
            }
            "UID" => {
                c.uid = Some(unescape(&p.value).trim().to_owned()).filter(|u| !u.is_empty() && u.len() <= 200)
            }
            "X-WEBCTI-BOOK" => match BookKind::parse(&p.value) {
                Some(b) => c.book = Some(b),
                None => {
                    parsed.reject(Rejected::new(*start, "import.unknown_book", &p.value));
                    current = None;
                }
            },
            _ => {}
        }
    }
    if let Some((start, _, _)) = current {
        parsed.reject(Rejected::new(start, "import.no_end", ""));
    }
    Ok(parsed)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// vCards of the given version ("3.0" or "4.0").
pub fn export(contacts: &[Contact], version4: bool) -> Vec<u8> {
    let mut out = String::new();
    for c in contacts {
        let mut lines = vec![
            "BEGIN:VCARD".to_owned(),
            format!("VERSION:{}", if version4 { "4.0" } else { "3.0" }),
            format!("N:{};{};;;", escape(&c.last_name), escape(&c.first_name)),
            format!("FN:{}", escape(format!("{} {}", c.first_name, c.last_name).trim())),
        ];
        if !c.company.is_empty() {
            lines.push(format!("ORG:{}", escape(&c.company)));
        }
        if !c.title.is_empty() {
            lines.push(format!("TITLE:{}", escape(&c.title)));
        }
        for n in &c.numbers {
            let t = match n.kind {
                NumberKind::Work => "work,voice",
                NumberKind::Mobile => "cell",
                NumberKind::Home => "home,voice",
                NumberKind::Fax => "work,fax",
                NumberKind::Other => "voice",
            };
            if version4 {
                lines.push(format!("TEL;VALUE=uri;TYPE=\"{t}\":tel:{}", n.number.replace(' ', "-")));
            } else {
                lines.push(format!("TEL;TYPE={}:{}", t.to_ascii_uppercase(), n.number));
            }
        }
        if !c.email.is_empty() {
            lines.push(format!(
                "EMAIL;TYPE={}:{}",
                if version4 { "work" } else { "INTERNET" },
                escape(&c.email)
            ));
        }
        if !c.address.is_empty() {
            lines.push(format!(
                "ADR;TYPE={}:;;{};;;;",
                if version4 { "work" } else { "WORK" },
                escape(&c.address)
            ));
        }
        if !c.groups.is_empty() {
            lines.push(format!(
                "CATEGORIES:{}",
                c.groups.iter().map(|g| escape(g)).collect::<Vec<_>>().join(",")
            ));
        }
        if let Some(uid) = &c.uid {
            lines.push(format!("UID:{}", escape(uid)));
        }
        if let Some(book) = c.book {
            lines.push(format!("X-WEBCTI-BOOK:{}", book.code()));
        }
        lines.push("END:VCARD".to_owned());
        for l in lines {
            fold(&l, &mut out);
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_escaped_and_typed() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nowak;Anna;;;\r\nFN:Anna Nowak\r\nORG:Kowalski\\, Nowak i S\r\n ka\r\nTEL;TYPE=WORK,VOICE:+48 22 123 45 67\r\nTEL;TYPE=CELL:600 100 200\r\nitem1.TEL;type=HOME:22 765 43 21\r\nEND:VCARD\r\n";
        let p = parse(text).expect("parse");
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let c = &p.contacts[0].1;
        assert_eq!((c.first_name.as_str(), c.last_name.as_str()), ("Anna", "Nowak"));
        assert_eq!(c.company, "Kowalski, Nowak i Ska");
        let kinds: Vec<NumberKind> = c.numbers.iter().map(|n| n.kind).collect();
        assert_eq!(kinds, [NumberKind::Work, NumberKind::Mobile, NumberKind::Home]);
    }

    fn one(text: &str) -> Contact {
        let p = parse(text).expect("parse");
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.contacts.len(), 1);
        p.contacts[0].1.clone()
    }

    fn numbers(c: &Contact) -> Vec<(NumberKind, &str)> {
        c.numbers.iter().map(|n| (n.kind, n.number.as_str())).collect()
    }

    /// vCard 2.1 as Android's Contacts app writes it: UTF-8 quoted-printable
    /// with a soft line break, bare types, a custom label, an indented photo.
    #[test]
    fn version_2_1_from_android() {
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\n\
            N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C5=81=C3=B3d=C5=BA;Zofia;Maria;;\r\n\
            FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Zofia Maria =C5=81=C3=B3=\r\nd=C5=BA\r\n\
            TEL;CELL;PREF:+48 600 100 200\r\nTEL;WORK:22 123 45 67\r\nTEL;HOME;FAX:22 765 43 21\r\n\
            TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,Babcia):+48 12 345 67 89\r\n\
            EMAIL;HOME:zofia@example.pl\r\n\
            ADR;WORK;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;ul. =C5=9Awi=C4=99tokrzyska 1;Warszawa;;00-=\r\n001;Polska\r\n\
            PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\n AAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n\
            END:VCARD\r\n";
        let c = one(text);
        assert_eq!((c.first_name.as_str(), c.last_name.as_str()), ("Zofia Maria", "Łódź"));
        assert_eq!(
            numbers(&c),
            [
                (NumberKind::Mobile, "+48 600 100 200"),
                (NumberKind::Work, "22 123 45 67"),
                (NumberKind::Fax, "22 765 43 21"),
                (NumberKind::Other, "+48 12 345 67 89"),
            ]
        );
        assert_eq!(c.email, "zofia@example.pl");
        assert_eq!(c.address, "ul. Świętokrzyska 1\n00-001 Warszawa\nPolska");
    }

    /// vCard 2.1 as Outlook 2003 writes it: Windows-1252 named by CHARSET (raw
    /// bytes, so the file is read as 1252), an address in quoted-printable with
    /// an encoded line break, and a photo whose base64 lines are not indented.
    #[test]
    fn version_2_1_from_outlook() {
        let bytes = b"BEGIN:VCARD\r\nVERSION:2.1\r\n\
            N;LANGUAGE=de;CHARSET=Windows-1252:M\xFCller;J\xF6rg\r\n\
            FN:J\xF6rg M\xFCller\r\nORG:\xC4rzte GmbH;Vertrieb\r\nTITLE:Gesch\xE4ftsf\xFChrer\r\n\
            TEL;WORK;VOICE:+49 221 1234567\r\nTEL;CAR;VOICE:+49 171 7654321\r\n\
            TEL;WORK;FAX:+49 221 1234568\r\n\
            ADR;WORK;ENCODING=QUOTED-PRINTABLE:;;Domstra=DFe 1=0D=0AHinterhaus;K=F6ln;;50667;Deutschland\r\n\
            PHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n/9j/4AAQSkZJRgABAQEAYABgAAD\r\nAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n\
            EMAIL;PREF;INTERNET:joerg@example.de\r\nREV:20260101T120000Z\r\nEND:VCARD\r\n";
        let c = one(&text::decode(bytes));
        assert_eq!((c.first_name.as_str(), c.last_name.as_str()), ("Jörg", "Müller"));
        assert_eq!((c.company.as_str(), c.title.as_str()), ("Ärzte GmbH Vertrieb", "Geschäftsführer"));
        assert_eq!(
            numbers(&c),
            [
                (NumberKind::Work, "+49 221 1234567"),
                (NumberKind::Mobile, "+49 171 7654321"),
                (NumberKind::Fax, "+49 221 1234568"),
            ]
        );
        assert_eq!(c.address, "Domstraße 1\nHinterhaus\n50667 Köln\nDeutschland");
        assert_eq!(c.email, "joerg@example.de");
    }

    /// Quoted-printable of 8-bit text without a CHARSET: each value is read as
    /// its bytes read best (here Windows-1250 and then UTF-8), and a bare
    /// QUOTED-PRINTABLE parameter is 2.1's short form.
    #[test]
    fn version_2_1_quoted_printable_without_a_charset() {
        let cases: &[(&str, &str, &str)] = &[
            ("N;ENCODING=QUOTED-PRINTABLE:=A3=F3d=9F;Zofia", "Zofia", "Łódź"),
            ("N;QUOTED-PRINTABLE:=C5=81=C3=B3d=C5=BA;Zofia", "Zofia", "Łódź"),
            ("N;ENCODING=QUOTED-PRINTABLE:M=FCller;J=F6rg", "Jörg", "Müller"),
            ("N;CHARSET=ISO-8859-2;ENCODING=QUOTED-PRINTABLE:=A3=F3d=BC;Zofia", "Zofia", "Łódź"),
            // A lone "=" that starts no escape stands for itself.
            ("N;ENCODING=QUOTED-PRINTABLE:A=3DB =;C", "C", "A=B ="),
        ];
        for (line, first, last) in cases {
            let c = one(&format!("BEGIN:VCARD\nVERSION:2.1\n{line}\nTEL:101\nEND:VCARD\n"));
            assert_eq!((c.first_name.as_str(), c.last_name.as_str()), (*first, *last), "{line}");
        }
    }

    #[test]
    fn export_reads_back_in_both_versions() {
        let c = Contact {
            first_name: "Jörg".into(),
            last_name: "Müller-Lüdenscheidt; Sohn".into(),
            company: "Ärzte, GmbH".into(),
            numbers: vec![
                Number { kind: NumberKind::Work, number: "+49 221 1234567".into() },
                Number { kind: NumberKind::Fax, number: "0221 7654321".into() },
            ],
            groups: vec!["Kunden".into(), "VIP".into()],
            book: Some(BookKind::Public),
            uid: Some("abc-1".into()),
            address: "Domstraße 1\n50667 Köln".into(),
            ..Default::default()
        };
        for v4 in [false, true] {
            let bytes = export(std::slice::from_ref(&c), v4);
            let p = parse(&String::from_utf8(bytes).expect("utf8")).expect("parse");
            let mut back = p.contacts[0].1.clone();
            for n in &mut back.numbers {
                n.number = n.number.replace('-', " ");
            }
            assert_eq!(back, c, "version 4: {v4}");
        }
    }
}
