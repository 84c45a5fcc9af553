//! Bytes of a contact file to text: UTF-8 with or without a byte-order mark,
//! UTF-16 (Outlook's "Unicode" export, with a mark or recognised by its zero
//! bytes), otherwise the Windows code page that reads as real words: 1250 where
//! Polish letters appear, else 1252. The two code pages are tables of their upper
//! halves (from the Unicode consortium's mapping files; bytes they leave
//! undefined read as the C1 control of the same number, as browsers do): a
//! general encoding library would bring every Asian code page onto the board's
//! flash for two tables. A vCard 2.1 value may name its character set; ISO-8859-2
//! is read too there (it differs from 1250 in 32 places).

/// Windows-1250 (Central European), bytes 0x80-0xFF.
const CP1250: [char; 128] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0083}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{0088}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{015A}', '\u{0164}', '\u{017D}', '\u{0179}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{0098}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{015B}', '\u{0165}', '\u{017E}', '\u{017A}',
    '\u{00A0}', '\u{02C7}', '\u{02D8}', '\u{0141}', '\u{00A4}', '\u{0104}', '\u{00A6}', '\u{00A7}',
    '\u{00A8}', '\u{00A9}', '\u{015E}', '\u{00AB}', '\u{00AC}', '\u{00AD}', '\u{00AE}', '\u{017B}',
    '\u{00B0}', '\u{00B1}', '\u{02DB}', '\u{0142}', '\u{00B4}', '\u{00B5}', '\u{00B6}', '\u{00B7}',
    '\u{00B8}', '\u{0105}', '\u{015F}', '\u{00BB}', '\u{013D}', '\u{02DD}', '\u{013E}', '\u{017C}',
    '\u{0154}', '\u{00C1}', '\u{00C2}', '\u{0102}', '\u{00C4}', '\u{0139}', '\u{0106}', '\u{00C7}',
    '\u{010C}', '\u{00C9}', '\u{0118}', '\u{00CB}', '\u{011A}', '\u{00CD}', '\u{00CE}', '\u{010E}',
    '\u{0110}', '\u{0143}', '\u{0147}', '\u{00D3}', '\u{00D4}', '\u{0150}', '\u{00D6}', '\u{00D7}',
    '\u{0158}', '\u{016E}', '\u{00DA}', '\u{0170}', '\u{00DC}', '\u{00DD}', '\u{0162}', '\u{00DF}',
    '\u{0155}', '\u{00E1}', '\u{00E2}', '\u{0103}', '\u{00E4}', '\u{013A}', '\u{0107}', '\u{00E7}',
    '\u{010D}', '\u{00E9}', '\u{0119}', '\u{00EB}', '\u{011B}', '\u{00ED}', '\u{00EE}', '\u{010F}',
    '\u{0111}', '\u{0144}', '\u{0148}', '\u{00F3}', '\u{00F4}', '\u{0151}', '\u{00F6}', '\u{00F7}',
    '\u{0159}', '\u{016F}', '\u{00FA}', '\u{0171}', '\u{00FC}', '\u{00FD}', '\u{0163}', '\u{02D9}',
];

/// Windows-1252 (Western European), bytes 0x80-0xFF.
const CP1252: [char; 128] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
    '\u{00A0}', '\u{00A1}', '\u{00A2}', '\u{00A3}', '\u{00A4}', '\u{00A5}', '\u{00A6}', '\u{00A7}',
    '\u{00A8}', '\u{00A9}', '\u{00AA}', '\u{00AB}', '\u{00AC}', '\u{00AD}', '\u{00AE}', '\u{00AF}',
    '\u{00B0}', '\u{00B1}', '\u{00B2}', '\u{00B3}', '\u{00B4}', '\u{00B5}', '\u{00B6}', '\u{00B7}',
    '\u{00B8}', '\u{00B9}', '\u{00BA}', '\u{00BB}', '\u{00BC}', '\u{00BD}', '\u{00BE}', '\u{00BF}',
    '\u{00C0}', '\u{00C1}', '\u{00C2}', '\u{00C3}', '\u{00C4}', '\u{00C5}', '\u{00C6}', '\u{00C7}',
    '\u{00C8}', '\u{00C9}', '\u{00CA}', '\u{00CB}', '\u{00CC}', '\u{00CD}', '\u{00CE}', '\u{00CF}',
    '\u{00D0}', '\u{00D1}', '\u{00D2}', '\u{00D3}', '\u{00D4}', '\u{00D5}', '\u{00D6}', '\u{00D7}',
    '\u{00D8}', '\u{00D9}', '\u{00DA}', '\u{00DB}', '\u{00DC}', '\u{00DD}', '\u{00DE}', '\u{00DF}',
    '\u{00E0}', '\u{00E1}', '\u{00E2}', '\u{00E3}', '\u{00E4}', '\u{00E5}', '\u{00E6}', '\u{00E7}',
    '\u{00E8}', '\u{00E9}', '\u{00EA}', '\u{00EB}', '\u{00EC}', '\u{00ED}', '\u{00EE}', '\u{00EF}',
    '\u{00F0}', '\u{00F1}', '\u{00F2}', '\u{00F3}', '\u{00F4}', '\u{00F5}', '\u{00F6}', '\u{00F7}',
    '\u{00F8}', '\u{00F9}', '\u{00FA}', '\u{00FB}', '\u{00FC}', '\u{00FD}', '\u{00FE}', '\u{00FF}',
];

/// ISO-8859-2 (Latin-2, what older Polish and Czech programs name), bytes
/// 0xA0-0xBF. From 0xC0 on it is Windows-1250, and 0x80-0x9F are the C1
/// controls.
const LATIN2_A0: [char; 32] = [
    '\u{00A0}', '\u{0104}', '\u{02D8}', '\u{0141}', '\u{00A4}', '\u{013D}', '\u{015A}', '\u{00A7}',
    '\u{00A8}', '\u{0160}', '\u{015E}', '\u{0164}', '\u{0179}', '\u{00AD}', '\u{017D}', '\u{017B}',
    '\u{00B0}', '\u{0105}', '\u{02DB}', '\u{0142}', '\u{00B4}', '\u{013E}', '\u{015B}', '\u{02C7}',
    '\u{00B8}', '\u{0161}', '\u{015F}', '\u{0165}', '\u{017A}', '\u{02DD}', '\u{017E}', '\u{017C}',
];

/// Letters of 1250 that 1252 would show as symbols (ą ł ś ż ź ć ń ę, in both cases).
const POLISH: &str = "ąćęłńśźżĄĆĘŁŃŚŹŻ";

fn code_page(bytes: &[u8], table: &[char; 128]) -> String {
    bytes.iter().map(|b| if *b < 0x80 { char::from(*b) } else { table[usize::from(*b - 0x80)] }).collect()
}

fn utf16(bytes: &[u8], little_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|p| {
        if little_endian {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// How a file's bytes were written: what [`decode_as`] found, for
/// [`encode`] to write a changed file back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8 { bom: bool },
    Utf16 { little_endian: bool, bom: bool },
    Cp1250,
    Cp1252,
}

pub fn decode(bytes: &[u8]) -> String {
    decode_as(bytes).0
}

/// The text of a file and the encoding it was found in.
pub fn decode_as(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (String::from_utf8_lossy(rest).into_owned(), Encoding::Utf8 { bom: true });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return (utf16(rest, true), Encoding::Utf16 { little_endian: true, bom: true });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return (utf16(rest, false), Encoding::Utf16 { little_endian: false, bom: true });
    }
    // UTF-16 without a mark: every other byte zero in mostly ASCII text (zero
    // bytes are valid UTF-8 too, but no text file has them).
    if bytes.len() >= 4 && bytes.len().is_multiple_of(2) {
        let half = bytes.len() / 2;
        let zeros_odd = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        let zeros_even = bytes.iter().step_by(2).filter(|b| **b == 0).count();
        if zeros_odd * 2 > half {
            return (utf16(bytes, true), Encoding::Utf16 { little_endian: true, bom: false });
        }
        if zeros_even * 2 > half {
            return (utf16(bytes, false), Encoding::Utf16 { little_endian: false, bom: false });
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_owned(), Encoding::Utf8 { bom: false });
    }
    let cp1250 = code_page(bytes, &CP1250);
    if cp1250.chars().any(|c| POLISH.contains(c)) {
        return (cp1250, Encoding::Cp1250);
    }
    (code_page(bytes, &CP1252), Encoding::Cp1252)
}

/// Text as bytes in `encoding`; `Err` names the first character a code page
/// has no byte for.
pub fn encode(text: &str, encoding: Encoding) -> Result<Vec<u8>, char> {
    match encoding {
        Encoding::Utf8 { bom } => {
            let mut out = if bom { vec![0xEF, 0xBB, 0xBF] } else { Vec::new() };
            out.extend_from_slice(text.as_bytes());
            Ok(out)
        }
        Encoding::Utf16 { little_endian, bom } => {
            let mark = bom.then_some('\u{FEFF}');
            Ok(mark
                .into_iter()
                .chain(text.chars())
                .flat_map(|c| {
                    let mut units = [0u16; 2];
                    c.encode_utf16(&mut units).to_vec()
                })
                .flat_map(|u| if little_endian { u.to_le_bytes() } else { u.to_be_bytes() })
                .collect())
        }
        Encoding::Cp1250 => to_code_page(text, &CP1250),
        Encoding::Cp1252 => to_code_page(text, &CP1252),
    }
}

fn to_code_page(text: &str, table: &[char; 128]) -> Result<Vec<u8>, char> {
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b) if b < 0x80 => Ok(b),
            _ => table.iter().position(|t| *t == c).map(|i| 0x80 + i as u8).ok_or(c),
        })
        .collect()
}

fn latin2(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match *b {
            0x00..=0x9F => char::from(*b),
            0xA0..=0xBF => LATIN2_A0[usize::from(*b - 0xA0)],
            _ => CP1250[usize::from(*b - 0x80)],
        })
        .collect()
}

/// Bytes in the character set a file names for them (a vCard 2.1's `CHARSET`
/// parameter), or, where it names none or one not known here, read as a whole
/// file is ([`decode`]).
pub fn decode_named(bytes: &[u8], charset: Option<&str>) -> String {
    let name = charset.map(|c| c.trim().to_ascii_lowercase().replace(['-', '_'], ""));
    match name.as_deref() {
        Some("utf8") => String::from_utf8_lossy(bytes).into_owned(),
        Some("windows1250" | "cp1250") => code_page(bytes, &CP1250),
        // Files that say ISO-8859-1 are mostly written in 1252, its superset.
        Some("windows1252" | "cp1252" | "iso88591" | "latin1" | "usascii" | "ascii") => {
            code_page(bytes, &CP1252)
        }
        Some("iso88592" | "latin2") => latin2(bytes),
        _ => decode(bytes),
    }
}

/// UTF-8 with a byte-order mark: Outlook and Excel take the mark as the sign
/// that the file is UTF-8, so Polish and German names survive.
pub fn encode_for_outlook(text: &str) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend_from_slice(text.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_real_files_come_in() {
        assert_eq!(decode("Łódź".as_bytes()), "Łódź");
        assert_eq!(decode(b"\xEF\xBB\xBFZa\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87"), "Zażółć");
        // Windows-1250: "Zażółć gęślą jaźń", and the capitals.
        assert_eq!(decode(b"Za\xBF\xF3\xB3\xE6 g\xEA\x9Cl\xB9 ja\x9F\xF1"), "Zażółć gęślą jaźń");
        assert_eq!(decode(b"\xA3\xA5\xCA\x8C\x8F\xAF\xC6\xD1\xD3"), "ŁĄĘŚŹŻĆŃÓ");
        // Windows-1252: "Müller, Straße – €5"
        assert_eq!(decode(b"M\xFCller, Stra\xDFe \x96 \x805"), "Müller, Straße – €5");
        let le: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("Jörg".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&le), "Jörg");
        let be: Vec<u8> =
            [0xFE, 0xFF].into_iter().chain("Jörg".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(&be), "Jörg");
        let bare: Vec<u8> = "First Name,Łukasz".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&bare), "First Name,Łukasz");
    }

    /// A file changed and written back keeps the encoding it came in.
    #[test]
    fn text_is_written_back_in_the_encoding_it_was_read_in() {
        let text = "Nazwisko;Firma\r\nŻółć;Müller & Łódź\r\n";
        for encoding in [
            Encoding::Utf8 { bom: false },
            Encoding::Utf8 { bom: true },
            Encoding::Utf16 { little_endian: true, bom: true },
            Encoding::Utf16 { little_endian: false, bom: true },
            Encoding::Utf16 { little_endian: true, bom: false },
            Encoding::Cp1250,
        ] {
            let bytes = encode(text, encoding).expect("every letter has a byte");
            assert_eq!(decode_as(&bytes), (text.to_owned(), encoding), "{encoding:?}");
        }
        let german = "Name;Ort\r\nMüller;Straße\r\n";
        let bytes = encode(german, Encoding::Cp1252).expect("German letters are in 1252");
        assert_eq!(decode_as(&bytes), (german.to_owned(), Encoding::Cp1252));
        // 1252 has no Ł: the letter is named, nothing is written in its place.
        assert_eq!(encode("Łódź", Encoding::Cp1252), Err('Ł'));
        assert_eq!(encode("日本", Encoding::Cp1250), Err('日'));
    }

    #[test]
    fn a_named_character_set_wins_over_the_guess() {
        let cases: &[(&[u8], Option<&str>, &str)] = &[
            (b"\xC5\x81\xC3\xB3d\xC5\xBA", Some("UTF-8"), "Łódź"),
            (b"\xA3\xF3d\x9F", Some("windows-1250"), "Łódź"),
            (b"\xA3\xF3d\xBC", Some("ISO-8859-2"), "Łódź"),
            (b"\xA3\xF3d\xBC", Some("iso_8859-2"), "Łódź"),
            (b"M\xFCller", Some("ISO-8859-1"), "Müller"),
            (b"M\xFCller", Some("Windows-1252"), "Müller"),
            // No name, or one not known: guessed as a whole file would be.
            (b"M\xFCller", None, "Müller"),
            (b"\xA3\xF3d\x9F", None, "Łódź"),
            (b"\xC5\x81\xC3\xB3d\xC5\xBA", Some("x-unknown"), "Łódź"),
        ];
        for (bytes, charset, text) in cases {
            assert_eq!(decode_named(bytes, *charset), *text, "{charset:?}");
        }
    }

    #[test]
    fn the_tables_agree_with_an_independent_decoder() {
        let upper: Vec<u8> = (0x80..=0xFF).collect();
        for (table, encoding) in [(&CP1250, encoding_rs::WINDOWS_1250), (&CP1252, encoding_rs::WINDOWS_1252)]
        {
            let (theirs, _) = encoding.decode_without_bom_handling(&upper);
            assert_eq!(code_page(&upper, table), theirs, "{}", encoding.name());
        }
        let (theirs, _) = encoding_rs::ISO_8859_2.decode_without_bom_handling(&upper);
        assert_eq!(latin2(&upper), theirs, "ISO-8859-2");
    }
}
