//! Contact files as the programs people use write them (SPEC W6), uploaded on
//! the phonebook page the way a subscriber does: Google Contacts' CSV (today's
//! label/value columns and the older type/value ones, in UTF-16), Outlook.com's
//! CSV, German Outlook 365 (`Telefon (privat)`), Polish Outlook in Windows-1250,
//! and vCard 2.1 from Android (quoted-printable UTF-8) and Outlook 2003
//! (Windows-1252). Each file's contacts come back in the book's export with
//! their names decoded and every number kept, of the kind the file gave it.

mod support;

use webcti::phonebook::{self, NumberKind};

use support::portal::{seeded_db, Browser};
use support::Service;

use NumberKind::{Fax, Home, Mobile, Other, Work};

/// A contact as a user checks it: name as listed, company, e-mail, numbers.
type Seen = (String, String, String, Vec<(NumberKind, String)>);

fn seen(name: &str, company: &str, email: &str, numbers: &[(NumberKind, &str)]) -> Seen {
    let numbers = numbers.iter().map(|(k, n)| (*k, (*n).to_owned())).collect();
    (name.to_owned(), company.to_owned(), email.to_owned(), numbers)
}

fn utf16le_with_bom(s: &str) -> Vec<u8> {
    [0xFF, 0xFE].into_iter().chain(s.encode_utf16().flat_map(u16::to_le_bytes)).collect()
}

/// Google Contacts' export today: UTF-8, the label/value columns, several
/// numbers in one cell, the primary one marked "* ", Google's own groups.
const GOOGLE: &str = "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,Organization Title,Organization Department,Birthday,Notes,Photo,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Phone 3 - Label,Phone 3 - Value,Address 1 - Label,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address
Grażyna,,Wiśniewska,,,,,,,,\"Wiśniewski, Syn i S-ka\",Prezes,,,\"Notatka, z przecinkiem\",,* myContacts ::: Klienci,* Work,grazyna@example.pl,* Mobile,+48 601 200 300 ::: +48 602 200 300,Work,22 555 01 02,Work Fax,22 555 01 09,Work,\"ul. Prosta 1
00-001 Warszawa\",ul. Prosta 1,Warszawa,,,00-001,Polska,
Tomasz,,Lis,,,,,,,,,,,,,,* myContacts,,,Babcia,+48 12 345 67 89,Home,12 345 00 00,,,,,,,,,,,
";

/// Google's older export: UTF-16 with a byte-order mark, type/value columns,
/// the name written whole beside its parts (and alone on the second row).
const GOOGLE_OLD: &str = "Name,Given Name,Additional Name,Family Name,Yomi Name,Given Name Yomi,Additional Name Yomi,Family Name Yomi,Name Prefix,Name Suffix,Initials,Nickname,Short Name,Maiden Name,Birthday,Gender,Location,Billing Information,Directory Server,Mileage,Occupation,Hobby,Sensitivity,Priority,Subject,Notes,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,Organization 1 - Type,Organization 1 - Name,Organization 1 - Title\r
Hans Peter Gruber,Hans,Peter,Gruber,,,,,,,,,,,,,,,,,,,,,,,* My Contacts,* Home,hp@example.at,Mobile,+43 664 1234567,Main,+43 1 5880 0,,Gruber KG,Inhaber\r
Ewa Zając,,,,,,,,,,,,,,,,,,,,,,,,,,* My Contacts,,,Home,+48 22 600 70 80,,,,,\r
";

/// Outlook.com's export: UTF-8 with a byte-order mark, English headers, the
/// car, the switchboard, the assistant, a pager and a home fax.
const OUTLOOK_COM: &str = "\u{feff}First Name,Middle Name,Last Name,Title,Suffix,Nickname,Given Yomi,Surname Yomi,E-mail Address,E-mail 2 Address,E-mail 3 Address,Home Phone,Home Phone 2,Business Phone,Business Phone 2,Mobile Phone,Car Phone,Other Phone,Primary Phone,Pager,Business Fax,Home Fax,Other Fax,Company Main Phone,Callback,Radio Phone,Telex,TTY/TDD Phone,IMAddress,Job Title,Department,Company,Office Location,Manager's Name,Assistant's Name,Assistant's Phone,Company Yomi,Business Street,Business City,Business State,Business Postal Code,Business Country/Region\r
Mary,,O'Neill,Ms.,,,,,mary@example.ie,,,+353 1 555 0100,,+353 1 555 0200,,+353 87 555 0300,+353 86 555 0400,,,+353 1 555 0999,,+353 1 555 0101,,+353 1 555 0000,,,1234567,,,Director,,Example Ltd,,,,+353 1 555 0201,,1 Main St,Dublin,,D01,Ireland\r
";

/// German Outlook 365: Windows-1252, semicolons, the headers in parentheses,
/// a street with a line break in quotes.
const OUTLOOK_DE: &str = "Anrede;Vorname;Zweiter Vorname;Nachname;Suffix;Firma;Abteilung;Position;Straße (geschäftlich);Ort (geschäftlich);Postleitzahl (geschäftlich);Land/Region (geschäftlich);Telefon (geschäftlich);Telefon (geschäftlich) 2;Telefon (Firma);Fax (geschäftlich);Telefon (privat);Telefon (privat) 2;Fax (privat);Mobiltelefon;Autotelefon;Weiteres Telefon;Pager;E-Mail-Adresse\r
Herr;Jörg;;Müller;;Bäckerei Müller;;Inhaber;\"Domstraße 1\r
Hinterhaus\";Köln;50667;Deutschland;0221 1234567;;0221 1234500;0221 1234568;0221 7654321;;;0171 7654321;0172 1111111;;;joerg@example.de\r
";

/// Polish Outlook 2016: Windows-1250, semicolons, its own spellings.
const OUTLOOK_PL: &str = "Tytuł;Imię;Drugie imię;Nazwisko;Firma;Stanowisko;Ulica (służbowy);Miejscowość (służbowy);Kod pocztowy (służbowy);Telefon asystenta;Faks służbowy;Telefon służbowy;Główny telefon firmowy;Telefon domowy;Telefon komórkowy;Telefon w samochodzie;Inny telefon;Adres e-mail\r
;Łukasz;;Żółkiewski;Hetman sp. z o.o.;Kierownik;ul. Łąkowa 5;Łódź;90-001;42 600 00 02;42 600 00 09;42 600 00 01;42 600 00 00;;+48 603 000 000;;;lukasz@example.pl\r
";

/// vCard 2.1 from Android's Contacts app: quoted-printable UTF-8 with soft
/// line breaks, bare types, a custom label, an indented photo.
const ANDROID: &str = "BEGIN:VCARD\r
VERSION:2.1\r
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C5=9Awi=C4=85tek;Ma=C5=82gorzata;;;\r
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Ma=C5=82gorzata =C5=9Awi=C4=85=\r
tek\r
TEL;CELL;PREF:+48 604 111 222\r
TEL;HOME:+48 22 444 55 66\r
TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,Dzia=C5=82ka):+48 29 111 22 33\r
PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r
 AAAAAAAAAAAAAAAAAAAA==\r
\r
END:VCARD\r
";

/// vCard 2.1 from Outlook 2003: Windows-1252 named by CHARSET, an address in
/// quoted-printable, a photo with unindented base64 lines.
const OUTLOOK_2003: &[u8] = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=de;CHARSET=Windows-1252:Sch\xF6n;Bj\xF6rn\r\nFN:Bj\xF6rn Sch\xF6n\r\nORG:Sch\xF6n & S\xF6hne\r\nTEL;WORK;VOICE:+49 89 1234567\r\nTEL;CAR;VOICE:+49 160 1234567\r\nTEL;WORK;FAX:+49 89 1234568\r\nADR;WORK;ENCODING=QUOTED-PRINTABLE:;;Marienplatz 1=0D=0A2. Stock;M=FCnchen;;80331;Deutschland\r\nPHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n/9j/4AAQSkZJRgABAQEAYABgAAD\r\nAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\nEMAIL;PREF;INTERNET:bjoern@example.de\r\nEND:VCARD\r\n";

#[test]
fn the_files_people_have_import_with_every_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let files: [(&str, Vec<u8>, usize); 7] = [
        ("google.csv", GOOGLE.as_bytes().to_vec(), 2),
        ("google-old.csv", utf16le_with_bom(GOOGLE_OLD), 2),
        ("outlook-com.csv", OUTLOOK_COM.as_bytes().to_vec(), 1),
        ("kontakte.csv", encoding_rs::WINDOWS_1252.encode(OUTLOOK_DE).0.into_owned(), 1),
        ("kontakty.csv", encoding_rs::WINDOWS_1250.encode(OUTLOOK_PL).0.into_owned(), 1),
        ("android.vcf", ANDROID.as_bytes().to_vec(), 1),
        ("outlook.vcf", OUTLOOK_2003.to_vec(), 1),
    ];
    for (name, bytes, added) in files {
        anna.get("/phonebook");
        let r = anna.post_file("/phonebook/import", &[("format", "auto"), ("book", "private")], name, &bytes);
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        assert!(r.body.contains(&format!("{added} added")), "{name}: {}", r.body);
        assert!(!r.body.contains("Line "), "{name}: no row is refused: {}", r.body);
    }

    // The book as a vCard 4.0 export (the export the tests of the exports keep
    // honest) holds every contact as its file gave it.
    let export = anna.get("/phonebook/export?format=vcard4&view=private");
    assert_eq!(export.status, 200, "{}", export.body);
    let parsed = phonebook::parse(export.body.as_bytes(), None).expect("our export reads");
    let mut got: Vec<Seen> = parsed
        .contacts
        .into_iter()
        .map(|(_, c)| {
            let numbers = c.numbers.iter().map(|n| (n.kind, n.number.replace('-', " "))).collect();
            (c.display_name(), c.company, c.email, numbers)
        })
        .collect();
    got.sort();
    let mut want = vec![
        seen(
            "Wiśniewska Grażyna",
            "Wiśniewski, Syn i S-ka",
            "grazyna@example.pl",
            &[
                (Mobile, "+48 601 200 300"),
                (Mobile, "+48 602 200 300"),
                (Work, "22 555 01 02"),
                (Fax, "22 555 01 09"),
            ],
        ),
        seen("Lis Tomasz", "", "", &[(Other, "+48 12 345 67 89"), (Home, "12 345 00 00")]),
        seen(
            "Gruber Hans Peter",
            "Gruber KG",
            "hp@example.at",
            &[(Mobile, "+43 664 1234567"), (Work, "+43 1 5880 0")],
        ),
        seen("Zając Ewa", "", "", &[(Home, "+48 22 600 70 80")]),
        seen(
            "O'Neill Mary",
            "Example Ltd",
            "mary@example.ie",
            &[
                (Home, "+353 1 555 0100"),
                (Work, "+353 1 555 0200"),
                (Mobile, "+353 87 555 0300"),
                (Mobile, "+353 86 555 0400"),
                (Other, "+353 1 555 0999"),
                (Fax, "+353 1 555 0101"),
                (Work, "+353 1 555 0000"),
                (Work, "+353 1 555 0201"),
            ],
        ),
        seen(
            "Müller Jörg",
            "Bäckerei Müller",
            "joerg@example.de",
            &[
                (Work, "0221 1234567"),
                (Work, "0221 1234500"),
                (Fax, "0221 1234568"),
                (Home, "0221 7654321"),
                (Mobile, "0171 7654321"),
                (Mobile, "0172 1111111"),
            ],
        ),
        seen(
            "Żółkiewski Łukasz",
            "Hetman sp. z o.o.",
            "lukasz@example.pl",
            &[
                (Work, "42 600 00 02"),
                (Fax, "42 600 00 09"),
                (Work, "42 600 00 01"),
                (Work, "42 600 00 00"),
                (Mobile, "+48 603 000 000"),
            ],
        ),
        seen(
            "Świątek Małgorzata",
            "",
            "",
            &[(Mobile, "+48 604 111 222"), (Home, "+48 22 444 55 66"), (Other, "+48 29 111 22 33")],
        ),
        seen(
            "Schön Björn",
            "Schön & Söhne",
            "bjoern@example.de",
            &[(Work, "+49 89 1234567"), (Mobile, "+49 160 1234567"), (Fax, "+49 89 1234568")],
        ),
    ];
    want.sort();
    assert_eq!(got, want);

    // Google's own groups are not the user's; the user's label is.
    let page = anna.get("/phonebook").body;
    assert!(page.contains(">Klienci<"), "the label became a group");
    assert!(!page.contains("myContacts") && !page.contains("My Contacts"));
}
