//! vCard 3.0 and 4.0 (RFC 2426, RFC 6350): the properties a phonebook needs
//! (N, FN, ORG, TITLE, TEL, EMAIL, ADR, CATEGORIES, UID) and our X-WEBCTI-BOOK.
//! Folded lines, escaped characters and TYPE parameters in either version's
//! spelling are read; unknown properties are skipped.

use super::{BookKind, Contact, FileError, Number, NumberKind, Parsed, Rejected, MAX_NUMBERS};

/// Lines unfolded (a line starting with a space or tab continues the previous
/// one), each with the line number it starts on.
fn unfold(text: &str) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match (line.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some((_, prev))) => prev.push_str(rest),
            _ => out.push((i as u64 + 1, line.to_owned())),
        }
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
    // The value starts after the first colon outside a quoted parameter.
    let mut quoted = false;
    let colon = line.char_indices().find(|(_, c)| {
        if *c == '"' {
            quoted = !quoted;
        }
        *c == ':' && !quoted
    })?;
    let (head, value) = (&line[..colon.0], &line[colon.0 + 1..]);
    let mut params = head.split(';');
    let name = params.next()?.rsplit('.').next()?.to_ascii_uppercase();
    let mut types = Vec::new();
    for p in params {
        let (k, v) = p.split_once('=').unwrap_or(("TYPE", p));
        if k.eq_ignore_ascii_case("TYPE") {
            types.extend(v.trim_matches('"').split(',').map(|t| t.trim().to_ascii_lowercase()));
        }
    }
    Some(Property { name, types, value: value.to_owned() })
}

fn number_kind(types: &[String]) -> NumberKind {
    let has = |t: &str| types.iter().any(|x| x == t);
    if has("fax") {
        NumberKind::Fax
    } else if has("cell") || has("mobile") {
        NumberKind::Mobile
    } else if has("home") {
        NumberKind::Home
    } else if has("work") {
        NumberKind::Work
    } else {
        NumberKind::Other
    }
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
                if c.first_name.is_empty() && c.last_name.is_empty() {
                    if let Some(full) = full {
                        match full.rsplit_once(' ') {
                            Some((first, last)) => {
                                c.first_name = first.to_owned();
                                c.last_name = last.to_owned();
                            }
                            None => c.last_name = full,
                        }
                    }
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
