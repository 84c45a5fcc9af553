//! `webcti provision` against the real service and the simulated exchange: an
//! installer's document of 200 extensions in 5 departments applied, applied
//! again (nothing changes), then changed (only the difference is written, and
//! the journal says it came through the provisioning API); a document with one
//! bad row changes nothing; the other verbs over the same wire.

mod support;

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;
use support::{command, make_token, Service};
use webcti::domain::program::Restriction;
use webcti::sim::{demo, Clock, Sim, SimExtension};

const T0: i64 = 1_790_000_000;
const DEPARTMENTS: [&str; 5] = ["Sales", "Support", "Warehouse", "Accounts", "Board"];

fn number(i: usize) -> String {
    format!("{}", 2000 + i)
}

struct World {
    dir: tempfile::TempDir,
    sim: Sim,
    svc: Service,
    token: String,
    _stop: webcti::shutdown::Trigger,
}

/// An exchange with the demo's extensions and 200 more (2000-2199): the store
/// knows the 200 and learns the demo's from the core when the link comes up.
fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let db = data.join("webcti.db");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let store = webcti::store::Store::open(&db).await.expect("store");
            for i in 0..200 {
                store.upsert_extension(&number(i), &format!("Desk {i}"), T0).await.expect("extension");
            }
            store.close().await.expect("close");
        })
    })
    .join()
    .expect("seeding");
    let mut plan = demo::plan();
    plan.extensions.extend((0..200).map(|i| SimExtension { number: number(i), name: format!("Desk {i}") }));
    let sim = Sim::new(plan, Clock::Manual, T0);
    let sock = dir.path().join("core.sock");
    let stop = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    // The demo's lines the store does not know yet become extensions now.
    svc.wait_log("extensions learnt from the core's lines", 1);
    let token = make_token(dir.path(), "installer", &["write", "calls:write"]);
    World { dir, sim, svc, token, _stop: stop }
}

impl World {
    fn provision(&self, args: &[&str]) -> Output {
        command()
            .arg("provision")
            .args(args)
            .env("WEBCTI_URL", format!("https://{}", self.svc.lan_https))
            .env("WEBCTI_TOKEN", &self.token)
            .env("WEBCTI_CA", self.svc.dir.join("tls/device.crt"))
            .env("LANG", "en_GB.UTF-8")
            .output()
            .expect("run webcti provision")
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write document");
        path
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.svc.dir.join("webcti.db")).expect("db")
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect("count")
    }

    fn journal(&self) -> Vec<(String, String, String, String)> {
        let db = self.db();
        let mut q =
            db.prepare("SELECT extension, via, field, new FROM journal ORDER BY id").expect("journal");
        let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).expect("rows");
        rows.map(|r| r.expect("row")).collect()
    }
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn succeeded(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&o.stderr), text(o));
    text(o)
}

/// The installer's document: extension i in department i mod 5, internal
/// calls only for every tenth.
fn document(email_of: impl Fn(usize) -> String, department_of: impl Fn(usize) -> usize) -> String {
    let mut doc = String::from("version = 1\n");
    for d in DEPARTMENTS {
        doc.push_str(&format!("\n[[departments]]\nname = \"{d}\"\n"));
    }
    for i in 0..200 {
        let restriction = if i % 10 == 0 { "internal" } else { "none" };
        doc.push_str(&format!(
            "\n[[extensions]]\nnumber = \"{}\"\nname = \"Employee {i}\"\nemail = \"{}\"\ndepartment = \"{}\"\nrestriction = \"{restriction}\"\n",
            number(i),
            email_of(i),
            DEPARTMENTS[department_of(i)],
        ));
    }
    doc
}

fn email(i: usize) -> String {
    format!("employee{i}@example.com")
}

#[test]
fn an_installers_document_applied_twice_then_changed_writes_only_the_difference() {
    let w = world();
    let first = w.write("exchange.toml", &document(email, |i| i % 5));

    // The dry run shows the difference and writes nothing.
    let planned = succeeded(&w.provision(&["apply", "--dry-run", first.to_str().expect("path")]));
    for d in DEPARTMENTS {
        assert!(planned.contains(&format!("+ department {d}\n")), "{planned}");
    }
    assert!(planned.contains("~ extension 2007: name, email, department\n"), "{planned}");
    assert!(planned.contains("~ extension 2010: name, email, department, restriction\n"), "{planned}");
    assert_eq!(planned.matches("~ extension ").count(), 200);
    assert!(planned.ends_with("dry run, nothing written: 5 created, 200 changed, 0 unchanged, 0 refused\n"));
    assert_eq!(w.count("SELECT count(*) FROM department"), 0, "a dry run makes no department");
    assert!(w.journal().is_empty(), "nor any change");

    // Applied: the exchange is as the document says, the core included.
    let applied = succeeded(&w.provision(&["apply", first.to_str().expect("path")]));
    assert!(applied.ends_with("applied: 5 created, 200 changed, 0 unchanged, 0 refused\n"), "{applied}");
    assert_eq!(w.count("SELECT count(*) FROM department"), 5);
    for d in DEPARTMENTS {
        let members = w.count(&format!(
            "SELECT count(*) FROM extension e JOIN department d ON d.id = e.department_id WHERE d.name = '{d}'"
        ));
        assert_eq!(members, 40, "{d}");
    }
    let program = |ext: &str| w.sim.with(|ex| ex.program(ext).cloned()).expect("programmed");
    assert_eq!(
        program("2010").restriction,
        Restriction::InternalOnly,
        "the core has it when the call returns"
    );
    assert_eq!(program("2011").restriction, Restriction::None);
    let written = w.journal();
    assert!(
        written.iter().all(|(_, via, ..)| via == "api"),
        "the journal says: through the provisioning API"
    );
    assert_eq!(
        written.iter().filter(|(ext, _, field, _)| ext == "2010" && field == "restriction").count(),
        1
    );

    // The same document again: nothing to change, nothing written.
    let again = succeeded(&w.provision(&["apply", first.to_str().expect("path")]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");
    assert_eq!(w.journal().len(), written.len());

    // A changed document: two extensions differ, and only they are written.
    let changed = w.write(
        "exchange-2.json",
        &toml_to_json(&document(
            |i| if i == 5 { "desk5@example.com".into() } else { email(i) },
            |i| if i == 12 { 0 } else { i % 5 },
        )),
    );
    let diff = succeeded(&w.provision(&["apply", changed.to_str().expect("path")]));
    assert_eq!(
        diff,
        "~ extension 2005: email\n~ extension 2012: department\napplied: 0 created, 2 changed, 203 unchanged, 0 refused\n"
    );
    let after = w.journal();
    let new: Vec<_> = after[written.len()..]
        .iter()
        .map(|(e, via, f, v)| (e.as_str(), via.as_str(), f.as_str(), v.as_str()))
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    assert_eq!(new[0], ("2005", "api", "email", "desk5@example.com"));
    assert_eq!((new[1].0, new[1].1, new[1].2), ("2012", "api", "department"));
}

/// CTI groups in a document (version 2): made, then left alone, then only the
/// one that differs written; a member that is nobody refuses the whole file.
#[test]
fn a_documents_cti_groups_are_made_once_and_then_only_changed() {
    let w = world();
    let groups = |front: &str| {
        format!(
            "version = 2\n\n[[cti_groups]]\nname = \"Front desk\"\nshow_numbers = true\nmembers = [{front}]\n\n\
             [[cti_groups]]\nname = \"Sales floor\"\nmembers = [\"2003\"]\n"
        )
    };
    let first = w.write("groups.toml", &groups("\"2001\", \"2002\""));
    let planned = succeeded(&w.provision(&["apply", "--dry-run", first.to_str().expect("path")]));
    assert_eq!(
        planned,
        "+ cti_group Front desk\n+ cti_group Sales floor\ndry run, nothing written: 2 created, 0 changed, 0 unchanged, 0 refused\n"
    );
    assert_eq!(w.count("SELECT count(*) FROM cti_group"), 0, "a dry run makes no group");
    let applied = succeeded(&w.provision(&["apply", first.to_str().expect("path")]));
    assert!(applied.ends_with("applied: 2 created, 0 changed, 0 unchanged, 0 refused\n"), "{applied}");
    let members = |group: &str| {
        let db = w.db();
        let mut q = db
            .prepare(
                "SELECT s.extension FROM cti_group_subscriber s JOIN cti_group g ON g.id = s.group_id
                 WHERE g.name = ?1 ORDER BY s.extension",
            )
            .expect("members");
        let rows = q.query_map([group], |r| r.get::<_, String>(0)).expect("rows");
        rows.map(|r| r.expect("row")).collect::<Vec<_>>()
    };
    assert_eq!(members("Front desk"), ["2001", "2002"]);
    assert_eq!(w.count("SELECT show_numbers FROM cti_group WHERE name = 'Front desk'"), 1);
    assert_eq!(members("Sales floor"), ["2003"]);

    let again = succeeded(&w.provision(&["apply", first.to_str().expect("path")]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");
    // The members in another order are the same members.
    let reordered = w.write("groups-reordered.toml", &groups("\"2002\", \"2001\""));
    let again = succeeded(&w.provision(&["apply", reordered.to_str().expect("path")]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");

    // A member that is nobody: refused by its group's row, and nothing is written.
    let bad = w.write("bad-groups.toml", &groups("\"2001\", \"9999\""));
    let out = w.provision(&["apply", bad.to_str().expect("path")]);
    assert!(!out.status.success(), "refused");
    assert!(text(&out).contains("! cti_group Front desk (row 1): "), "{}", text(&out));
    assert_eq!(members("Front desk"), ["2001", "2002"]);

    // One member changed: only that group is written.
    let changed = w.write("groups-2.toml", &groups("\"2001\", \"2004\""));
    let diff = succeeded(&w.provision(&["apply", changed.to_str().expect("path")]));
    assert_eq!(
        diff,
        "~ cti_group Front desk: members\napplied: 0 created, 1 changed, 1 unchanged, 0 refused\n"
    );
    assert_eq!(members("Front desk"), ["2001", "2004"]);
    // The whole exchange exported: the groups are in it, and a second import changes nothing.
    let exported = succeeded(&w.provision(&["export"]));
    let doc: serde_json::Value = serde_json::from_str(&exported).expect("json");
    assert_eq!(doc["version"], 3);
    assert_eq!(
        doc["cti_groups"][0],
        serde_json::json!({"name": "Front desk", "show_numbers": true, "members": ["2001", "2004"]})
    );
    let file = w.write("export.json", &exported);
    let again = succeeded(&w.provision(&["apply", file.to_str().expect("path")]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");
}

/// CTI accounts in a document (version 3), with their rights and a group
/// that names them: made at once; the new login is handed its password by
/// its first login (no password travels in a file); applying the document
/// again changes nothing; a changed right is the only thing written, and a
/// device that is no extension refuses the whole document.
#[test]
fn a_documents_cti_accounts_are_made_with_their_rights_and_log_in_with_a_handed_over_password() {
    let w = world();
    let accounts = |monitors: &str, lobby_devices: &str| {
        format!(
            "version = 3\n\n\
             [[cti_accounts]]\nname = \"front\"\nkind = \"user\"\nfirst_name = \"Ewa\"\nlast_name = \"Nowak\"\n\n\
             [cti_accounts.rights]\ndevices = [{{ ext = \"2001\", main = true }}]\nmonitors = [{monitors}]\n\
             offline_journal = false\nserver_journal = true\nhot_desking = false\nblf = \"in_use\"\n\n\
             [[cti_accounts]]\nname = \"lobby\"\nkind = \"nologin\"\n\n\
             [cti_accounts.rights]\ndevices = [{lobby_devices}]\nmonitors = []\n\
             offline_journal = false\nserver_journal = false\nhot_desking = false\nblf = \"first\"\n\n\
             [[cti_groups]]\nname = \"Front desk\"\nmembers = [\"front\", \"lobby\", \"2003\"]\n\n\
             [[books]]\nname = \"Suppliers\"\neveryone = \"none\"\n\
             groups = [{{ group = \"Front desk\", access = \"offline\" }}]\n"
        )
    };
    let first = w.write("accounts.toml", &accounts("{ ext = \"2002\", clip = true }", "{ ext = \"2004\" }"));
    let planned = succeeded(&w.provision(&["apply", "--dry-run", first.to_str().expect("path")]));
    assert_eq!(
        planned,
        "+ cti_account front\n+ cti_account lobby\n+ cti_group Front desk\n+ book Suppliers\n\
         dry run, nothing written: 4 created, 0 changed, 0 unchanged, 0 refused\n"
    );
    assert_eq!(w.count("SELECT count(*) FROM account"), 0, "a dry run makes no account");
    let applied = succeeded(&w.provision(&["apply", first.to_str().expect("path")]));
    assert!(applied.ends_with("applied: 4 created, 0 changed, 0 unchanged, 0 refused\n"), "{applied}");
    assert_eq!(
        w.count("SELECT count(*) FROM cti_group_book a JOIN book b ON b.id = a.book_id WHERE b.name = 'Suppliers' AND a.access = 'offline'"),
        1,
        "the group keeps a copy of the book the same document made"
    );
    // The login waits for its password; the user without login needs none.
    let marks = |name: &str| {
        let sql = "SELECT hand_over, password_hash IS NOT NULL FROM account WHERE name = ?1";
        w.db().query_row(sql, [name], |r| Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?))).expect("account")
    };
    assert_eq!((marks("front"), marks("lobby")), ((true, false), (false, false)));
    assert_eq!(
        w.count(
            "SELECT count(*) FROM cti_group_member m JOIN cti_group g ON g.id = m.group_id
             WHERE g.name = 'Front desk'"
        ),
        2,
        "the group has both accounts the same document made"
    );

    // A desktop client logs in as front without a password, is handed one,
    // and controls the device the document gave it.
    let url = webcti::cti_client::Url::parse(&format!("wss://{}/cti", w.svc.lan_https)).expect("url");
    let ca = w.svc.dir.join("tls/device.crt");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let login = rt.block_on(async {
        let mut conn = webcti::cti_client::Connection::open(&url, Some(&ca)).await.expect("open");
        let hello = conn.recv().await.expect("hello");
        assert_eq!(hello["type"], "hello", "{hello}");
        let ask = serde_json::json!({"type": "login", "id": 1, "account": "front", "computer": "PC-1"});
        conn.send(&ask).await.expect("send");
        loop {
            let v = conn.recv().await.expect("answer");
            if v["id"] == 1 {
                break v;
            }
        }
    });
    assert_eq!(login["type"], "result", "{login}");
    assert!(login["password"].as_str().is_some_and(|p| p.len() >= 12), "a password handed over: {login}");
    assert_eq!(login["devices"], serde_json::json!(["2001"]), "{login}");
    assert_eq!(marks("front"), (false, true), "the password is the account's now");

    // Again: nothing to change (the mark gone by the login is not asked back).
    let again = succeeded(&w.provision(&["apply", first.to_str().expect("path")]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");

    // A device that is no extension: the row says which line, nothing is written.
    let bad = w.write("accounts-bad.toml", &accounts("", "{ ext = \"9999\" }"));
    let out = w.provision(&["apply", bad.to_str().expect("path")]);
    assert!(!out.status.success(), "refused");
    assert!(text(&out).contains("! cti_account lobby (row 2): Line 1: "), "{}", text(&out));
    assert_eq!(w.count("SELECT count(*) FROM account_monitor"), 1, "front's monitor stays");

    // Front no longer monitors 2002: only that is written.
    let changed = w.write("accounts-2.toml", &accounts("", "{ ext = \"2004\" }"));
    let diff = succeeded(&w.provision(&["apply", changed.to_str().expect("path")]));
    assert_eq!(
        diff,
        "~ cti_account front: monitors\napplied: 0 created, 1 changed, 3 unchanged, 0 refused\n"
    );
    assert_eq!(w.count("SELECT count(*) FROM account_monitor"), 0);
    // The export carries the accounts with their rights, and applies as nothing to change.
    let exported = succeeded(&w.provision(&["export"]));
    let doc: serde_json::Value = serde_json::from_str(&exported).expect("json");
    let front = &doc["cti_accounts"][0];
    assert_eq!(
        (&front["name"], &front["kind"], &front["first_name"], &front["rights"]["devices"]),
        (
            &serde_json::json!("front"),
            &serde_json::json!("user"),
            &serde_json::json!("Ewa"),
            &serde_json::json!([{"ext": "2001", "main": true, "softphone": false}])
        ),
        "{doc}"
    );
    let file = w.write("export.json", &exported);
    let again = succeeded(&w.provision(&["apply", file.to_str().expect("path")]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");
}

#[test]
fn a_document_with_one_bad_row_changes_nothing_and_says_which() {
    let w = world();
    let bad = w.write(
        "bad.toml",
        &document(|i| if i == 42 { "not an address".into() } else { email(i) }, |i| i % 5),
    );
    let out = w.provision(&["apply", bad.to_str().expect("path")]);
    assert!(!out.status.success(), "refused");
    let shown = text(&out);
    assert!(shown.contains("! extension 2042 (row 43): "), "{shown}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 row(s) refused"), "{out:?}");
    assert_eq!(w.count("SELECT count(*) FROM department"), 0);
    assert!(w.journal().is_empty());
    // Nor is a document the exchange cannot read.
    let garbled = w.write(
        "garbled.json",
        "{\"version\": 1, \"extensions\": [{\"number\": \"2000\", \"colour\": \"red\"}]}",
    );
    let out = w.provision(&["apply", garbled.to_str().expect("path")]);
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(why.contains("the exchange answered 422") && why.contains("/extensions/0"), "{why}");
}

#[test]
fn the_other_verbs_speak_the_same_api() {
    let w = world();
    let ext: Value =
        serde_json::from_str(&succeeded(&w.provision(&["get", "extensions/2003"]))).expect("json");
    assert_eq!(ext["name"], "Desk 3");
    let all: Value = serde_json::from_str(&succeeded(&w.provision(&["list", "extensions"]))).expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(220), "every page, followed");
    // A collection paged by id is followed too: three contacts, two a page.
    let auth = format!("Bearer {}", w.token);
    for last in ["Lis", "Sowa", "Wrona"] {
        let contact =
            format!(r#"{{"last_name": "{last}", "numbers": [{{"kind": "work", "number": "0221234567"}}]}}"#);
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        let r =
            w.svc.client().request(w.svc.lan_https, "POST", "/api/v1/phonebook/contacts", &headers, &contact);
        assert_eq!(r.map(|r| r.status), Ok(201));
    }
    let book: Value =
        serde_json::from_str(&succeeded(&w.provision(&["list", "phonebook/contacts", "limit=2"])))
            .expect("json");
    let names: Vec<&str> =
        book.as_array().expect("list").iter().filter_map(|c| c["last_name"].as_str()).collect();
    assert_eq!(names, ["Lis", "Sowa", "Wrona"]);
    let export = succeeded(&w.provision(&["export", "--csv"]));
    assert!(export.starts_with("number,name,") && export.contains("\n2199,Desk 199,"), "{export}");
    // An export imported again changes nothing.
    let file = w.write("export.json", &succeeded(&w.provision(&["export"])));
    let again = succeeded(&w.provision(&["import", file.to_str().expect("path")]));
    assert!(again.ends_with("applied: 0 created, 0 changed, 220 unchanged, 0 refused\n"), "{again}");
    // The whole configuration: exported, changed in one place, applied.
    let config = succeeded(&w.provision(&["export", "--config"]));
    let mut doc: Value = serde_json::from_str(&config).expect("json");
    let list = doc["extensions"].as_array_mut().expect("extensions");
    let desk = list.iter_mut().find(|e| e["number"] == "2005").expect("2005");
    desk["forwarding"]["forward_busy"] = "2006".into();
    let file = w.write("config.json", &doc.to_string());
    let path = file.to_str().expect("path");
    let planned = succeeded(&w.provision(&["apply", path, "--config", "--dry-run"]));
    assert_eq!(planned.lines().next(), Some("~ forwarding 2005: forward_busy"), "{planned}");
    let done = succeeded(&w.provision(&["apply", path, "--config"]));
    assert!(done.starts_with("~ forwarding 2005: forward_busy\napplied: 0 created, 1 changed, "), "{done}");
    let busy = "SELECT forward_busy FROM extension_services WHERE extension = '2005'";
    assert_eq!(w.db().query_row(busy, [], |r| r.get::<_, String>(0)).expect("stored"), "2006");
    let programmed = w.sim.with(|ex| ex.program("2005").and_then(|p| p.forward_busy.clone()));
    assert_eq!(programmed.as_deref(), Some("2006"), "the exchange forwards when the call returns");
    let again = succeeded(&w.provision(&["apply", path, "--config"]));
    assert_eq!(again, "nothing to change: the exchange is as the document says\n");
    // Click-to-call: the exchange rings 2001, then dials 2002.
    let placed = succeeded(&w.provision(&["call", "2001", "2002"]));
    assert_eq!(placed, "2001 rings, then 2002 is dialled\n");
    assert!(!w.sim.with(|ex| ex.calls_of("2001")).is_empty(), "the exchange placed it");
    // Refusals: a read token cannot write; no token, or the wrong certificate, gets nowhere.
    let read = make_token(w.dir.path(), "auditor", &["read"]);
    let out = command()
        .args(["provision", "import", file.to_str().expect("path"), "--token", &read, "--url"])
        .arg(format!("https://{}", w.svc.lan_https))
        .arg("--ca")
        .arg(w.svc.dir.join("tls/device.crt"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the exchange answered 403"), "{out:?}");
    let other_ca = w.write("other.crt", &stranger_certificate());
    let out = command()
        .args(["provision", "get", "extensions/2003", "--ca"])
        .arg(&other_ca)
        .env("WEBCTI_URL", format!("https://{}", w.svc.lan_https))
        .env("WEBCTI_TOKEN", &w.token)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"), "{out:?}");
    let out =
        command().args(["provision", "get", "extensions"]).env_remove("WEBCTI_URL").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the exchange's address"), "{out:?}");
    let out = command()
        .args(["provision", "get", "extensions", "--url", "http://127.0.0.1:1"])
        .env("WEBCTI_TOKEN", "x")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("only served over https://"), "{out:?}");
}

fn toml_to_json(doc: &str) -> String {
    let v: Value = toml::from_str(doc).expect("toml");
    v.to_string()
}

/// A certificate of somebody else's for the same address, not the board's.
fn stranger_certificate() -> String {
    rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("certificate").cert.pem()
}
