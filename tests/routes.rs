//! The route × role matrix: every route of the portal, requested by a visitor, a
//! PIN login that has not set its password yet, a subscriber, a manager about
//! an extension of his department (`?for=`) and about one outside it, and an
//! administrator, against the real service. Authorisation is decided on the
//! server for every one; a state change without our page's CSRF token is
//! refused even with a live session, and nothing the walk was refused changed
//! anybody's settings.

mod support;

use support::portal::{seeded_db, settings_snapshot, with_manager, Browser};
use support::Service;
use webcti::http::routes::{Access, ROUTES};

use support::client::Response;

/// A GET, or a POST from our own origin without a CSRF token (a forged post).
fn request(b: &mut Browser, method: &str, path: &str, live_session: bool) -> Response {
    if path.starts_with("/events") && live_session {
        // The stream does not end: its head is what the matrix needs.
        let mut stream = b.client.events(b.addr, path, &b.cookie_header()).expect("stream");
        stream.wait_for("\r\n\r\n", std::time::Duration::from_secs(30));
        let status = stream.seen.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let open = stream.seen.contains("text/event-stream");
        return Response {
            status: if open || status != 200 { status } else { 0 },
            headers: vec![],
            body: String::new(),
        };
    }
    match method {
        "GET" => b.get(path),
        "PUT" | "PATCH" | "DELETE" => {
            b.client.request(b.addr, method, path, &[("Cookie", &b.cookie_header())], "").expect("request")
        }
        // An upload with a token that is not the session's: the first `csrf` field counts.
        _ if path.starts_with("/phonebook/import")
            || path.starts_with("/admin/books/file")
            || path.starts_with("/admin/provision")
            || path.starts_with("/admin/installer?")
            || path == "/admin/installer" =>
        {
            b.post_file(path, &[("csrf", "forged")], "setup.exe", b"x")
        }
        _ => {
            let origin = format!("https://{}", b.addr);
            b.post_as(path, &[], &origin, "")
        }
    }
}

fn login_redirect(r: &Response) -> bool {
    (300..400).contains(&r.status) && r.header("location") == Some("/")
}

#[test]
fn every_route_for_every_role() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    with_manager(&data);
    let svc = Service::start(dir.path(), "");
    let mut visitor = Browser::new(svc.client(), svc.lan_https);
    let mut pin = Browser::new(svc.client(), svc.lan_https);
    pin.login("107", "1234");
    let mut subscriber = Browser::new(svc.client(), svc.lan_https);
    subscriber.login("100", "secret-100");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    admin.login("120", "secret-120");
    // 101 manages Sales (100 and 101); 120 is in Office.
    let mut manager = Browser::new(svc.client(), svc.lan_https);
    manager.login("101", "secret-101");
    let before = settings_snapshot(&data);
    let mut wrong = Vec::new();
    let mut cells = 0;
    // Logging out ends the session: that route goes last.
    let mut routes: Vec<_> = ROUTES.to_vec();
    routes.sort_by_key(|(_, path, _)| *path == "/logout");
    for (method, path, access) in routes {
        let v = request(&mut visitor, method, path, false);
        let p = request(&mut pin, method, path, false);
        let s = request(&mut subscriber, method, path, true);
        let a = request(&mut admin, method, path, true);
        let mi = request(&mut manager, method, &format!("{path}?for=100"), true);
        let mo = request(&mut manager, method, &format!("{path}?for=120"), true);
        cells += 6;
        // About an extension outside his departments, every page that takes a
        // session is refused, whatever it shows; inside, he is answered.
        let managed = match access {
            Access::Anyone | Access::Token(_) | Access::DeskPhone | Access::CtiClient => true,
            _ => {
                mo.status == 403
                    && !login_redirect(&mi)
                    && mi.header("location") != Some("/password")
                    && mi.status < 500
            }
        };
        let ok = managed
            && match access {
                // Visitors are answered (a form, a refusal of a forged post), never sent to log in.
                Access::Anyone => !login_redirect(&v) && v.status < 500 && !login_redirect(&s),
                Access::Subscriber => {
                    login_redirect(&v)
                        && p.header("location") == Some("/password")
                        && !login_redirect(&s)
                        && s.header("location") != Some("/password")
                        && s.status < 500
                }
                Access::SubscriberOrPin => {
                    login_redirect(&v)
                        && !login_redirect(&p)
                        && p.header("location") != Some("/password")
                        && p.status < 500
                        && !login_redirect(&s)
                }
                // Anybody who manages no department is refused.
                Access::Manager => {
                    login_redirect(&v)
                        && p.header("location") == Some("/password")
                        && s.status == 403
                        && a.status == 403
                        && (method != "GET" || mi.status < 400)
                }
                // The API takes bearer tokens, never a session: everybody is asked for one.
                Access::Token(_) => [&v, &p, &s, &a, &mi, &mo].iter().all(|r| {
                    r.status == 401 && r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer"))
                }),
                // A desk phone's door asks everybody for a phone's user and password.
                Access::DeskPhone => [&v, &p, &s, &a, &mi, &mo].iter().all(|r| {
                    r.status == 401 && r.header("www-authenticate").is_some_and(|h| h.starts_with("Basic"))
                }),
                // A session opens nothing: without the WebSocket handshake everybody is refused alike.
                Access::CtiClient => [&v, &p, &s, &a, &mi, &mo].iter().all(|r| r.status == 400),
                // Subscribers and managers are refused; only the administrator is answered.
                Access::Administrator => {
                    login_redirect(&v)
                        && p.header("location") == Some("/password")
                        && s.status == 403
                        && mi.status == 403
                        && !login_redirect(&a)
                        && a.status < 500
                        && (method != "GET" || a.status < 400)
                }
            };
        // A session's state change needs our page's token: an empty body has none.
        let forged_refused = match (method, access) {
            ("GET", _) => true,
            // The door's forms use a double-submit token: without it, refused too.
            (_, Access::Anyone) => v.status == 403,
            (_, Access::Subscriber) => s.status == 403,
            (_, Access::SubscriberOrPin) => s.status == 403 && p.status == 403,
            (_, Access::Manager) => mi.status == 403,
            (_, Access::Administrator) => s.status == 403 && a.status == 403,
            (_, Access::Token(_) | Access::DeskPhone) => s.status == 401 && a.status == 401,
            (_, Access::CtiClient) => false,
        };
        if !ok || !forged_refused {
            wrong.push(format!(
                "{method} {path} ({access:?}): visitor {} {:?}, pin {} {:?}, subscriber {} {:?}, \
                 manager inside {} {:?}, outside {}, administrator {} {:?}",
                v.status,
                v.header("location"),
                p.status,
                p.header("location"),
                s.status,
                s.header("location"),
                mi.status,
                mi.header("location"),
                mo.status,
                a.status,
                a.header("location")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(cells, ROUTES.len() * 6, "every route for every role");
    assert_eq!(settings_snapshot(&data), before, "a refused request changed nothing");
}

/// The paths a router's source routes, with `prefix` before each.
fn routed_in(file: &str, prefix: &str) -> Vec<String> {
    let src =
        std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).expect("router source");
    src.split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"').and_then(|r| r.split('"').next()))
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// A route's example path as its router writes it.
fn pattern(path: &str) -> String {
    path.replace("style.css", "{file}")
        .replace("/extensions/100", "/extensions/{number}")
        .replace("/departments/1", "/departments/{id}")
        .replace("/groups/1", "/groups/{id}")
        .replace("/books/1", "/books/{id}")
        .replace("/contacts/1", "/contacts/{id}")
        .replace("/accounts/1", "/accounts/{id}")
        .replace("/tokens/1", "/tokens/{id}")
        .replace("/presence/1", "/presence/{id}")
        .replace("/csv/cti_accounts", "/csv/{part}")
}

#[test]
fn the_table_lists_every_route_of_the_router() {
    let mut routed = routed_in("src/http/routes.rs", "");
    let api = routed_in("src/http/api/mod.rs", "/api/v1");
    assert!(routed.len() > 20 && api.len() > 5, "found {routed:?} and {api:?}");
    routed.extend(api);
    for path in &routed {
        assert!(ROUTES.iter().any(|(_, p, _)| pattern(p) == *path), "{path} is routed but not in ROUTES");
    }
    for (_, path, _) in ROUTES {
        assert!(routed.contains(&pattern(path)), "{path} is in ROUTES but not routed");
    }
}
