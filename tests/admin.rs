//! The administrator's pages (SPEC A1): only an administrator is answered, and
//! "About" says what runs here.

mod support;

use support::portal::{seeded_db, with_manager, Browser};
use support::Service;

#[test]
fn about_is_for_administrators_and_says_what_runs_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut subscriber = Browser::new(svc.client(), svc.lan_https);
    subscriber.login("100", "secret-100");
    assert_eq!(subscriber.get("/admin").status, 403);
    assert!(!subscriber.get("/settings").body.contains("href=\"/admin\""), "no link for a subscriber");

    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/settings").body.contains("href=\"/admin\""));
    let about = admin.get("/admin");
    assert_eq!(about.status, 200, "{}", about.body);
    assert_eq!(about.header("cache-control"), Some("no-store"));
    let newest = format!("newest known: {}", webcti::hal::proto::NEWEST_VERSION);
    for text in [
        env!("CARGO_PKG_VERSION"),
        "test (webcti-test)",
        "the simulator, in this process",
        "link up",
        &newest,
        "webcti-sim · serial SIM-0001",
        &format!("schema {}", webcti::store::SCHEMA_VERSION),
        "Free flash",
    ] {
        assert!(about.body.contains(text), "{text} missing: {}", about.body);
    }
    // In German too.
    admin.get("/settings");
    admin.post("/settings/app", &[("language", "de"), ("layout", "auto")]);
    assert!(admin.get("/admin").body.contains("Über diese Anlage"));
}

#[test]
fn cti_licences_are_given_only_while_the_exchange_has_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    // The simulator's licence file: one licence for call control, two for the busy-lamp field.
    let svc = Service::start(dir.path(), "core_block=sim_licences = { call_control = 1, monitor = 2 }");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let about = admin.get("/admin").body;
    assert!(about.contains("Call control from a desktop client</th><td>0 of 1 given"), "{about}");
    assert!(about.contains("Call popups</th><td>0 of 0 given"), "a function the file does not name: {about}");

    admin.get("/admin/employee?ext=100");
    let both = [("licence", "call_control"), ("licence", "monitor")];
    let saved = admin.post("/admin/employee", &employee_form(&both));
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("id=\"licence-call_control\" checked"), "{}", saved.body);
    assert!(saved.body.contains("1 of 1 given"), "{}", saved.body);

    // The last call-control licence is 100's: 101 gets none, and nothing of the change is kept.
    let form = |overrides: &[(&'static str, &'static str)]| {
        let mut f = employee_form(overrides);
        f.retain(|(k, _)| *k != "ext" && *k != "name");
        f.extend([("ext", "101"), ("name", "Piotr Nowak")]);
        f
    };
    let refused = admin.post("/admin/employee", &form(&[("licence", "call_control"), ("comment", "desk 4")]));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("Every licence for “Call control from a desktop client” is given"),
        "{}",
        refused.body
    );
    let page = admin.get("/admin/employee?ext=101").body;
    assert!(!page.contains("id=\"licence-call_control\" checked") && !page.contains("desk 4"), "{page}");
    let refused = admin.post("/admin/employee", &form(&[("licence", "popups")]));
    assert_eq!(refused.status, 422, "no popups licence at all: {}", refused.body);
    let refused = admin.post("/admin/employee", &form(&[("licence", "everything")]));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(admin.post("/admin/employee", &form(&[("licence", "monitor")])).status, 200);

    // Taken from 100, it is 101's to have.
    assert_eq!(admin.post("/admin/employee", &employee_form(&[("licence", "monitor")])).status, 200);
    let given = admin.post("/admin/employee", &form(&[("licence", "call_control"), ("licence", "monitor")]));
    assert_eq!(given.status, 200, "{}", given.body);
    assert!(admin.get("/admin").body.contains("Busy-lamp field and presence</th><td>2 of 2 given"));
    let journal = admin.get("/admin/journal?ext=100").body;
    let row = journal
        .split("<tr>")
        .find(|r| r.contains("monitor, call_control</td><td>monitor<"))
        .map(str::to_owned);
    assert!(row.is_some(), "the journal keeps the licences taken: {journal}");
}

fn employee_form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("ext", "100"),
        ("name", "Anna Kowalska"),
        ("comment", ""),
        ("email", "anna@example.com"),
        ("department", ""),
        ("public_book", "read"),
        ("mobile", ""),
        ("restriction", "none"),
        ("caller_ids", "0221998877"),
    ];
    // A field given more than once (the licences) is sent that often.
    f.retain(|(name, _)| overrides.iter().all(|(k, _)| k != name));
    f.extend_from_slice(overrides);
    f
}

#[test]
fn an_administrator_changes_an_employee_and_it_is_journaled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute("INSERT INTO department (name) VALUES ('Sales')", []).expect("department");
    let sales: i64 =
        db.query_row("SELECT id FROM department WHERE name = 'Sales'", [], |r| r.get(0)).expect("id");
    drop(db);
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let list = admin.get("/admin/employees");
    assert_eq!(list.status, 200);
    for text in [
        "Anna Kowalska",
        "Piotr Nowak",
        "href=\"/admin/employee?ext=120\"",
        "href=\"/admin/employee?ext=100\"",
    ] {
        assert!(list.body.contains(text), "{text}: {}", list.body);
    }
    let page = admin.get("/admin/employee?ext=100");
    assert!(
        page.body.contains("value=\"0221998877\"") || page.body.contains(">0221998877<"),
        "{}",
        page.body
    );
    let sales = sales.to_string();
    let fields = employee_form(&[
        ("department", &sales),
        ("public_book", "edit"),
        ("restriction", "internal"),
        ("mobile", "0600 100 100"),
        ("caller_ids", "0221998877\n0221 234 000"),
        ("recordings", "1"),
        ("manages", &sales),
    ]);
    let saved = admin.post("/admin/employee", &fields);
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("Saved, and the exchange has it."), "{}", saved.body);
    let page = admin.get("/admin/employee?ext=100");
    assert!(page.body.contains("0221234000"), "the numbers as dialled: {}", page.body);
    assert!(page.body.contains("<option value=\"internal\" selected>"), "{}", page.body);
    assert!(page.body.contains("id=\"recordings\" checked"), "{}", page.body);
    assert!(page.body.contains(&format!("name=\"manages\" value=\"{sales}\" checked")), "{}", page.body);
    // Now a manager: his team is the Sales department.
    let mut manager = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(manager.login("100", "secret-100").status, 303);
    assert_eq!(manager.get("/manager").status, 200);
    // Bad input changes nothing.
    let bad = admin.post("/admin/employee", &employee_form(&[("department", "999")]));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("no such department"), "{}", bad.body);
    let bad = admin.post("/admin/employee", &employee_form(&[("manages", "999")]));
    assert_eq!(bad.status, 422);
    let bad = admin.post("/admin/employee", &employee_form(&[("mobile", "call me")]));
    assert_eq!(bad.status, 422);
    assert!(admin.get("/admin/employee?ext=100").body.contains("<option value=\"internal\" selected>"));

    // The administrator reads anybody's journal; a subscriber cannot.
    let theirs = admin.get("/admin/journal?ext=100");
    assert!(
        theirs.body.contains("<span id=\"subject\">100</span>") && theirs.body.contains("Outgoing calls"),
        "{}",
        theirs.body
    );
    assert_eq!(admin.get("/admin/journal?ext=x1").status, 404);
    // The subscriber sees who restricted him, and now may forward only inside.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let journal = anna.get("/journal").body;
    let row =
        journal.split("<tr>").find(|r| r.contains("Outgoing calls")).unwrap_or_else(|| panic!("{journal}"));
    assert!(row.contains("120 (administrator)") && row.contains("<td>none</td><td>internal</td>"), "{row}");
    anna.get("/forwarding");
    let refused = anna.post(
        "/forwarding",
        &[("no_answer_secs", "20"), ("announcement", "0"), ("rules", "0"), ("forward_always", "0600123456")],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    // A subscriber's post to the administrator's page is refused, with his own token.
    anna.get("/settings");
    let forged = anna.post("/admin/employee", &employee_form(&[("restriction", "none")]));
    assert_eq!(forged.status, 403);
    assert_eq!(anna.get("/admin/journal?ext=120").status, 403);
    assert!(admin.get("/admin/employee?ext=100").body.contains("<option value=\"internal\" selected>"));

    // The last administrator cannot lose the rights.
    let me = employee_form(&[("ext", "120"), ("name", "Ewa Lis"), ("email", ""), ("caller_ids", "")]);
    let last = admin.post("/admin/employee", &me);
    assert_eq!(last.status, 422, "{}", last.body);
    assert!(last.body.contains("last administrator"), "{}", last.body);
    assert_eq!(admin.get("/admin").status, 200, "still an administrator");
    // With a second administrator, the first may step down.
    let mut promote =
        employee_form(&[("ext", "101"), ("name", "Piotr Nowak"), ("email", ""), ("caller_ids", "")]);
    promote.push(("is_admin", "1"));
    assert_eq!(admin.post("/admin/employee", &promote).status, 200);
    assert_eq!(admin.post("/admin/employee", &me).status, 200);
    assert_eq!(admin.get("/admin").status, 403, "no longer an administrator");
}

#[test]
fn departments_are_added_renamed_and_deleted_after_saying_what_happens() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/admin/departments");
    let added = admin.post("/admin/departments", &[("action", "add"), ("name", "Service")]);
    assert!(added.body.contains("Department added."), "{}", added.body);
    let twice = admin.post("/admin/departments", &[("action", "add"), ("name", "service")]);
    assert_eq!(twice.status, 422);
    assert!(twice.body.contains("exists already"), "{}", twice.body);
    let empty = admin.post("/admin/departments", &[("action", "add"), ("name", "  ")]);
    assert_eq!(empty.status, 422);
    let id = added
        .body
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the department's id")
        .to_owned();
    let renamed =
        admin.post("/admin/departments", &[("action", "rename"), ("id", &id), ("name", "Customer Service")]);
    assert!(renamed.body.contains("value=\"Customer Service\""), "{}", renamed.body);
    // 100 joins it.
    admin.get("/admin/employee?ext=100");
    let join = [
        ("ext", "100"),
        ("name", "Anna Kowalska"),
        ("email", "anna@example.com"),
        ("department", id.as_str()),
        ("public_book", "read"),
        ("restriction", "none"),
        ("caller_ids", "0221998877"),
    ];
    assert_eq!(admin.post("/admin/employee", &join).status, 200);
    // Deleting says first what happens, and changes nothing until confirmed.
    admin.get("/admin/departments");
    let ask = admin.post("/admin/departments", &[("action", "delete"), ("id", &id)]);
    assert!(ask.body.contains("Delete Customer Service? Its 1 extensions go to the pool"), "{}", ask.body);
    assert!(admin.get("/admin/departments").body.contains("Customer Service"));
    let done = admin.post("/admin/departments", &[("action", "delete"), ("id", &id), ("confirm", "1")]);
    assert!(done.body.contains("Department deleted"), "{}", done.body);
    assert!(!done.body.contains("Customer Service"));
    let list = admin.get("/admin/employees").body;
    assert!(list.contains("<td>Anna Kowalska</td><td></td>"), "100 is in the pool: {list}");
    // Anna's journal says who moved her.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    anna.login("100", "secret-100");
    let journal = anna.get("/journal").body;
    let moves = journal
        .split("<tr>")
        .filter(|r| r.contains("<td>Department</td>") && r.contains("120 (administrator)"))
        .count();
    assert_eq!(moves, 2, "joined, then moved to the pool: {journal}");
    // A subscriber cannot touch departments.
    anna.get("/settings");
    assert_eq!(anna.post("/admin/departments", &[("action", "add"), ("name", "Mine")]).status, 403);
    assert!(!admin.get("/admin/departments").body.contains("Mine"));
}

#[test]
fn a_temporary_password_logs_in_once_to_choose_a_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut piotr = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    assert_eq!(piotr.get("/start").status, 200);
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/admin/employee?ext=101");
    let given = admin.post("/admin/employee/password", &[("ext", "101")]);
    assert_eq!(given.status, 200, "{}", given.body);
    let temporary = given
        .body
        .split("<strong id=\"temporary\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the temporary password is shown")
        .to_owned();
    assert!(temporary.len() >= 16, "{temporary}");
    assert!(!admin.get("/admin/employee?ext=101").body.contains(&temporary), "shown only once");
    // Piotr's session ended; his old password is gone.
    assert_eq!(piotr.get("/start").status, 303);
    let mut b = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(b.login("101", "secret-101").status, 401);
    // The temporary password leads only to choosing one's own.
    let r = b.login("101", &temporary);
    assert_eq!(r.header("location"), Some("/password"));
    assert_eq!(b.get("/start").header("location"), Some("/password"));
    let form = b.get("/password");
    assert!(form.body.contains("temporary password"), "{}", form.body);
    let set = b.post("/password", &[("new", "piotr-own-secret"), ("repeat", "piotr-own-secret")]);
    assert_eq!(set.header("location"), Some("/start"));
    assert_eq!(b.get("/start").status, 200);
    let mut again = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(again.login("101", &temporary).status, 401, "the temporary password is used up");
    assert_eq!(again.login("101", "piotr-own-secret").status, 303);
    let journal = again.get("/journal").body;
    assert!(journal.contains("120 (administrator)") && journal.contains("set (not shown)"), "{journal}");
    assert!(!journal.contains(&temporary));
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64
}

fn post_code(b: &mut Browser, code: &str) -> support::client::Response {
    b.get("/login/code");
    b.post("/login/code", &[("code", code)])
}

#[test]
fn two_factor_login_with_an_app_and_recovery_codes() {
    use webcti::domain::totp;
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/admin/2fa").body.contains("Two-factor login is off"));
    let enrol = admin.post("/admin/2fa", &[("action", "begin")]);
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    assert!(enrol.body.contains("<svg"), "a QR code: {}", enrol.body);
    let typed =
        enrol.body.split("<code id=\"secret\">").nth(1).and_then(|s| s.split('<').next()).expect("key");
    let secret = totp::from_base32(typed).expect("base32");
    assert_eq!(secret.len(), totp::SECRET_BYTES);
    // A wrong first code does not turn it on.
    let wrong = admin.post("/admin/2fa", &[("action", "confirm"), ("code", "000000")]);
    assert!(wrong.status == 422 || wrong.body.contains("Two-factor login is off"), "{}", wrong.body);
    let first = format!("{:06}", totp::code(&secret, totp::step_of(now())));
    let on = admin.post("/admin/2fa", &[("action", "confirm"), ("code", &first)]);
    assert!(on.body.contains("Two-factor login is on"), "{}", on.body);
    let recovery: Vec<String> =
        on.body.split("<li><code>").skip(1).filter_map(|s| s.split('<').next().map(str::to_owned)).collect();
    assert_eq!(recovery.len(), 10, "{}", on.body);

    // Logging in now takes a code after the password.
    let mut b = Browser::new(svc.client(), svc.lan_https);
    let r = b.login("120", "secret-120");
    assert_eq!(r.header("location"), Some("/login/code"));
    assert_eq!(b.get("/start").header("location"), Some("/login/code"), "nothing else until the code");
    assert_eq!(b.get("/admin").header("location"), Some("/login/code"));
    assert_eq!(post_code(&mut b, "123456").status, 401);
    // The first code was used at enrolment: it is not accepted again; the next step's is.
    assert_eq!(post_code(&mut b, &first).status, 401, "a replayed code");
    let next = format!("{:06}", totp::code(&secret, totp::step_of(now()) + 1));
    let ok = post_code(&mut b, &next);
    assert_eq!(ok.header("location"), Some("/start"), "{}", ok.body);
    assert_eq!(b.get("/admin").status, 200);
    // The same code in another login: replayed, refused.
    let mut c =
        Browser::new(svc.client().connecting_from(std::net::IpAddr::from([127, 0, 8, 8])), svc.lan_https);
    c.login("120", "secret-120");
    assert_eq!(post_code(&mut c, &next).status, 401);
    // A recovery code works once.
    assert_eq!(post_code(&mut c, &recovery[0]).header("location"), Some("/start"));
    let mut d =
        Browser::new(svc.client().connecting_from(std::net::IpAddr::from([127, 0, 8, 9])), svc.lan_https);
    d.login("120", "secret-120");
    assert_eq!(post_code(&mut d, &recovery[0]).status, 401, "used up");
    assert!(c.get("/admin/2fa").body.contains("9 recovery codes are left"));
}

#[test]
fn the_installer_is_uploaded_replaced_and_deleted_and_subscribers_see_it_only_while_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    assert!(!anna.get("/settings").body.contains("installer-link"));
    assert_eq!(anna.get("/download/installer").status, 404);

    assert!(admin.get("/admin/installer").body.contains("No installer has been provided."));
    let bad = admin.post_file("/admin/installer", &[], "../../etc/passwd", b"x");
    assert!(bad.body.contains("passwd is stored"), "only the name is kept: {} {}", bad.status, bad.body);
    admin.post("/admin/installer/delete", &[]);
    let bad = admin.post_file("/admin/installer", &[], ".hidden", b"x");
    assert_eq!(bad.status, 422, "{}", bad.body);
    let empty = admin.post_file("/admin/installer", &[], "client.msi", b"");
    assert!(empty.body.contains("The file is empty."), "{}", empty.body);

    let first = admin.post_file("/admin/installer", &[], "webcti-client-1.0.msi", b"first installer");
    assert!(first.body.contains("webcti-client-1.0.msi is stored"), "{}", first.body);
    assert!(anna.get("/settings").body.contains("webcti-client-1.0.msi"));
    let got = anna.get("/download/installer");
    assert_eq!((got.status, got.body.as_str()), (200, "first installer"));

    admin.get("/admin/installer");
    let second = admin.post_file("/admin/installer", &[], "webcti-client-1.1.msi", b"second installer");
    assert!(second.body.contains("Subscribers can download webcti-client-1.1.msi"), "{}", second.body);
    assert_eq!(anna.get("/download/installer").body, "second installer", "replaced");
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("data/installer")).expect("dir").collect();
    assert_eq!(kept.len(), 1, "the old one and no temporary file are left");

    // A subscriber can neither upload nor delete.
    anna.get("/settings");
    assert_eq!(anna.post_file("/admin/installer", &[], "evil.exe", b"x").status, 403);
    assert_eq!(anna.post("/admin/installer/delete", &[]).status, 403);
    assert_eq!(anna.get("/download/installer").body, "second installer");

    admin.get("/admin/installer");
    let gone = admin.post("/admin/installer/delete", &[]);
    assert!(gone.body.contains("The installer is deleted"), "{}", gone.body);
    assert_eq!(anna.get("/download/installer").status, 404);
    assert!(!anna.get("/settings").body.contains("installer-link"));
}

#[test]
fn mandatory_two_factor_makes_administrators_and_managers_enrol_first() {
    use webcti::domain::totp;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    with_manager(&data);
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/admin/2fa");
    let set = admin.post("/admin/2fa", &[("action", "mandatory"), ("mandatory", "1")]);
    assert!(set.body.contains("id=\"mandatory\" checked"), "{}", set.body);

    // The manager (101) logs in: his second factor first, nothing else.
    let mut m = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(m.login("101", "secret-101").status, 303);
    assert_eq!(m.get("/start").header("location"), Some("/manager/2fa"));
    assert_eq!(m.get("/forwarding?for=100").header("location"), Some("/manager/2fa"));
    assert_eq!(m.get("/manager/2fa").status, 200);
    let enrol = m.post("/manager/2fa", &[("action", "begin")]);
    assert!(enrol.body.contains("<svg"), "{}", enrol.body);
    assert!(!enrol.body.contains("mandatory-form"), "a manager cannot change the rule");
    assert_eq!(m.post("/manager/2fa", &[("action", "mandatory")]).status, 403);
    let typed =
        enrol.body.split("<code id=\"secret\">").nth(1).and_then(|s| s.split('<').next()).expect("key");
    let secret = totp::from_base32(typed).expect("base32");
    let code = format!("{:06}", totp::code(&secret, totp::step_of(now())));
    let on = m.post("/manager/2fa", &[("action", "confirm"), ("code", &code)]);
    assert!(on.body.contains("Two-factor login is on"), "{}", on.body);
    assert_eq!(m.get("/start").status, 200, "free to go on");
    // A subscriber is not asked; an administrator without one is, at his next login.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").header("location"), Some("/start"));
    assert_eq!(anna.get("/start").status, 200);
    assert_eq!(anna.get("/manager/2fa").status, 403);
    let mut again = Browser::new(svc.client(), svc.lan_https);
    again.login("120", "secret-120");
    assert_eq!(again.get("/admin").header("location"), Some("/admin/2fa"));
    assert_eq!(again.get("/admin/2fa").status, 200);
}

#[test]
fn an_administrator_makes_an_api_token_sees_its_secret_once_and_revokes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    admin.login("120", "secret-120");
    let page = admin.get("/admin/tokens");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"extensions:write\"") && page.body.contains("value=\"calls:write\""));
    let made = admin.post(
        "/admin/tokens",
        &[
            ("action", "create"),
            ("name", "provisioning script"),
            ("scope", "extensions:read"),
            ("days", "30"),
        ],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let secret = made
        .body
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown")
        .to_owned();
    assert!(secret.starts_with("wct_"), "{secret}");
    let again = admin.get("/admin/tokens");
    assert!(again.body.contains("provisioning script") && !again.body.contains(&secret), "shown once only");

    let api = |secret: &str| {
        let auth = format!("Bearer {secret}");
        svc.client().request(svc.lan_https, "GET", "/api/v1/extensions/100", &[("Authorization", &auth)], "")
    };
    assert_eq!(api(&secret).expect("api").status, 200);
    let id = again
        .body
        .split("id=\"revoke-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a revoke button")
        .to_owned();
    let revoked = admin.post("/admin/tokens", &[("action", "revoke"), ("id", &id)]);
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert!(!revoked.body.contains(&format!("id=\"revoke-{id}\"")), "no button for a revoked token");
    assert_eq!(api(&secret).expect("api").status, 401);

    // Refusals say why, and make nothing.
    let none = admin.post("/admin/tokens", &[("action", "create"), ("name", "no scope")]);
    assert_eq!(none.status, 422);
    assert!(none.body.contains("id=\"error\"") && !none.body.contains("<code id=\"secret\">"));
    let bad = admin.post("/admin/tokens", &[("action", "create"), ("name", "x"), ("scope", "root")]);
    assert_eq!(bad.status, 422);
    assert!(!admin.get("/admin/tokens").body.contains(">no scope<"));
}

#[test]
fn cti_accounts_are_added_given_passwords_once_handed_over_and_deleted_within_the_licences() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "cti_block=[cti]\\nlicences = 1");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/admin/cti").body.contains("0 / 1"));

    // A computer: its password is made and shown this once.
    let r = admin.post(
        "/admin/cti",
        &[
            ("action", "save"),
            ("id", "0"),
            ("kind", "computer"),
            ("name", "PC-RECEPTION"),
            ("last_name", "Reception"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("The password of PC-RECEPTION is "), "{}", r.body);
    assert!(r.body.contains("1 / 1"), "{}", r.body);
    let id =
        r.body.split("id=\"account-").nth(1).and_then(|s| s.split('"').next()).expect("the row").to_owned();
    assert!(!admin.get("/admin/cti").body.contains("The password of"), "shown once");

    // The licence is used: a user that logs in is refused, one without login is not.
    let r =
        admin.post("/admin/cti", &[("action", "save"), ("id", "0"), ("kind", "user"), ("name", "jan.kowal")]);
    assert!(r.body.contains("Every licence of the CTI server is in use"), "{}", r.body);
    assert!(r.body.contains("value=\"jan.kowal\""), "the form keeps what was typed: {}", r.body);
    let r = admin.post(
        "/admin/cti",
        &[
            ("action", "save"),
            ("id", "0"),
            ("kind", "nologin"),
            ("name", "Jan Kowal"),
            ("email", "jan@firma.pl"),
        ],
    );
    assert!(r.body.contains("Saved."), "{}", r.body);

    // Its rights: 100 stands at it, and it may watch 101 with the caller's number.
    let form = admin.get(&format!("/admin/cti?id={id}")).body;
    assert!(form.contains("Rights of PC-RECEPTION"), "{form}");
    let r = admin.post(
        "/admin/cti",
        &[("action", "rights"), ("id", &id), ("devices", "100"), ("monitors", "101 clip"), ("blf", "first")],
    );
    assert!(r.body.contains("Saved."), "{}", r.body);
    assert!(
        r.body.contains("100 main\n</textarea>") && r.body.contains("101 clip\n</textarea>"),
        "{}",
        r.body
    );
    let r = admin.post("/admin/cti", &[("action", "rights"), ("id", &id), ("devices", "100\n999")]);
    assert!(r.body.contains("Line 2: not an extension of this exchange"), "{}", r.body);
    assert!(admin.get(&format!("/admin/cti?id={id}")).body.contains("101 clip"), "a refusal changes nothing");

    // Handed over at the next login, then deleted.
    let r = admin.post("/admin/cti", &[("action", "hand_over"), ("id", &id), ("name", "PC-RECEPTION")]);
    assert!(r.body.contains("handed over at the next login"), "{}", r.body);
    let r = admin.post("/admin/cti", &[("action", "delete"), ("id", &id)]);
    assert!(r.body.contains("The account is deleted.") && !r.body.contains("PC-RECEPTION"), "{}", r.body);
    assert!(r.body.contains("0 / 1"), "{}", r.body);

    // A subscriber is not an administrator.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    assert_eq!(anna.get("/admin/cti").status, 403);
}

/// The provisioning page: the administrator downloads the whole exchange,
/// imports it again as a dry run (nothing would change), imports a CSV file
/// that changes one address (only that is written, and the report says so),
/// and a file with a refused row writes nothing and says which row. An import
/// a script makes through the API shows on the page too.
#[test]
fn the_provisioning_page_exports_and_imports_the_exchange_with_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    assert_eq!(anna.get("/admin/provision").status, 403, "a subscriber has no provisioning page");

    let page = admin.get("/admin/provision");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("id=\"last\""), "no import yet: {}", page.body);
    let export = admin.get("/admin/provision/bulk.json");
    assert_eq!(export.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&export.body).expect("JSON");
    assert_eq!(doc["version"], 3, "{doc}");
    assert!(doc["extensions"].as_array().is_some_and(|e| e.iter().any(|x| x["number"] == "100")));

    // The export as a dry run: nothing would change.
    let dry =
        admin.post_file("/admin/provision", &[("dry_run", "1")], "exchange.json", export.body.as_bytes());
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(dry.body.contains("Dry run, nothing written: created 0, changed 0"), "{}", dry.body);

    // A CSV file that gives Anna another address: written, and only that.
    let csv = admin.get("/admin/provision/csv");
    assert!(csv.body.starts_with("number,name,comment,email,"), "{}", csv.body);
    let file = b"number,email\n100,anna.kowalska@example.com\n";
    let applied = admin.post_file("/admin/provision", &[], "addresses.csv", file);
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert!(applied.body.contains("Applied: created 0, changed 1"), "{}", applied.body);
    assert!(
        applied.body.contains("<td>extension</td><td>100</td><td>changed</td><td>email</td>"),
        "{}",
        applied.body
    );
    assert!(admin.get("/admin/employee?ext=100").body.contains("anna.kowalska@example.com"));

    // A row the rules refuse: the page says which, and nothing is written.
    let bad = b"number,email\n100,anna@example.com\n999,x@example.com\n";
    let refused = admin.post_file("/admin/provision", &[], "bad.csv", bad);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("1 rows are refused; nothing was written."), "{}", refused.body);
    assert!(
        refused.body.contains("<td>3</td><td>extension</td><td>999</td><td>refused</td>"),
        "{}",
        refused.body
    );
    assert!(admin.get("/admin/employee?ext=100").body.contains("anna.kowalska@example.com"), "unchanged");
    // A file that is not a bulk document is refused before any row.
    let odd = admin.post_file("/admin/provision", &[("dry_run", "1")], "odd.json", br#"{"version": 9}"#);
    assert_eq!(odd.status, 422, "{}", odd.body);
    assert!(odd.body.contains("Version 9 of the bulk document is not known here"), "{}", odd.body);

    // A script's import through the API shows on the page as the last one.
    let token = support::make_token(dir.path(), "installer", &["write"]);
    let r = svc
        .client()
        .request(
            svc.lan_https,
            "POST",
            "/api/v1/bulk?dry_run=true",
            &[("Authorization", &format!("Bearer {token}")), ("Content-Type", "text/csv")],
            "number,comment\n101,Reception desk\n",
        )
        .expect("request");
    assert_eq!(r.status, 200, "{}", r.body);
    let progress = svc
        .client()
        .request(
            svc.lan_https,
            "GET",
            "/api/v1/bulk/progress",
            &[("Authorization", &format!("Bearer {token}"))],
            "",
        )
        .expect("request");
    let p: serde_json::Value = serde_json::from_str(&progress.body).expect("JSON");
    assert_eq!(
        (&p["phase"], &p["last"]["via"], &p["last"]["report"]["changed"]),
        (&serde_json::json!("idle"), &serde_json::json!("api"), &serde_json::json!(1)),
        "{p}"
    );
    let page = admin.get("/admin/provision");
    assert!(
        page.body.contains("<td>extension</td><td>101</td><td>changed</td><td>comment</td>"),
        "{}",
        page.body
    );
}
