//! The phonebook (SPEC W6): Outlook CSV as real users export it (English, German
//! and Polish headers; UTF-8 with and without BOM, Windows-1250/1252; comma or
//! semicolon; quoted line breaks), vCard 3.0/4.0, the round trip of our own
//! export back into the books the contacts came from, malformed files changing
//! nothing, and the rights to the public book. Store-level tests use a real
//! database file; the web tests go through the service over TLS.

mod support;

use webcti::domain::dialplan::{DiallingPlan, Form};
use webcti::phonebook::{self, BookKind, Format, NumberKind};
use webcti::store::phonebook::{PublicRight, Source, View};
use webcti::store::Store;

use std::time::Duration;

use support::portal::{seeded_db, Browser};
use support::Service;
use webcti::sim::{demo, Clock, Sim};

const WAIT: Duration = Duration::from_secs(60);

const NOW: i64 = 1_790_000_000;

fn by(actor: &str) -> webcti::store::journal::Author {
    webcti::store::journal::Author { actor: actor.into(), via: "web" }
}

/// A dialling plan as a board file gives it: the country, national numbers'
/// length (0: they vary), the outside-line prefix.
fn plan(country: &str, national_digits: u8, outside: &str) -> DiallingPlan {
    DiallingPlan {
        country_code: country.into(),
        national_digits,
        outside_prefix: outside.into(),
        ..DiallingPlan::default()
    }
}

/// A store on a board in Poland (as the simulated board is).
async fn store() -> (tempfile::TempDir, Store) {
    let (dir, store) = store_without_plan().await;
    store.use_dialling_plan(plan("48", 9, "0")).await.expect("plan");
    (dir, store)
}

/// A store that has not been given the board's plan (a database as an older
/// version left it).
async fn store_without_plan() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    for (ext, name) in [("100", "Anna Kowalska"), ("101", "Piotr Nowak")] {
        store.upsert_extension(ext, name, NOW).await.expect("extension");
    }
    (dir, store)
}

/// Imports a file for `owner` into `book`; returns (added, rejected lines).
async fn import(
    store: &Store,
    owner: &str,
    book: BookKind,
    bytes: &[u8],
) -> (usize, Vec<(u64, &'static str)>) {
    let parsed = phonebook::parse(bytes, None).expect("a contact file");
    let mut rejected: Vec<(u64, &'static str)> =
        parsed.rejected.iter().map(|r| (r.line, r.problem.key)).collect();
    let out = store
        .import_contacts(owner, book, parsed.contacts, by("ext:100"), NOW)
        .await
        .expect("store")
        .expect("allowed");
    rejected.extend(out.rejected.iter().map(|r| (r.line, r.problem.key)));
    rejected.sort();
    (out.added, rejected)
}

/// A contact as these tests compare them: name, numbers (kind, number), company.
type Seen = (String, Vec<(NumberKind, String)>, String);

/// The contacts of a view, sorted.
async fn contacts(store: &Store, owner: &str, view: View) -> Vec<Seen> {
    let mut out: Vec<_> = store
        .phonebook(owner, view, "")
        .await
        .expect("list")
        .into_iter()
        .filter(|e| e.source != Source::Extension)
        .map(|e| {
            let numbers = e.contact.numbers.iter().map(|n| (n.kind, n.number.clone())).collect();
            (e.contact.display_name(), numbers, e.contact.company.clone())
        })
        .collect();
    out.sort();
    out
}

fn cp1250(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1250.encode(s).0.into_owned()
}

fn cp1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

#[tokio::test]
async fn outlook_csv_in_english_with_bom_and_commas() {
    let (_dir, store) = store().await;
    let file = "\u{feff}\"First Name\",\"Middle Name\",\"Last Name\",\"Company\",\"Business Phone\",\"Mobile Phone\",\"Home Phone\",\"E-mail Address\",\"Categories\"\r\n\
                \"John\",\"\",\"Smith\",\"ACME, Inc.\",\"+44 20 7946 0958\",\"07700 900123\",\"\",\"john@acme.example\",\"Customers;VIP\"\r\n\
                \"Mary\",\"Ann\",\"Jones\",\"\",\"(020) 7946 0000\",\"\",\"020 7946 1111\",\"\",\"\"\r\n";
    let (added, rejected) = import(&store, "100", BookKind::Private, file.as_bytes()).await;
    assert_eq!((added, rejected), (2, vec![]));
    let got = contacts(&store, "100", View::Private).await;
    assert_eq!(got[0].0, "Jones Mary Ann");
    assert_eq!(
        got[0].1,
        vec![(NumberKind::Work, "(020) 7946 0000".into()), (NumberKind::Home, "020 7946 1111".into())]
    );
    assert_eq!(got[1].0, "Smith John");
    assert_eq!(got[1].2, "ACME, Inc.");
    assert_eq!(
        got[1].1,
        vec![(NumberKind::Work, "+44 20 7946 0958".into()), (NumberKind::Mobile, "07700 900123".into())]
    );
    // Categories became groups of the private book.
    let (_, groups) = store.phonebook_groups("100").await.expect("groups");
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Customers", "VIP"]);
    // The other subscriber sees none of it.
    assert!(contacts(&store, "101", View::All).await.is_empty());
}

#[tokio::test]
async fn outlook_csv_in_german_windows_1252_with_semicolons_and_line_breaks() {
    let (_dir, store) = store().await;
    let file = cp1252(
        "Vorname;Nachname;Firma;Straße geschäftlich;Ort geschäftlich;Postleitzahl geschäftlich;Telefon geschäftlich;Mobiltelefon;Fax geschäftlich;E-Mail-Adresse\r\n\
         Jürgen;Müller;Bäckerei Müller GmbH;\"Hauptstraße 5\r\nHinterhaus\";Köln;50667;0221 123456;0171 2345678;0221 123457;jm@example.de\r\n\
         Grete;Weiß;;;;;+49 30 555 0000;;;\r\n",
    );
    let (added, rejected) = import(&store, "100", BookKind::Private, &file).await;
    assert_eq!((added, rejected), (2, vec![]));
    let list = store.phonebook("100", View::Private, "müller").await.expect("search");
    assert_eq!(list.len(), 1, "search finds umlauts");
    let c = &list[0].contact;
    assert_eq!((c.first_name.as_str(), c.last_name.as_str()), ("Jürgen", "Müller"));
    assert_eq!(c.address, "Hauptstraße 5\nHinterhaus\n50667 Köln");
    let kinds: Vec<NumberKind> = c.numbers.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NumberKind::Work, NumberKind::Mobile, NumberKind::Fax]);
    assert_eq!(contacts(&store, "100", View::Private).await[1].0, "Weiß Grete");
}

#[tokio::test]
async fn outlook_csv_in_polish_windows_1250_and_utf8_without_bom() {
    let (_dir, store) = store().await;
    let text =
        "Imię;Nazwisko;Firma;Telefon służbowy;Telefon komórkowy;Telefon domowy;Adres e-mail;Kategorie\r\n\
                Łukasz;Żółkiewski;Spółka Łąka;+48 22 123 45 67;600 100 200;;lz@example.pl;Klienci\r\n\
                Zofia;Gęślą;;22 765 43 21;;12 345 67 89;;\r\n";
    let (added, rejected) = import(&store, "100", BookKind::Private, &cp1250(text)).await;
    assert_eq!((added, rejected), (2, vec![]));
    let got = contacts(&store, "100", View::Private).await;
    assert_eq!(got[0].0, "Gęślą Zofia");
    assert_eq!(got[1].0, "Żółkiewski Łukasz");
    assert_eq!(got[1].2, "Spółka Łąka");
    // The same file in UTF-8 without a byte-order mark: the same contacts, nothing twice.
    let (added, rejected) = import(&store, "101", BookKind::Private, text.as_bytes()).await;
    assert_eq!((added, rejected), (2, vec![]));
    assert_eq!(contacts(&store, "101", View::Private).await, got);
    // Search folds case in every alphabet, and finds numbers however written.
    let found = store.phonebook("101", View::All, "ŻÓŁKIEWSKI").await.expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].contact.last_name, "Żółkiewski");
    let found = store.phonebook("101", View::All, "22 765-43").await.expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].contact.last_name, "Gęślą");
    let (added, _) = import(&store, "101", BookKind::Private, text.as_bytes()).await;
    assert_eq!(added, 0, "importing the same file again adds nothing");
    // Reverse lookup: the number as the exchange presents it finds the name.
    let presented = vec![("0221234567".into(), Form::Written), ("0600100200".into(), Form::Written)];
    let names = store.names_for("100", presented).await.expect("names");
    assert_eq!(names.get("0221234567").map(String::as_str), Some("Żółkiewski Łukasz"));
    assert_eq!(names.get("0600100200").map(String::as_str), Some("Żółkiewski Łukasz"));
}

/// Reverse lookup brings every number to the canonical form of the board's
/// dialling plan before comparing (SPEC C14): the forms people write and the
/// exchange presents meet, a number that only ends the same does not, and a
/// change of plan makes the stored forms again.
#[tokio::test]
async fn reverse_lookup_reads_every_form_of_a_number_by_the_boards_plan() {
    let (_dir, store) = store_without_plan().await;
    let file = "First Name,Last Name,Company,Business Phone,Home Phone\r\n\
                Ewa,Lis,Kancelaria,+48 22 555 01 02,\r\n\
                Hans,Weber,,,030 1234567\r\n";
    store.set_public_right("100", PublicRight::Edit).await.expect("right");
    let (added, _) = import(&store, "100", BookKind::Public, file.as_bytes()).await;
    assert_eq!(added, 2);
    // The database was written before there was a plan: made again by the
    // board's (only the national number is read differently).
    assert_eq!(store.use_dialling_plan(plan("48", 9, "0")).await.expect("plan"), 1);
    assert_eq!(store.use_dialling_plan(plan("48", 9, "0")).await.expect("plan"), 0, "the same plan: nothing");

    let forms: &[(&str, Form)] = &[
        ("+48 22 555 01 02", Form::Written),
        ("0048225550102", Form::Written),
        ("0225550102", Form::Written),
        ("225550102", Form::Written),
        ("0 0225550102", Form::Dialled),
        ("0225550102", Form::Dialled),
        ("0 0048225550102", Form::Dialled),
        ("0 0225550102", Form::Unknown),
    ];
    let asked: Vec<(String, Form)> = forms.iter().map(|(n, f)| ((*n).to_owned(), *f)).collect();
    let names = store.names_for("101", asked).await.expect("names");
    for (number, form) in forms {
        assert_eq!(names.get(*number).map(String::as_str), Some("Lis Ewa"), "{number} as {form:?}");
    }
    // The same last nine digits in another country are another subscriber.
    let other =
        vec![("+49 225550102".to_owned(), Form::Written), ("0049225550102".to_owned(), Form::Written)];
    assert!(store.names_for("101", other).await.expect("names").is_empty());
    // An extension is found by its number, dialled or presented.
    let ext = vec![("101".to_owned(), Form::Dialled)];
    assert_eq!(
        store.names_for("100", ext).await.expect("names").get("101").map(String::as_str),
        Some("Piotr Nowak")
    );

    // A colleague calling from his MobilePhone number is named as his extension.
    // Set through the store, as an administrator's page sets it (the store keeps
    // the users' own numbers in memory, so a write behind its back is not seen).
    assert!(store.set_extension_admin("101", None, "", "0601 222 333", 0).await.expect("mobile"));
    let mobile =
        vec![("+48 601 222 333".to_owned(), Form::Written), ("00601222333".to_owned(), Form::Dialled)];
    let names = store.names_for("100", mobile).await.expect("names");
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.values().all(|n| n == "Piotr Nowak"), "{names:?}");

    // The board moves to Germany: the Berlin number is read as German now.
    let berlin =
        vec![("0049 30 1234567".to_owned(), Form::Written), ("0 030 1234567".to_owned(), Form::Dialled)];
    let before = store.names_for("101", berlin.clone()).await.expect("names");
    assert!(!before.contains_key("0049 30 1234567"), "in Poland 030 1234567 is no Berlin number");
    assert_eq!(store.use_dialling_plan(plan("49", 0, "0")).await.expect("plan"), 1);
    let names = store.names_for("101", berlin).await.expect("names");
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.values().all(|n| n == "Weber Hans"), "{names:?}");
}

/// The exchange's own calls end to end: a caller presented with the trunk
/// prefix, and the number dialled back with the outside line first, both show
/// the name of the contact stored in international form in the history; a
/// caller whose number only ends the same is not given it.
#[test]
fn the_history_names_callers_from_the_books_however_the_exchange_writes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let sock = dir.path().join("core.sock");
    let sim = Sim::new(demo::plan(), Clock::Manual, support::portal::T0);
    let stop_sim = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    anna.get("/phonebook");
    let file = b"First Name,Last Name,Business Phone\r\nEwa,Lis,+48 22 555 01 02\r\n";
    let r = anna.post_file("/phonebook/import", &[("format", "auto"), ("book", "private")], "ewa.csv", file);
    assert!(r.body.contains("1 added"), "{}", r.body);

    // Ewa calls; nobody answers.
    sim.with(|ex| ex.incoming("0225550102", "100")).expect("incoming call");
    sim.advance(5);
    sim.with(|ex| ex.hang_up_external("0225550102")).expect("she hangs up");
    // Anna calls her back: the outside line, then the number with its trunk prefix.
    sim.with(|ex| ex.dial("100", "00225550102")).expect("dialled");
    sim.with(|ex| ex.answer_external("00225550102")).expect("answered");
    sim.advance(30);
    sim.with(|ex| ex.hang_up("100")).expect("hung up");
    // Somebody abroad whose number ends the same.
    sim.with(|ex| ex.incoming("0049225550102", "100")).expect("incoming call");
    sim.advance(5);
    sim.with(|ex| ex.hang_up_external("0049225550102")).expect("hangs up");
    let mut unacked = sim.unacked();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async { tokio::time::timeout(WAIT, unacked.wait_for(|n| *n == 0)).await })
        .expect("stored")
        .expect("watch");

    let history = anna.get("/history").body;
    let row = |number: &str| {
        let row = history.split("<tr").find(|r| r.contains(&format!("name=\"number\" value=\"{number}\"")));
        row.unwrap_or_else(|| panic!("a row for {number}: {history}")).to_owned()
    };
    assert!(row("0225550102").contains("<td>Lis Ewa</td>"), "the caller is named: {history}");
    assert!(row("00225550102").contains("<td>Lis Ewa</td>"), "the number dialled is named: {history}");
    assert!(!row("0049225550102").contains("Lis Ewa"), "another country's subscriber is not: {history}");
    stop_sim.trigger();
}

/// Desk phones (SPEC Y4) read the extensions and the public book in their
/// makers' XML, with a credential of their own, over HTTPS only; a script's
/// reverse lookup (`/api/v1/lookup`) names callers as the portal does.
#[test]
fn desk_phones_and_scripts_read_the_books_with_their_own_credentials() {
    use base64::Engine;
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "https_only=false");
    // The administrator fills the public book.
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/phonebook");
    let file = "First Name,Last Name,Company,Business Phone,Mobile Phone,Business Fax\r\n\
                Zofia,Wrona,Kancelaria,+48 22 555 01 02,600 100 200,22 555 01 03\r\n\
                Jan,Nowak & Syn,,0221234567,,\r\n";
    let r = admin.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "public")],
        "b.csv",
        file.as_bytes(),
    );
    assert!(r.body.contains("2 added"), "{}", r.body);

    let phone = support::make_token(dir.path(), "Reception Yealink", &["phonebook:read"]);
    let basic = |secret: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("reception:{secret}")))
    };
    let client = svc.client();
    let get = |path: &str, auth: &str| {
        let headers: Vec<(&str, &str)> = if auth.is_empty() { vec![] } else { vec![("Authorization", auth)] };
        client.request(svc.lan_https, "GET", path, &headers, "").expect("request")
    };
    let as_phone = basic(&phone);

    // Yealink: an entry per contact, its numbers as the phone should dial them, no fax.
    let y = get("/phones/yealink.xml", &as_phone);
    assert_eq!(y.status, 200, "{}", y.body);
    assert_eq!(y.header("content-type"), Some("text/xml; charset=utf-8"));
    assert!(
        y.body.contains("<Name>Wrona Zofia</Name>\n<Telephone>+48225550102</Telephone>\n<Telephone>+48600100200</Telephone>\n</DirectoryEntry>"),
        "{}",
        y.body
    );
    assert!(
        y.body.contains("<Name>Nowak &amp; Syn Jan</Name>\n<Telephone>+48221234567</Telephone>"),
        "{}",
        y.body
    );
    assert!(y.body.contains("<Name>Anna Kowalska</Name>\n<Telephone>100</Telephone>"), "{}", y.body);
    assert!(!y.body.contains("225550103"), "no fax: {}", y.body);
    // Searched by name, and by part of a number however it is written.
    let by_name = get("/phones/yealink.xml?q=WRONA", &as_phone).body;
    assert!(
        by_name.contains("Wrona Zofia") && !by_name.contains("Nowak") && !by_name.contains("Kowalska"),
        "{by_name}"
    );
    let by_number = get("/phones/yealink.xml?q=555%2001", &as_phone).body;
    assert!(by_number.contains("Wrona Zofia") && !by_number.contains("Nowak"), "{by_number}");
    // Snom: one entry per number, with its kind; a search form that sends `q`.
    let s = get("/phones/snom.xml?q=zofia", &format!("Bearer {phone}"));
    assert_eq!(s.status, 200, "{}", s.body);
    assert!(s.body.contains("<SnomIPPhoneDirectory>"), "{}", s.body);
    assert!(
        s.body.contains("<Name>Wrona Zofia (Mobile)</Name>\n<Telephone>+48600100200</Telephone>"),
        "{}",
        s.body
    );
    let form = get("/phones/snom-search.xml", &as_phone).body;
    assert!(
        form.contains("<QueryStringParam>q</QueryStringParam>") && form.contains("/phones/snom.xml</URL>"),
        "{form}"
    );

    // No credential, a wrong one: the phone is asked for its user and password.
    for auth in ["", &basic("wct_0123456789abcdef0123456789abcdef0123456789abcdef"), "Basic !!"] {
        let r = get("/phones/yealink.xml", auth);
        assert_eq!(r.status, 401, "{auth}: {}", r.body);
        assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Basic")), "{auth}");
        assert!(!r.body.contains("Wrona"));
    }
    // A token for something else does not read the books.
    let other = support::make_token(dir.path(), "billing", &["records:read"]);
    assert_eq!(get("/phones/yealink.xml", &basic(&other)).status, 403);
    // Over plain HTTP nothing is answered, whatever is sent.
    let plain = support::client::get_plain(svc.lan_http, "/phones/yealink.xml").expect("plain");
    assert_eq!(plain.status, 403, "{}", plain.body);

    // A script asks who numbers are: the same names, however the number is written.
    let script = support::make_token(dir.path(), "crm", &["phonebook:read"]);
    let lookup = |query: &str| {
        let r = client
            .request(
                svc.lan_https,
                "GET",
                &format!("/api/v1/lookup?{query}"),
                &[("Authorization", &format!("Bearer {script}"))],
                "",
            )
            .expect("request");
        let json: serde_json::Value =
            serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{query}: {}", r.body));
        (r.status, json)
    };
    let (status, found) = lookup("number=0%200225550102&form=dialled");
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (found["name"].as_str(), found["source"].as_str()),
        (Some("Wrona Zofia"), Some("public")),
        "{found}"
    );
    assert_eq!(found["canonical"], "+48225550102");
    assert_eq!(lookup("number=0048225550102").1["name"], "Wrona Zofia");
    assert_eq!(lookup("number=%2B48600100200").1["name"], "Wrona Zofia");
    let (_, ext) = lookup("number=101");
    assert_eq!(
        (ext["name"].as_str(), ext["source"].as_str()),
        (Some("Piotr Nowak"), Some("extension")),
        "{ext}"
    );
    let (status, nobody) = lookup("number=%2B49225550102");
    assert_eq!((status, nobody["name"].is_null(), nobody["source"].is_null()), (200, true, true), "{nobody}");
    assert_eq!(lookup("number=call-me").0, 422);
    let (status, bad) = lookup("number=101&form=sideways");
    assert_eq!((status, bad["errors"][0]["pointer"].as_str()), (422, Some("/form")), "{bad}");

    // The phone's credential revoked: asked again.
    let revoke = support::command()
        .args(["token", "revoke", "1", "--board"])
        .arg(dir.path().join("board.toml"))
        .output()
        .expect("revoke");
    assert!(revoke.status.success(), "{}", String::from_utf8_lossy(&revoke.stderr));
    assert_eq!(get("/phones/yealink.xml", &as_phone).status, 401);
}

/// Shared notes (SPEC C12): kept by the server against the contact's permanent
/// id, read and added to by everyone who may read its book, deleted by their
/// authors; a private contact's notes are its owner's; a contact deleted and
/// imported again with the same id finds its notes again.
#[test]
fn notes_on_a_contact_are_shared_with_its_readers_and_outlive_a_new_import() {
    let (_dir, svc) = service();
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/phonebook");
    let kot = "BEGIN:VCARD\nVERSION:4.0\nFN:Marek Kot\nN:Kot;Marek;;;\nTEL:+48 22 444 55 66\nUID:urn:uuid:0b3c9c5e-0000-4000-8000-000000000001\nEND:VCARD\n";
    let r = admin.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "public")],
        "kot.vcf",
        kot.as_bytes(),
    );
    assert!(r.body.contains("1 added"), "{}", r.body);
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    anna.get("/phonebook");
    let mysz = "BEGIN:VCARD\nVERSION:4.0\nFN:Ola Mysz\nN:Mysz;Ola;;;\nTEL:600 700 800\nEND:VCARD\n";
    let r = anna.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "private")],
        "ola.vcf",
        mysz.as_bytes(),
    );
    assert!(r.body.contains("1 added"), "{}", r.body);
    // A contact's id, from the link to its notes in a search of the list.
    let id_of = |b: &mut Browser, name: &str| -> String {
        let page = b.get(&format!("/phonebook?q={name}")).body;
        let at = page.find("id=\"notes-").unwrap_or_else(|| panic!("a notes link for {name}: {page}"));
        page[at + 10..].split('"').next().expect("id").to_owned()
    };
    let (kot_id, mysz_id) = (id_of(&mut anna, "Kot"), id_of(&mut anna, "Mysz"));

    let r = anna.post(
        "/phonebook/notes",
        &[("id", &kot_id), ("action", "add"), ("text", "Calls after 10:00 <b>only</b>")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Calls after 10:00 &#60;b&#62;only&#60;/b&#62;")
            && r.body.contains("Anna Kowalska (100)"),
        "{}",
        r.body
    );
    let r =
        anna.post("/phonebook/notes", &[("id", &mysz_id), ("action", "add"), ("text", "Birthday in May")]);
    assert!(r.body.contains("Birthday in May"), "{}", r.body);
    let r = anna.post("/phonebook/notes", &[("id", &kot_id), ("action", "add"), ("text", "  ")]);
    assert!(r.body.contains("A note needs 1 to 2000 characters."), "{}", r.body);
    let anna_note =
        r.body.split("id=\"note-").nth(1).and_then(|s| s.split('"').next()).expect("a note").to_owned();

    // Piotr reads the public contact's note and adds his own; he cannot delete Anna's.
    let mut piotr = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    let page = piotr.get(&format!("/phonebook/notes?id={kot_id}")).body;
    assert!(
        page.contains("Calls after 10:00") && !page.contains(&format!("delete-note-{anna_note}")),
        "{page}"
    );
    let r =
        piotr.post("/phonebook/notes", &[("id", &kot_id), ("action", "add"), ("text", "Asked for an offer")]);
    assert!(r.body.contains("Asked for an offer") && r.body.contains("Piotr Nowak (101)"), "{}", r.body);
    let r = piotr.post("/phonebook/notes", &[("id", &kot_id), ("action", "delete"), ("note", &anna_note)]);
    assert_eq!(r.status, 404, "not his to delete");
    assert!(piotr.get(&format!("/phonebook/notes?id={kot_id}")).body.contains("Calls after 10:00"));
    // Anna's private contact and its notes are hers.
    assert_eq!(piotr.get(&format!("/phonebook/notes?id={mysz_id}")).status, 404);

    // The public contact goes, and comes back by the same import: its notes with it.
    let r = admin.post("/phonebook/selection", &[("action", "delete"), ("contact", &kot_id)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(anna.get(&format!("/phonebook/notes?id={kot_id}")).status, 404);
    admin.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "public")],
        "kot.vcf",
        kot.as_bytes(),
    );
    let again = id_of(&mut anna, "Kot");
    assert_ne!(again, kot_id);
    let page = anna.get(&format!("/phonebook/notes?id={again}")).body;
    assert!(page.contains("Calls after 10:00") && page.contains("Asked for an offer"), "{page}");
    // Anna deletes her own note.
    let r = anna.post("/phonebook/notes", &[("id", &again), ("action", "delete"), ("note", &anna_note)]);
    assert!(r.body.contains("The note was deleted.") && !r.body.contains("Calls after 10:00"), "{}", r.body);
}

/// A contact keeps at most MAX_NOTES notes: the next is refused until one goes.
#[tokio::test]
async fn a_contact_keeps_a_bounded_number_of_notes() {
    use webcti::domain::phonebook::{NotesFull, MAX_NOTES};
    let (_dir, store) = store().await;
    let file = "First Name,Last Name,Business Phone\r\nEwa,Lis,+48 22 555 01 02\r\n";
    let (added, _) = import(&store, "100", BookKind::Private, file.as_bytes()).await;
    assert_eq!(added, 1);
    let id = store.phonebook("100", View::Private, "").await.expect("list")[0].id;
    let mut first = 0;
    for i in 0..MAX_NOTES {
        let note = store.add_note("100", true, id, &format!("note {i}"), NOW).await.expect("store");
        let note = note.expect("visible").expect("room");
        if i == 0 {
            first = note;
        }
    }
    let full = store.add_note("100", true, id, "one more", NOW).await.expect("store");
    assert_eq!(full, Some(Err(NotesFull)));
    assert!(store.delete_note("100", true, id, first, false).await.expect("delete"));
    let room = store.add_note("100", true, id, "one more", NOW).await.expect("store");
    assert!(matches!(room, Some(Ok(_))), "{room:?}");
    // Another subscriber does not see the private contact, so cannot write on it.
    assert_eq!(store.add_note("101", true, id, "mine", NOW).await.expect("store"), None);
}

#[tokio::test]
async fn vcards_3_and_4() {
    let (_dir, store) = store().await;
    let v3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dąbrowska;Maria;;;\r\nFN:Maria Dąbrowska\r\nORG:Wydawnictwo\r\nTEL;TYPE=WORK,VOICE:+48 22 111 22 33\r\nTEL;TYPE=CELL:+48 600 111 222\r\nEMAIL;TYPE=INTERNET:md@example.pl\r\nCATEGORIES:Autorzy\r\nEND:VCARD\r\n";
    let v4 = "BEGIN:VCARD\nVERSION:4.0\nFN:Thomas Mann\nN:Mann;Thomas;;;\nTEL;VALUE=uri;TYPE=\"home,voice\":tel:+49-89-1234567\nTEL;TYPE=fax:+49 89 7654321\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\nEND:VCARD\n";
    let (added, rejected) = import(&store, "100", BookKind::Private, v3.as_bytes()).await;
    assert_eq!((added, rejected), (1, vec![]));
    let (added, rejected) = import(&store, "100", BookKind::Private, v4.as_bytes()).await;
    assert_eq!((added, rejected), (1, vec![]));
    let got = contacts(&store, "100", View::Private).await;
    assert_eq!(got[0].0, "Dąbrowska Maria");
    assert_eq!(
        got[0].1,
        vec![(NumberKind::Work, "+48 22 111 22 33".into()), (NumberKind::Mobile, "+48 600 111 222".into())]
    );
    assert_eq!(got[1].0, "Mann Thomas");
    assert_eq!(
        got[1].1,
        vec![(NumberKind::Home, "+49-89-1234567".into()), (NumberKind::Fax, "+49 89 7654321".into())]
    );
}

/// A subscriber who may edit the public book fills both books, exports, deletes
/// everything and imports the export: every contact is back in its own book,
/// with its numbers and groups.
#[tokio::test]
async fn export_then_import_returns_every_contact_to_its_book() {
    for format in ["csv", "vcard3", "vcard4"] {
        let (_dir, store) = store().await;
        store.set_public_right("100", PublicRight::Edit).await.expect("right");
        let public = "First Name,Last Name,Company,Business Phone,Mobile Phone,Categories\r\n\
                      Hans,Zimmer,Zimmer & Söhne,+49 40 123 456,0171 999 888,Lieferanten\r\n\
                      Ewa,Kowalczyk,\"Kowalczyk, Syn\",22 333 44 55,,\r\n";
        let private = "First Name,Last Name,Home Phone,Other Phone,Categories\r\nOla,Nowak,12 111 22 33,12 444 55 66,Rodzina\r\n";
        assert_eq!(import(&store, "100", BookKind::Public, public.as_bytes()).await, (2, vec![]));
        assert_eq!(import(&store, "100", BookKind::Private, private.as_bytes()).await, (1, vec![]));
        let before_public = contacts(&store, "100", View::Public).await;
        let before_private = contacts(&store, "100", View::Private).await;
        let all = store.export_contacts("100", View::All, true).await.expect("export");
        let file = match format {
            "csv" => phonebook::outlook::export(&all),
            "vcard3" => phonebook::vcard::export(&all, false),
            _ => phonebook::vcard::export(&all, true),
        };
        let ids: Vec<i64> = store
            .phonebook("100", View::All, "")
            .await
            .expect("list")
            .iter()
            .filter(|e| e.id > 0)
            .map(|e| e.id)
            .collect();
        assert_eq!(store.delete_contacts("100", ids, by("ext:100"), NOW).await.expect("store"), Ok(3));
        assert!(contacts(&store, "100", View::All).await.is_empty());
        // The target book chosen is "private", but the file knows better.
        let (added, rejected) = import(&store, "100", BookKind::Private, &file).await;
        assert_eq!((added, rejected), (3, vec![]), "{format}");
        let normal = |v: Vec<Seen>| -> Vec<_> {
            v.into_iter()
                .map(|(n, nums, c)| {
                    (n, nums.into_iter().map(|(k, x)| (k, x.replace('-', " "))).collect::<Vec<_>>(), c)
                })
                .collect()
        };
        assert_eq!(
            normal(contacts(&store, "100", View::Public).await),
            normal(before_public.clone()),
            "{format}"
        );
        assert_eq!(
            normal(contacts(&store, "100", View::Private).await),
            normal(before_private.clone()),
            "{format}"
        );
        let (_, groups) = store.phonebook_groups("100").await.expect("groups");
        let mut names: Vec<(BookKind, &str)> = groups.iter().map(|g| (g.book, g.name.as_str())).collect();
        names.sort_by_key(|(b, n)| (b.code(), n.to_string()));
        assert_eq!(names, [(BookKind::Private, "Rodzina"), (BookKind::Public, "Lieferanten")], "{format}");
    }
}

#[tokio::test]
async fn malformed_files_change_nothing_and_bad_rows_are_reported_by_line() {
    let (_dir, store) = store().await;
    let good = "First Name,Last Name,Business Phone\r\nAdam,Mickiewicz,22 123 45 67\r\n";
    assert_eq!(import(&store, "100", BookKind::Private, good.as_bytes()).await.0, 1);
    let before = contacts(&store, "100", View::All).await;
    let not_contacts: [(&[u8], Option<Format>); 5] = [
        (b"", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", None),
        (b"id,amount,date\r\n1,12.50,2026-01-01\r\n", None),
        (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", Some(Format::VCard)),
        (good.as_bytes(), Some(Format::VCard)),
    ];
    for (bytes, format) in not_contacts {
        assert!(
            phonebook::parse(bytes, format).is_err(),
            "{:?} is not a contact file",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(contacts(&store, "100", View::All).await, before);
    // Bad rows are skipped with their line; a quoted line break moves the count.
    let mixed = "First Name,Last Name,Company,Business Phone\r\n\
                 Jan,Kochanowski,\"Czarnolas\r\nDwór\",22 100 00 00\r\n\
                 ,,,22 200 00 00\r\n\
                 Bolesław,Prus,,call me\r\n\
                 Eliza,Orzeszkowa,,=cmd|' /C calc'!A0\r\n\
                 Maria,Konopnicka,,22 300 00 00\r\n";
    let (added, rejected) = import(&store, "100", BookKind::Private, mixed.as_bytes()).await;
    assert_eq!(added, 2);
    assert_eq!(rejected, vec![(4, "import.no_name"), (5, "import.bad_number"), (6, "import.bad_number")]);
    let vcards = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Only A Name\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nN:Reymont;Władysław;;;\r\nTEL:22 400 00 00\r\n";
    let (added, rejected) = import(&store, "100", BookKind::Private, vcards.as_bytes()).await;
    assert_eq!((added, rejected), (0, vec![(1, "import.no_number"), (5, "import.no_end")]));
}

#[tokio::test]
async fn the_public_book_needs_the_right() {
    let (_dir, store) = store().await;
    store.set_public_right("100", PublicRight::Edit).await.expect("right");
    let file = "First Name,Last Name,Business Phone\r\nAdam,Mickiewicz,22 123 45 67\r\n";
    assert_eq!(import(&store, "100", BookKind::Public, file.as_bytes()).await.0, 1);
    // 101 reads the public book but may not change it.
    let seen = contacts(&store, "101", View::Public).await;
    assert_eq!(seen.len(), 1);
    let parsed = phonebook::parse(file.as_bytes(), None).expect("parse");
    let refused = store
        .import_contacts("101", BookKind::Public, parsed.contacts, by("ext:101"), NOW)
        .await
        .expect("store");
    assert!(refused.is_err());
    let id = store.phonebook("101", View::Public, "").await.expect("list")[0].id;
    assert!(store.delete_contacts("101", vec![id], by("ext:101"), NOW).await.expect("store").is_err());
    assert!(store.create_group("101", "Mine", BookKind::Public).await.expect("store").is_err());
    // An export of the public book imported by 101: each row refused by line.
    let export =
        phonebook::outlook::export(&store.export_contacts("100", View::Public, true).await.expect("export"));
    let (added, rejected) = import(&store, "101", BookKind::Private, &export).await;
    assert_eq!((added, rejected), (0, vec![(2, "phonebook.public_read_only")]));
    assert_eq!(contacts(&store, "101", View::Public).await, seen);
    // Without even the right to read, the public book is not listed.
    store.set_public_right("101", PublicRight::None).await.expect("right");
    assert!(contacts(&store, "101", View::All).await.is_empty());
}

fn service() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    (dir, svc)
}

#[test]
fn import_export_and_selection_through_the_web() {
    let (_dir, svc) = service();
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    anna.get("/phonebook");
    let file = cp1250("Imię;Nazwisko;Telefon służbowy;Kategorie\r\nŁucja;Wąs;22 111 11 11;Klienci\r\nKarol;Zięba;22 222 22 22;\r\n;;;\r\n;;33 333;\r\n");
    let r = anna.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "private")],
        "kontakty.csv",
        &file,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("2 added"), "{}", r.body);
    assert!(r.body.contains("Line 5: no name and no company"), "{}", r.body);
    assert!(r.body.contains("Wąs Łucja") && r.body.contains("Zięba Karol"));
    // A file that is not contacts: a clear error, nothing changes.
    let r = anna.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "private")],
        "x.csv",
        b"a,b\r\n1,2\r\n",
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("This is not a contact file"), "{}", r.body);
    // Export: a download Outlook takes, with the contacts.
    let r = anna.get("/phonebook/export?format=csv&view=private");
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-disposition")
        .is_some_and(|v| v.contains("attachment") && v.ends_with(".csv\"")));
    assert!(r.body.starts_with("\u{feff}First Name,Last Name,"), "{}", &r.body[..40]);
    assert!(r.body.contains("Łucja,Wąs,") && r.body.contains(",private,"));
    let ids: Vec<String> = anna
        .get("/phonebook?view=private")
        .body
        .split("name=\"contact\" value=\"")
        .skip(1)
        .map(|s| s[..s.find('"').expect("quote")].to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    // Put into a new group, then search.
    let r = anna.post("/phonebook/group", &[("name", "Ważni")]);
    assert!(r.body.contains("Ważni"), "{}", r.body);
    let link = r.body.find("class=\"group\">Ważni<").expect("the new group is listed");
    let group = r.body[..link]
        .rsplit("view=group&amp;id=")
        .next()
        .map(|s| s[..s.find('"').expect("quote")].to_owned())
        .expect("group link");
    anna.get("/phonebook?view=private");
    let r = anna.post(
        "/phonebook/selection",
        &[("action", "group"), ("group", &group), ("contact", &ids[0]), ("contact", &ids[1])],
    );
    assert!(r.body.contains("Contacts put into the group: 2."), "{}", r.body);
    let r = anna.get(&format!("/phonebook?view=group&id={group}"));
    assert_eq!(r.body.matches("class=\"contact\"").count(), 2);
    let r = anna.get("/phonebook?q=zi%C4%99ba");
    assert!(r.body.contains("Zięba Karol") && !r.body.contains("Wąs Łucja"), "search by name");
    // Another subscriber cannot delete Anna's contacts by sending their ids.
    let mut piotr = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    piotr.get("/phonebook");
    let r = piotr.post("/phonebook/selection", &[("action", "delete"), ("contact", &ids[0])]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("not in your phonebooks"));
    assert!(!piotr.get("/phonebook").body.contains("Wąs"), "not shown to another subscriber");
    // A cross-origin POST changes nothing.
    let csrf = anna.csrf.clone();
    let r = anna.post_as(
        "/phonebook/selection",
        &[("action", "delete"), ("contact", &ids[0])],
        "https://evil.example",
        &csrf,
    );
    assert_eq!(r.status, 403);
    // Anna deletes one herself.
    anna.get("/phonebook?view=private");
    let r = anna.post("/phonebook/selection", &[("action", "delete"), ("contact", &ids[0])]);
    assert!(r.body.contains("Contacts deleted: 1."), "{}", r.body);
    assert_eq!(anna.get("/phonebook?view=private").body.matches("class=\"contact\"").count(), 1);
}

#[test]
fn key_labels_print_and_the_installer_downloads_only_for_those_who_have_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute(
        "UPDATE extension SET system_phone = 'ST-40', key_labels = '[\"Line 1\",\"101 Piotr\",\"DND\"]' WHERE number = '100'",
        [],
    )
    .expect("phone");
    drop(db);
    let svc = Service::start(dir.path(), "");
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let settings = anna.get("/settings").body;
    assert!(settings.contains("href=\"/keys\""), "{settings}");
    assert!(!settings.contains("/download/installer"), "no installer yet");
    assert_eq!(anna.get("/download/installer").status, 404);
    let keys = anna.get("/keys");
    assert_eq!(keys.status, 200);
    assert!(
        keys.body.contains("ST-40") && keys.body.contains("101 Piotr") && keys.body.contains("data-print")
    );
    let mut piotr = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    assert_eq!(piotr.get("/keys").status, 404, "101 has no system phone");
    assert!(!piotr.get("/settings").body.contains("href=\"/keys\""));
    // The administrator puts an installer into the data directory.
    std::fs::create_dir_all(data.join("installer")).expect("dir");
    std::fs::write(data.join("installer/webcti-cti-setup-2.1.exe"), b"MZ\x90\x00installer bytes")
        .expect("installer");
    assert!(piotr.get("/settings").body.contains("webcti-cti-setup-2.1.exe"));
    let r = piotr.get("/download/installer");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-disposition"), Some("attachment; filename=\"webcti-cti-setup-2.1.exe\""));
    assert!(r.body.ends_with("installer bytes"));
    // Not without logging in.
    let mut stranger = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(stranger.get("/download/installer").status, 303);
    assert_eq!(stranger.get("/keys").status, 303);
    assert_eq!(stranger.get("/phonebook/export?format=csv").status, 303);
}

#[tokio::test]
async fn both_books_list_as_one_in_name_order_whatever_the_case() {
    let (_dir, store) = store().await;
    store.set_public_right("100", PublicRight::Edit).await.expect("right");
    let private = "First Name,Last Name,Mobile Phone\r\nadam,zielinski,600100200\r\nEwa,Bąk,600100201\r\nolga,nowak,600100202\r\n";
    let public = "First Name,Last Name,Business Phone\r\nJan,Adamczyk,221000001\r\nbeata,NOWAK,221000002\r\nZofia,Kowalska,221000003\r\n";
    import(&store, "100", BookKind::Private, private.as_bytes()).await;
    import(&store, "100", BookKind::Public, public.as_bytes()).await;
    let listed = |view, search: &'static str| {
        let store = store.clone();
        async move {
            let entries = store.phonebook("100", view, search).await.expect("list");
            entries
                .into_iter()
                .filter(|e| e.source != Source::Extension)
                .map(|e| format!("{} {}", e.contact.first_name, e.contact.last_name))
                .collect::<Vec<_>>()
        }
    };
    // By surname, then first name, without regard to case; the two books merged.
    assert_eq!(
        listed(View::All, "").await,
        ["Jan Adamczyk", "Ewa Bąk", "Zofia Kowalska", "beata NOWAK", "olga nowak", "adam zielinski"]
    );
    assert_eq!(listed(View::Public, "").await, ["Jan Adamczyk", "Zofia Kowalska", "beata NOWAK"]);
    assert_eq!(listed(View::All, "nowak").await, ["beata NOWAK", "olga nowak"]);
    assert_eq!(listed(View::All, "600 100 20").await, ["Ewa Bąk", "olga nowak", "adam zielinski"]);
}

/// The names a phonebook page lists, in order.
fn listed(body: &str) -> Vec<String> {
    body.split("<span class=\"name\">")
        .skip(1)
        .map(|s| s[..s.find('<').expect("name's end")].to_owned())
        .collect()
}

/// The page a link with this id leads to (`None`: no such link).
fn link(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!("id=\"{id}\""))?;
    let href = body[..at].rfind("href=\"")? + "href=\"".len();
    Some(body[href..href + body[href..].find('"')?].replace("&amp;", "&").replace("&#38;", "&"))
}

#[test]
fn a_long_phonebook_is_read_page_by_page_with_nothing_left_out_or_shown_twice() {
    let (_dir, svc) = service();
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    anna.get("/phonebook");
    let mut file = String::from("First Name,Last Name,Business Phone\r\n");
    for i in 0..120 {
        file.push_str(&format!("Kontakt,K{i:03},22 555 {:02} {:02}\r\n", i / 100, i % 100));
    }
    let r = anna.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "private")],
        "k.csv",
        file.as_bytes(),
    );
    assert!(r.body.contains("120 added"), "{}", r.body);

    // The extensions, then the 120 contacts, in pages of 50.
    let first = anna.get("/phonebook");
    assert_eq!(first.status, 200);
    assert!(link(&first.body, "previous-page").is_none(), "the first page has no page before it");
    assert!(first.body.contains("Page 1"), "{}", first.body);
    let mut seen = listed(&first.body);
    assert_eq!(seen.len(), 50);
    let extensions = first.body.matches("<td>Extension</td>").count();
    assert!((1..30).contains(&extensions), "{extensions} extensions");
    let all = extensions + 120;
    let rows = first.body.split("<tr class=\"contact\"").skip(1);
    assert!(rows.take(extensions).all(|r| r.contains("<td>Extension</td>")), "the extensions come first");
    let mut page = first;
    let mut pages = 1;
    while let Some(next) = link(&page.body, "next-page") {
        page = anna.get(&next);
        assert_eq!(page.status, 200);
        pages += 1;
        assert!(page.body.contains(&format!("Page {pages}")), "{next}: {}", page.body);
        seen.extend(listed(&page.body));
    }
    assert_eq!(pages, all.div_ceil(50));
    assert_eq!(listed(&page.body).len(), all - 50 * (pages - 1));
    assert_eq!(seen.len(), all);
    let contacts: Vec<String> = seen[extensions..].to_vec();
    let expected: Vec<String> = (0..120).map(|i| format!("K{i:03} Kontakt")).collect();
    assert_eq!(contacts, expected, "every contact once, in name order across the pages");
    // Back from the last page to the one before.
    let back = link(&page.body, "previous-page").expect("a link to the page before");
    assert_eq!(listed(&anna.get(&back).body), seen[50 * (pages - 2)..50 * (pages - 1)]);

    // A search pages the same way, and so does a view.
    let r = anna.get("/phonebook?view=private&q=K1");
    assert_eq!(listed(&r.body).len(), 20);
    assert!(link(&r.body, "next-page").is_none(), "20 fit on one page");
    let r = anna.get("/phonebook?view=private&page=3");
    assert_eq!(listed(&r.body).len(), 20, "the private book alone: 50, 50, 20");

    // What a page parameter cannot be shows the first page; past the end, none.
    assert_eq!(listed(&anna.get("/phonebook?page=x").body), seen[..50]);
    assert_eq!(listed(&anna.get("/phonebook?page=0").body), seen[..50]);
    let r = anna.get("/phonebook?page=99999999999999999999");
    assert_eq!(r.status, 200);
    let r = anna.get(&format!("/phonebook?page={}", pages + 1));
    assert!(listed(&r.body).is_empty() && link(&r.body, "previous-page").is_some());

    // An action on page 2 shows page 2 again, one contact fewer overall.
    let on_two = anna.get("/phonebook?view=all&page=2");
    let id = on_two
        .body
        .split("name=\"contact\" value=\"")
        .nth(1)
        .map(|s| s[..s.find('"').expect("quote")].to_owned());
    let id = id.expect("a contact on page 2");
    let r = anna.post("/phonebook/selection", &[("action", "delete"), ("contact", &id), ("page", "2")]);
    assert!(r.body.contains("Contacts deleted: 1."), "{}", r.body);
    assert!(r.body.contains("Page 2"));
    assert_eq!(listed(&r.body), seen[51..101]);
}
