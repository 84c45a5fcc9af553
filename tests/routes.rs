//! The route × role matrix: every route of the portal, requested by a visitor, a
//! PIN login that has not set its password yet, a subscriber and an
//! administrator, against the real service. Authorisation is decided on the server for every one; a state
//! change without our page's CSRF token is refused even with a live session.

mod support;

use support::portal::{seeded_db, Browser};
use support::Service;
use webcti::http::routes::{Access, ROUTES};

use support::client::Response;

/// A GET, or a POST from our own origin without a CSRF token (a forged post).
fn request(b: &mut Browser, method: &str, path: &str, live_session: bool) -> Response {
    if path == "/events" && live_session {
        // The stream does not end: its head is what the matrix needs.
        let mut stream = b.client.events(b.addr, path, &b.cookie_header()).expect("stream");
        let open = stream.wait_for("text/event-stream", std::time::Duration::from_secs(30));
        return Response { status: if open { 200 } else { 0 }, headers: vec![], body: String::new() };
    }
    match method {
        "GET" => b.get(path),
        // An upload with a token that is not the session's: the first `csrf` field counts.
        _ if path == "/phonebook/import" => b.post_file(path, &[("csrf", "forged")], "contacts.csv", b"x"),
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
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut visitor = Browser::new(svc.client(), svc.lan_https);
    let mut pin = Browser::new(svc.client(), svc.lan_https);
    pin.login("107", "1234");
    let mut subscriber = Browser::new(svc.client(), svc.lan_https);
    subscriber.login("100", "secret-100");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    admin.login("120", "secret-120");
    let mut wrong = Vec::new();
    // Logging out ends the session: that route goes last.
    let mut routes: Vec<_> = ROUTES.to_vec();
    routes.sort_by_key(|(_, path, _)| *path == "/logout");
    for (method, path, access) in routes {
        let v = request(&mut visitor, method, path, false);
        let p = request(&mut pin, method, path, false);
        let s = request(&mut subscriber, method, path, true);
        let a = request(&mut admin, method, path, true);
        let ok = match access {
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
            // Subscribers are refused; only the administrator is answered.
            Access::Administrator => {
                login_redirect(&v)
                    && p.header("location") == Some("/password")
                    && s.status == 403
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
            (_, Access::Administrator) => s.status == 403 && a.status == 403,
        };
        if !ok || !forged_refused {
            wrong.push(format!(
                "{method} {path} ({access:?}): visitor {} {:?}, pin {} {:?}, subscriber {} {:?}, administrator {} {:?}",
                v.status,
                v.header("location"),
                p.status,
                p.header("location"),
                s.status,
                s.header("location"),
                a.status,
                a.header("location")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_lists_every_route_of_the_router() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/routes.rs"))
        .expect("routes.rs");
    let routed: Vec<&str> = src
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"').and_then(|r| r.split('"').next()))
        .collect();
    assert!(routed.len() > 20, "found {routed:?}");
    for path in &routed {
        let example = path.replace("{file}", "style.css");
        assert!(ROUTES.iter().any(|(_, p, _)| *p == example), "{path} is routed but not in ROUTES");
    }
    for (_, path, _) in ROUTES {
        let pattern = path.replace("style.css", "{file}");
        assert!(routed.contains(&pattern.as_str()), "{path} is in ROUTES but not routed");
    }
}
