//! External phonebook sources (SPEC C10) against the real service: a real
//! OpenLDAP server (Debian's slapd, started here on a free port: plain and
//! StartTLS) and a contact file on disk, mirrored into read-only books. The
//! first sync takes every entry; a change on the server is the only record the
//! next sync writes; a deleted entry goes; with the server stopped the failure
//! is reported and the cache still answers; bad credentials and an untrusted
//! certificate are said clearly; notes survive a re-sync, and a deleted book's
//! notes wait in the trash.

mod support;

use support::portal::{seeded_db, Browser};
use support::slapd::{Slapd, ADMIN, PASSWORD, PEOPLE};
use support::Service;

/// A service on a seeded board (`prepare` writes into its directory first),
/// and its administrator on the sources' page.
fn on_its_page(prepare: impl FnOnce(&std::path::Path)) -> (tempfile::TempDir, Service, Browser) {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    prepare(dir.path());
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/admin/books");
    (dir, svc, admin)
}

/// The administrator adds a source on `/admin/books`; the page's answer.
fn add_ldap(admin: &mut Browser, name: &str, url: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("action", "add"),
        ("name", name),
        ("kind", "ldap"),
        ("url", url),
        ("bind_dn", ADMIN),
        ("password", PASSWORD),
        ("base", PEOPLE),
        ("filter", "(objectClass=inetOrgPerson)"),
        ("schema", "openldap"),
        ("interval", "60"),
    ];
    for (k, v) in extra {
        fields.retain(|(f, _)| f != k);
        fields.push((k, v));
    }
    admin.post("/admin/books", &fields).body
}

/// The book's id on the page (its "Update now" button).
fn book_id(page: &str, name: &str) -> String {
    let row = page
        .split("<tr id=\"book-")
        .find(|r| r.contains(&format!("<td>{name}</td>")))
        .unwrap_or_else(|| panic!("{name}: {page}"));
    row.split('"').next().expect("id").to_owned()
}

/// Changes the directory as its administrator would.
fn on_the_server(slapd: &Slapd, change: impl FnOnce(&mut ldap3::Ldap) -> futures_like::Boxed<'_>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (conn, mut ldap) = ldap3::LdapConnAsync::new(&slapd.url()).await.expect("connect");
        ldap3::drive!(conn);
        ldap.simple_bind(ADMIN, PASSWORD).await.expect("bind").success().expect("bound");
        change(&mut ldap).await;
        let _ = ldap.unbind().await;
    });
}

mod futures_like {
    pub type Boxed<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;
}

#[test]
fn an_ldap_directory_is_mirrored_and_its_cache_answers_while_it_is_down() {
    let mut slapd = Slapd::start(300);
    let (dir, svc, mut admin) = on_its_page(|_| {});

    // The first sync takes every person (in pages: the server answers 500 at most).
    let page = add_ldap(&mut admin, "Firma", &slapd.url(), &[]);
    assert!(page.contains("Synced: 300 added, 0 changed, 0 removed, 0 unchanged"), "{page}");
    let id = book_id(&page, "Firma");
    // Bad credentials: the server's words, and the book is kept to be fixed.
    let page = add_ldap(&mut admin, "Wrong", &slapd.url(), &[("password", "guess")]);
    assert!(page.contains("The source could not be read") && page.contains("invalidCredentials"), "{page}");

    // Everyone who reads the public book finds the directory's people, by name
    // and by number however it is written, and may write notes on them.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let list = anna.get("/phonebook?q=Person7%20").body;
    assert!(list.contains("Test Person7") && list.contains("<td>Firma</td>"), "{list}");
    let token = support::make_token(dir.path(), "crm", &["phonebook:read"]);
    let client = svc.client();
    let auth = format!("Bearer {token}");
    let lookup = |number: &str| {
        let r = client
            .request(
                svc.lan_https,
                "GET",
                &format!("/api/v1/lookup?number={number}"),
                &[("Authorization", &auth)],
                "",
            )
            .expect("lookup");
        serde_json::from_str::<serde_json::Value>(&r.body).expect("json")
    };
    let found = lookup("0227000107");
    assert_eq!(
        (found["name"].as_str(), found["source"].as_str()),
        (Some("Test Person107"), Some("directory")),
        "{found}"
    );
    let at = list.find("id=\"notes-").expect("a notes link");
    let p7 = list[at + 10..].split('"').next().expect("id").to_owned();
    let r = anna.post("/phonebook/notes", &[("id", &p7), ("action", "add"), ("text", "Key account")]);
    assert!(r.body.contains("Key account"), "{}", r.body);

    // A change on the server is the one record the next sync writes; a deleted entry goes.
    on_the_server(&slapd, |ldap| {
        Box::pin(async move {
            let number = std::collections::HashSet::from(["+48 22 799 99 07"]);
            let dn = format!("uid=p7,{PEOPLE}");
            ldap.modify(&dn, vec![ldap3::Mod::Replace("telephoneNumber", number)])
                .await
                .expect("modify")
                .success()
                .expect("modified");
            ldap.delete(&format!("uid=p8,{PEOPLE}")).await.expect("delete").success().expect("deleted");
        })
    });
    let page = admin.post("/admin/books", &[("action", "sync"), ("id", &id)]).body;
    assert!(page.contains("Synced: 0 added, 1 changed, 1 removed, 298 unchanged"), "{page}");
    assert_eq!(lookup("0227999907")["name"], "Test Person7");
    assert!(lookup("0227000008")["name"].is_null(), "the deleted entry is gone");
    // The note stays with the person through the sync.
    assert!(anna.get(&format!("/phonebook/notes?id={p7}")).body.contains("Key account"));

    // The server stops: the failure is reported, the cache answers on.
    slapd.stop();
    let page = admin.post("/admin/books", &[("action", "sync"), ("id", &id)]).body;
    assert!(page.contains("The source could not be read"), "{page}");
    assert!(page.contains("<td class=\"contacts\">299</td>"), "{page}");
    assert_eq!(lookup("0227000107")["name"], "Test Person107");
    let phones = support::make_token(dir.path(), "desk", &["phonebook:read"]);
    let xml = client
        .request(
            svc.lan_https,
            "GET",
            "/phones/yealink.xml?q=Person107",
            &[("Authorization", &format!("Bearer {phones}"))],
            "",
        )
        .expect("directory");
    assert!(
        xml.body.contains("<Name>Test Person107</Name>\n<Telephone>+48227000107</Telephone>"),
        "{}",
        xml.body
    );
    slapd.run();

    // The book deleted: its notes wait in the trash, and come back restored.
    let page = admin.post("/admin/books", &[("action", "delete"), ("id", &id)]).body;
    assert!(page.contains("Firma: 1 notes"), "{page}");
    assert!(lookup("0227000107")["name"].is_null());
    let page = admin.post("/admin/books", &[("action", "restore"), ("book", "Firma")]).body;
    assert!(page.contains("1 notes restored."), "{page}");
    let page = add_ldap(&mut admin, "Firma", &slapd.url(), &[]);
    assert!(page.contains("Synced: 299 added"), "{page}");
    let list = anna.get("/phonebook?q=Person7%20").body;
    let at = list.find("id=\"notes-").expect("a notes link");
    let again = list[at + 10..].split('"').next().expect("id").to_owned();
    assert!(anna.get(&format!("/phonebook/notes?id={again}")).body.contains("Key account"));
}

#[test]
fn starttls_to_a_directory_whose_certificate_the_administrator_gave() {
    let slapd = Slapd::start(20);
    let (_dir, _svc, mut admin) = on_its_page(|_| {});
    // Not trusted: said so, nothing read.
    let page = add_ldap(&mut admin, "Untrusted", &slapd.url(), &[("starttls", "on")]);
    assert!(
        page.contains("The source could not be read") && page.to_lowercase().contains("certificate"),
        "{page}"
    );
    // With the company's CA: StartTLS, then the bind and the search.
    let page =
        add_ldap(&mut admin, "Trusted", &slapd.url(), &[("starttls", "on"), ("ca_pem", &slapd.ca_pem)]);
    assert!(page.contains("Synced: 20 added"), "{page}");
    // The administrator's attribute names in place of the schema's.
    let page = add_ldap(&mut admin, "Mapped", &slapd.url(), &[("attributes", "company=uid\n")]);
    assert!(page.contains("Synced: 20 added"), "{page}");
    let list = admin.get("/phonebook?q=Person3%20").body;
    assert!(list.contains("<small>p3</small>") && list.contains("<small>Firma 3</small>"), "{list}");
    let page = add_ldap(&mut admin, "Unmapped", &slapd.url(), &[("attributes", "colour=red")]);
    assert!(page.contains("The attribute mapping is one field=attribute per line"), "{page}");
    // A source that cannot be used is refused before anything is stored.
    let page = add_ldap(&mut admin, "Bad", "ldaps://127.0.0.1:1", &[("starttls", "on")]);
    assert!(page.contains("StartTLS upgrades ldap://, not ldaps://."), "{page}");
    assert!(!page.contains("<td>Bad</td>"));
}

#[test]
fn a_contact_file_is_mirrored_row_by_row() {
    let rows = |third: &str| {
        format!(
            "Vorname;Nachname;Firma;Telefon geschäftlich\r\nHans;Weber;Weber GmbH;+49 30 1234567\r\nJürgen;Müller;;+49 89 7654321\r\nAnna;Schmidt;;{third}\r\n;;;+49 40 3333333\r\n"
        )
    };
    let (dir, _svc, mut admin) = on_its_page(|dir| {
        std::fs::write(dir.join("kunden.csv"), rows("+49 40 1111111")).expect("file");
    });
    let file = dir.path().join("kunden.csv");
    let path = file.display().to_string();
    let add =
        [("action", "add"), ("name", "Kunden"), ("kind", "csv"), ("path", path.as_str()), ("interval", "15")];
    let page = admin.post("/admin/books", &add).body;
    // The empty row is reported by its line; the others are taken.
    assert!(page.contains("Synced: 3 added, 0 changed, 0 removed, 0 unchanged; line 5"), "{page}");
    let id = book_id(&page, "Kunden");
    // One row changed, one gone: only they are written.
    std::fs::write(&file, rows("+49 40 2222222").replace("Jürgen;Müller;;+49 89 7654321\r\n", ""))
        .expect("file");
    let page = admin.post("/admin/books", &[("action", "sync"), ("id", &id)]).body;
    assert!(page.contains("Synced: 0 added, 1 changed, 1 removed, 1 unchanged"), "{page}");
    // The file gone: reported, the book keeps its contacts.
    std::fs::remove_file(&file).expect("remove");
    let page = admin.post("/admin/books", &[("action", "sync"), ("id", &id)]).body;
    assert!(page.contains("The source could not be read") && page.contains("kunden.csv"), "{page}");
    assert!(page.contains("<td class=\"contacts\">2</td>"), "{page}");
    // A relative path is refused.
    let page = admin
        .post("/admin/books", &[("action", "add"), ("name", "X"), ("kind", "csv"), ("path", "x.csv")])
        .body;
    assert!(page.contains("The file must be an absolute path on the board."), "{page}");
    // So is a name another book has, and a twenty-first source.
    let page = admin.post("/admin/books", &add).body;
    assert!(page.contains("that no other book has"), "{page}");
    for i in 2..=20 {
        let name = format!("Kunden {i}");
        let more = [
            ("action", "add"),
            ("name", &name),
            ("kind", "csv"),
            ("path", path.as_str()),
            ("interval", "15"),
        ];
        assert!(admin.post("/admin/books", &more).body.contains(&format!("<td>{name}</td>")), "{name}");
    }
    let last = [("action", "add"), ("name", "One too many"), ("kind", "csv"), ("path", path.as_str())];
    let page = admin.post("/admin/books", &last).body;
    assert!(
        page.contains("A board keeps at most 20 sources") && !page.contains("<td>One too many</td>"),
        "{page}"
    );
}
