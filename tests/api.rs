//! The provisioning API against the real service: every route for every kind of
//! token, the document against the router, merge patches and entity tags,
//! idempotency keys, tokens' lives, refusals in the caller's language, and
//! schemathesis over the whole document.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::client::Response;
use support::portal::{seeded_db, with_manager};
use support::{make_token, Service};
use webcti::http::routes::{Access, ROUTES};

struct Api {
    svc: Service,
    client: support::client::Client,
    dir: tempfile::TempDir,
    _turn: Turn,
}

/// The tests of this file run side by side, each with a service of its own,
/// except schemathesis's: its thousands of requests have the machine to
/// themselves, so a service slowed by its neighbours (under qemu, on two
/// cores) does not drop a TLS handshake that a fault would be blamed for.
static TURNS: std::sync::RwLock<()> = std::sync::RwLock::new(());

#[allow(dead_code)]
enum Turn {
    Beside(std::sync::RwLockReadGuard<'static, ()>),
    Alone(std::sync::RwLockWriteGuard<'static, ()>),
}

impl Api {
    fn start(extra: &str) -> Api {
        Api::start_with(extra, Turn::Beside(TURNS.read().unwrap_or_else(|e| e.into_inner())))
    }

    /// As [`Api::start`], when no other service of these tests runs.
    fn start_alone(extra: &str) -> Api {
        Api::start_with(extra, Turn::Alone(TURNS.write().unwrap_or_else(|e| e.into_inner())))
    }

    fn start_with(extra: &str, turn: Turn) -> Api {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        seeded_db(&data);
        with_manager(&data);
        let svc = Service::start(dir.path(), extra);
        let client = svc.client();
        Api { svc, client, dir, _turn: turn }
    }

    fn token(&self, scopes: &[&str]) -> String {
        make_token(self.dir.path(), &format!("test {}", scopes.join(" ")), scopes)
    }

    fn call(&self, token: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
        let auth = format!("Bearer {token}");
        let mut all = vec![("Authorization", auth.as_str())];
        if !body.is_empty() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            all.push(("Content-Type", "application/json"));
        }
        all.extend_from_slice(headers);
        self.client.request(self.svc.lan_https, method, path, &all, body).expect("request")
    }

    fn get(&self, token: &str, path: &str) -> Response {
        self.call(token, "GET", path, &[], "")
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.svc.dir.join("webcti.db")).expect("db")
    }

    fn journal_rows(&self, ext: &str) -> Vec<(String, String, String, String)> {
        let db = self.db();
        let mut q = db
            .prepare("SELECT actor, via, field, new FROM journal WHERE extension = ?1 ORDER BY id")
            .expect("journal");
        let rows = q.query_map([ext], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).expect("rows");
        rows.map(|r| r.expect("row")).collect()
    }
}

fn body(r: &Response) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.status, r.body))
}

/// A refusal is a problem document with the status it was answered with.
fn problem(r: &Response, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"), "{}", r.body);
    let p = body(r);
    assert_eq!(p["status"], status);
    assert!(p["type"].as_str().is_some_and(|t| t.starts_with("urn:webcti:problem:")), "{p}");
    p
}

#[test]
fn every_api_route_for_every_scope() {
    let api = Api::start("");
    // The first token made is token 1, which the revoking route's example names.
    let _victim = api.token(&["read"]);
    let mut routes: Vec<_> = ROUTES.iter().filter(|(_, p, _)| p.starts_with("/api/")).collect();
    assert!(routes.len() > 10, "the API's routes are in the table");
    // What deletes goes last, so that the others still find what they ask about.
    routes.sort_by_key(|(m, _, _)| *m == "DELETE");
    let mut wrong = Vec::new();
    // One token per scope, made when first needed: a board keeps 100 at most.
    let mut tokens: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut token =
        |scope: &str| tokens.entry(scope.to_owned()).or_insert_with(|| api.token(&[scope])).clone();
    for (method, path, access) in routes {
        let Access::Token(scope) = access else {
            let r = api.client.get(api.svc.lan_https, path).expect("get");
            if r.status != 200 {
                wrong.push(format!("{method} {path}: {} without a token", r.status));
            }
            continue;
        };
        // An area's scope (`extensions:write`), or one for every area (`write`).
        let (area, level) = scope.split_once(':').unwrap_or(("", scope));
        let exact = token(scope);
        let other_area = token(if area == "phonebook" { "board:write" } else { "phonebook:write" });
        let read = match area {
            "" => "read".to_owned(),
            area => format!("{area}:read"),
        };
        let below = (level == "write").then(|| token(&read));
        let none = api.call("", method, path, &[], "");
        let bad = api.call("wct_0123456789abcdef0123456789abcdef0123456789abcdef", method, path, &[], "");
        let other = api.call(&other_area, method, path, &[], "");
        let low = below.as_ref().map(|t| api.call(t, method, path, &[], ""));
        let ok = api.call(&exact, method, path, &[], "");
        // Wrong secrets from one address are soon answered "throttled" instead.
        let fine = none.status == 401
            && [401, 429].contains(&bad.status)
            && other.status == 403
            && low.as_ref().is_none_or(|r| r.status == 403)
            && ![401, 403].contains(&ok.status)
            && ok.status < 500;
        if !fine {
            wrong.push(format!(
                "{method} {path} ({scope}): none {}, bad {}, other area {}, read only {:?}, exact {} {}",
                none.status,
                bad.status,
                other.status,
                low.map(|r| r.status),
                ok.status,
                ok.body
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_served_document_is_the_one_the_types_make() {
    let made = webcti::http::api::openapi::document();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &made).expect("write docs/openapi.json");
    }
    let kept = std::fs::read_to_string(path).expect("docs/openapi.json");
    assert!(
        kept == made,
        "docs/openapi.json, which the service serves, is not what the API's types make: \
         run `UPDATE_OPENAPI=1 cargo test --test api the_served_document` and commit the file"
    );
    assert!(webcti::http::api::document_text() == kept, "the binary serves the file (build again)");
}

/// `/api/v1/extensions/100` matches the document's `/api/v1/extensions/{number}`.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| a == b || a.starts_with('{'))
}

#[test]
fn the_document_has_every_route_of_the_api_and_nothing_else() {
    let api = Api::start("");
    let r = api.client.get(api.svc.lan_https, "/api/v1/openapi.json").expect("document");
    assert_eq!(r.status, 200);
    let doc = body(&r);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (template, item) in paths {
        for method in item.as_object().expect("item").keys() {
            documented.push((method.to_uppercase(), template.clone()));
        }
    }
    let routed: Vec<_> = ROUTES.iter().filter(|(_, p, _)| p.starts_with("/api/")).collect();
    for (method, path, _) in &routed {
        assert!(
            documented.iter().any(|(m, t)| m == method && matches(t, path)),
            "{method} {path} is routed but not in the document"
        );
    }
    for (method, template) in &documented {
        assert!(
            routed.iter().any(|(m, p, _)| m == method && matches(template, p)),
            "{method} {template} is documented but not routed"
        );
    }
    // Every operation but the document's own takes a token with the scope the
    // route table gives it (and the door asks for).
    for (method, template) in &documented {
        let op = &paths[template][method.to_lowercase()];
        let wants = &op["security"][0]["bearer"];
        let table = routed.iter().find(|(m, p, _)| m == method && matches(template, p)).map(|(_, _, a)| a);
        match table {
            Some(Access::Token(scope)) => assert_eq!(wants, &json!([scope]), "{method} {template}"),
            _ => assert!(template.ends_with("openapi.json") && wants.is_null(), "{method} {template}: {op}"),
        }
    }
    // Operation ids are unique, and every answer is described (OpenAPI requires both).
    let mut ids = Vec::new();
    for (method, template) in &documented {
        let op = &paths[template][method.to_lowercase()];
        ids.push(op["operationId"].as_str().expect("an operationId").to_owned());
        for (status, r) in op["responses"].as_object().expect("responses") {
            let r = match r["$ref"].as_str().and_then(|at| at.strip_prefix("#/components/responses/")) {
                Some(name) => &doc["components"]["responses"][name],
                None => r,
            };
            assert!(r["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {template} {status}");
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    r["content"]["application/problem+json"].is_object(),
                    "{method} {template} {status}: {r}"
                );
            }
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), documented.len(), "operation ids are unique");
    // What the document says a field takes is what the domain's rules take.
    let schemas = &doc["components"]["schemas"];
    use webcti::domain::account::{MAX_DEPARTMENT, MAX_FIELD};
    for field in ["name", "comment", "email"] {
        assert_eq!(schemas["Extension"]["properties"][field]["maxLength"], MAX_FIELD, "{field}");
    }
    assert_eq!(schemas["DepartmentFields"]["properties"]["name"]["maxLength"], MAX_DEPARTMENT);
    assert_eq!(schemas["NewToken"]["properties"]["name"]["maxLength"], webcti::domain::token::MAX_NAME);
    let restrictions: Vec<&str> =
        webcti::domain::program::Restriction::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(schemas["Extension"]["properties"]["restriction"]["enum"], json!(restrictions));
}

#[test]
fn a_patch_changes_only_what_it_names_and_a_stale_tag_changes_nothing() {
    let api = Api::start("");
    let t = api.token(&["extensions:write"]);
    let first = api.get(&t, "/api/v1/extensions/100");
    assert_eq!(first.status, 200, "{}", first.body);
    let tag = first.header("etag").expect("an ETag").to_owned();
    let before = body(&first);
    assert_eq!(before["caller_ids"], json!(["0221998877"]));
    let journal_before = api.journal_rows("100").len();

    let patched = api.call(
        &t,
        "PATCH",
        "/api/v1/extensions/100",
        &[("Content-Type", "application/merge-patch+json"), ("If-Match", &tag)],
        r#"{"comment": "desk 4"}"#,
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let after = body(&patched);
    let mut expected = before.clone();
    expected["comment"] = json!("desk 4");
    assert_eq!(after, expected, "only the comment changed");
    let new_tag = patched.header("etag").expect("a new ETag").to_owned();
    assert_ne!(new_tag, tag);
    assert_eq!(api.get(&t, "/api/v1/extensions/100").header("etag"), Some(new_tag.as_str()));
    let journal = api.journal_rows("100");
    assert_eq!(journal.len(), journal_before + 1, "{journal:?}");
    let (actor, via, field, new) = journal.last().expect("entry");
    assert!(
        actor.starts_with("token:") && via == "api" && field == "comment" && new == "desk 4",
        "{journal:?}"
    );

    // The API reads the same journal, newest first, by topic.
    let read = api.get(&t, "/api/v1/extensions/100/journal");
    assert_eq!(read.status, 200, "{}", read.body);
    let newest = &body(&read)["items"][0];
    assert_eq!(
        (newest["field"].as_str(), newest["new"].as_str(), newest["via"].as_str()),
        (Some("comment"), Some("desk 4"), Some("api"))
    );
    assert!(newest["actor"].as_str().is_some_and(|a| a.starts_with("token:")));
    assert_eq!(
        body(&api.get(&t, "/api/v1/extensions/100/journal?topic=profile"))["items"][0]["field"],
        "comment"
    );
    assert!(!api.get(&t, "/api/v1/extensions/100/journal?topic=forwarding").body.contains("desk 4"));
    problem(&api.get(&t, "/api/v1/extensions/100/journal?topic=colour"), 422);
    problem(&api.get(&t, "/api/v1/extensions/999/journal"), 404);

    // Another change based on the first tag is refused, and changes nothing.
    let stale = api.call(
        &t,
        "PATCH",
        "/api/v1/extensions/100",
        &[("Content-Type", "application/merge-patch+json"), ("If-Match", &tag)],
        r#"{"comment": "desk 5"}"#,
    );
    problem(&stale, 412);
    assert_eq!(body(&api.get(&t, "/api/v1/extensions/100"))["comment"], "desk 4");

    // null empties an optional field; an unknown field is refused, naming it.
    let r = api.call(&t, "PATCH", "/api/v1/extensions/100", &[], r#"{"department": null}"#);
    assert_eq!(body(&r)["department"], Value::Null, "{}", r.body);
    let r = api.call(&t, "PATCH", "/api/v1/extensions/100", &[], r#"{"comment": "x", "colour": "red"}"#);
    assert_eq!(problem(&r, 422)["errors"][0]["pointer"], "/colour");
    let r = api.call(&t, "PATCH", "/api/v1/extensions/100", &[], r#"{"manages": [1, "x"]}"#);
    assert_eq!(problem(&r, 422)["errors"][0]["pointer"], "/manages/1");
    let r = api.call(&t, "PATCH", "/api/v1/extensions/100", &[], r#"{"number": "101"}"#);
    assert_eq!(problem(&r, 422)["errors"][0]["pointer"], "/number");
    let r = api.call(&t, "PATCH", "/api/v1/extensions/100", &[], "[1]");
    problem(&r, 422);
    let r = api.call(&t, "PATCH", "/api/v1/extensions/100", &[("Content-Type", "text/plain")], "{}");
    problem(&r, 415);
    // A domain rule's refusal names its field, in the caller's language.
    let r = api.call(
        &t,
        "PATCH",
        "/api/v1/extensions/100",
        &[("Accept-Language", "de-DE,de;q=0.9")],
        r#"{"email": "nope"}"#,
    );
    let p = problem(&r, 422);
    assert_eq!(p["errors"][0]["pointer"], "/email");
    let german = webcti::i18n::Tr::new("de");
    assert_eq!(p["detail"], german.t("settings.bad_email"), "{p}");
    let now = body(&api.get(&t, "/api/v1/extensions/100"));
    assert_eq!((now["comment"].as_str(), now["email"].as_str()), (Some("desk 4"), Some("anna@example.com")));

    // PUT of what GET gave changes nothing, however often.
    let current = api.get(&t, "/api/v1/extensions/100");
    let rows = api.journal_rows("100").len();
    for _ in 0..2 {
        let r = api.call(&t, "PUT", "/api/v1/extensions/100", &[], &current.body);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("etag"), current.header("etag"));
    }
    assert_eq!(api.journal_rows("100").len(), rows, "an unchanged PUT writes no journal entry");
}

#[test]
fn pages_of_extensions_cover_each_once_and_filter() {
    let api = Api::start("");
    let t = api.token(&["read"]);
    let all = body(&api.get(&t, "/api/v1/extensions"));
    let items = all["items"].as_array().expect("items").clone();
    let numbers: Vec<String> =
        items.iter().map(|e| e["number"].as_str().expect("number").to_owned()).collect();
    assert!(numbers.len() > 10 && numbers.windows(2).all(|w| w[0] < w[1]), "by number: {numbers:?}");
    assert!(["100", "101", "107", "120"].iter().all(|n| numbers.contains(&n.to_string())));
    assert_eq!(all["next"], Value::Null, "one page holds them all by default");
    let mut seen = Vec::new();
    let mut path = "/api/v1/extensions?limit=3".to_owned();
    loop {
        let page = body(&api.get(&t, &path));
        let got = page["items"].as_array().expect("items");
        assert!(got.len() <= 3);
        seen.extend(got.iter().map(|e| e["number"].as_str().expect("n").to_owned()));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/extensions?limit=3&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, numbers, "the pages hold each extension once, in order");
    let sales = body(&api.get(&t, "/api/v1/departments"))["items"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["name"] == "Sales")
        .map(|d| d["id"].as_i64().expect("id"))
        .expect("Sales");
    let of = |query: &str| -> Vec<String> {
        body(&api.get(&t, &format!("/api/v1/extensions?{query}")))["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["number"].as_str().expect("n").to_owned())
            .collect()
    };
    let expect = |f: &dyn Fn(&Value) -> bool| -> Vec<String> {
        items.iter().filter(|e| f(e)).map(|e| e["number"].as_str().expect("n").to_owned()).collect()
    };
    assert_eq!(of(&format!("department={sales}")), ["100", "101"]);
    assert_eq!(of("department=none"), expect(&|e| e["department"].is_null()));
    assert!(of("department=none").contains(&"107".to_owned()));
    assert_eq!(of("is_admin=true"), expect(&|e| e["is_admin"] == true));
    assert!(of("is_admin=true").contains(&"120".to_owned()));
    for bad in ["limit=0", "limit=501", "department=x", "colour=red"] {
        problem(&api.get(&t, &format!("/api/v1/extensions?{bad}")), 422);
    }
}

#[test]
fn an_idempotency_key_does_the_work_once() {
    let api = Api::start("");
    let t = api.token(&["departments:write"]);
    let key = [("Idempotency-Key", "run-42")];
    let first = api.call(&t, "POST", "/api/v1/departments", &key, r#"{"name": "Support"}"#);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = api.call(&t, "POST", "/api/v1/departments", &key, r#"{"name": "Support"}"#);
    assert_eq!((again.status, again.body.as_str()), (201, first.body.as_str()));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let list = body(&api.get(&t, "/api/v1/departments"));
    let support = list["items"].as_array().expect("items").iter().filter(|d| d["name"] == "Support").count();
    assert_eq!(support, 1, "made once: {list}");
    // The same key for another request is refused; without a key, a repeat is a second request.
    problem(&api.call(&t, "POST", "/api/v1/departments", &key, r#"{"name": "Other"}"#), 422);
    problem(&api.call(&t, "POST", "/api/v1/departments", &[], r#"{"name": "Support"}"#), 422);
    // Another token's same key is its own.
    let t2 = api.token(&["departments:write"]);
    let theirs = api.call(&t2, "POST", "/api/v1/departments", &key, r#"{"name": "Field"}"#);
    assert_eq!(theirs.status, 201, "{}", theirs.body);
}

#[test]
fn tokens_are_held_to_their_scopes_and_end_when_revoked_or_expired() {
    let api = Api::start("https_only=false");
    let read = api.token(&["read"]);
    assert_eq!(api.get(&read, "/api/v1/extensions/101").status, 200);
    let r = api.call(&read, "PATCH", "/api/v1/extensions/101", &[], r#"{"comment": "no"}"#);
    problem(&r, 403);
    problem(
        &api.call(&read, "POST", "/api/v1/calls", &[], r#"{"extension": "100", "number": "0221234567"}"#),
        403,
    );
    problem(&api.get(&read, "/api/v1/tokens"), 403);
    // Neither "read" nor "write" reaches the tokens: that takes security's scope,
    // and a token makes no token beyond its own scopes.
    let maker = api.token(&["security:write"]);
    let beyond = api.call(&maker, "POST", "/api/v1/tokens", &[], r#"{"name": "more", "scopes": ["write"]}"#);
    problem(&beyond, 403);
    let admin = api.token(&["security:write", "records:read"]);
    let made =
        api.call(&admin, "POST", "/api/v1/tokens", &[], r#"{"name": "billing", "scopes": ["records:read"]}"#);
    assert_eq!(made.status, 201, "{}", made.body);
    let made = body(&made);
    let secret = made["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("wct_"));
    let list = api.get(&admin, "/api/v1/tokens");
    assert!(!list.body.contains(&secret), "a secret is shown once only");
    let db_hash: String = api
        .db()
        .query_row("SELECT token_hash FROM api_token WHERE id = ?1", [made["id"].as_i64()], |r| r.get(0))
        .expect("stored");
    assert!(!db_hash.contains(&secret[4..]), "only a hash is kept");
    problem(&api.get(&secret, "/api/v1/extensions"), 403);
    let r = api.call(&admin, "POST", "/api/v1/tokens", &[], r#"{"name": "x", "scopes": ["admin"]}"#);
    assert_eq!(problem(&r, 422)["errors"][0]["pointer"], "/scopes");
    let r = api.call(
        &admin,
        "POST",
        "/api/v1/tokens",
        &[],
        r#"{"name": "x", "scopes": ["records:read"], "expires_at": 1}"#,
    );
    assert_eq!(problem(&r, 422)["errors"][0]["pointer"], "/expires_at");

    // Revoked: refused from its next request on.
    let id = made["id"].as_i64().expect("id");
    assert_eq!(api.call(&admin, "DELETE", &format!("/api/v1/tokens/{id}"), &[], "").status, 204);
    problem(&api.get(&secret, "/api/v1/extensions"), 401);
    problem(&api.call(&admin, "DELETE", &format!("/api/v1/tokens/{id}"), &[], ""), 404);
    // Expired: refused too.
    api.db().execute("UPDATE api_token SET expires_at = 1000 WHERE name = 'test read'", []).expect("expire");
    problem(&api.get(&read, "/api/v1/extensions/101"), 401);
    let listed = body(&api.get(&admin, "/api/v1/tokens"));
    let states: Vec<(String, bool)> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| (t["name"].as_str().expect("name").to_owned(), t["in_force"].as_bool().expect("flag")))
        .collect();
    assert!(
        states.contains(&("billing".into(), false)) && states.contains(&("test read".into(), false)),
        "{states:?}"
    );
    assert!(listed["items"][0]["last_used_at"].is_i64() || listed["items"][1]["last_used_at"].is_i64());

    // Plain HTTP never carries a token, even where the portal answers on it.
    let plain = support::client::get_plain(api.svc.lan_http, "/api/v1/extensions").expect("plain");
    assert_eq!(plain.status, 403, "{}", plain.body);
}

#[test]
fn wrong_tokens_slow_their_address_down_but_not_a_right_one() {
    let api = Api::start("");
    let good = api.token(&["read"]);
    let guess = |i: usize| api.get(&format!("wct_{i:048x}"), "/api/v1/extensions");
    let free: Vec<u16> = (0..10).map(|i| guess(i).status).collect();
    assert!(free.iter().all(|s| *s == 401), "ten wrong guesses go free: {free:?}");
    // Each further wrong guess doubles the address's wait (1 s, 2 s, 4 s, ...), so
    // one of the next few is throttled however slowly they come (qemu is slow).
    let throttled = (10..20).map(guess).find(|r| r.status == 429).expect("a wrong guess is throttled");
    let p = problem(&throttled, 429);
    assert!(throttled.header("retry-after").is_some(), "{p}");
    assert_eq!(api.get(&good, "/api/v1/extensions").status, 200, "the right token still works");
    let lower = format!("bearer {good}");
    let r =
        api.client.request(api.svc.lan_https, "GET", "/api/v1/extensions", &[("Authorization", &lower)], "");
    assert_eq!(r.expect("request").status, 200, "the scheme's name in any case");
    assert!(api.svc.log().contains("token that is unknown"), "wrong tokens are logged");
    assert!(!api.svc.log().contains(&good), "a secret is never logged");
}

#[test]
fn click_to_call_goes_through_the_extensions_restrictions() {
    let api = Api::start("");
    let calls = api.token(&["calls:write"]);
    let r =
        api.call(&calls, "POST", "/api/v1/calls", &[], r#"{"extension": "100", "number": "0221 234 567"}"#);
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(body(&r)["dialled"], "0221234567");
    let setup = api.token(&["extensions:write"]);
    let r = api.call(&setup, "PATCH", "/api/v1/extensions/101", &[], r#"{"restriction": "internal"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api.call(&calls, "POST", "/api/v1/calls", &[], r#"{"extension": "101", "number": "0221234567"}"#);
    assert_eq!(problem(&r, 409)["title"], "exchange_refused");
    let r =
        api.call(&calls, "POST", "/api/v1/calls", &[], r#"{"extension": "100", "number": "not a number"}"#);
    problem(&r, 422);
    problem(
        &api.call(&calls, "POST", "/api/v1/calls", &[], r#"{"extension": "999", "number": "0221234567"}"#),
        404,
    );
}

#[test]
fn schemathesis_finds_no_fault_in_the_api() {
    let api = Api::start_alone("");
    let token = api.token(&["write", "security:read", "calls:write", "voicemail:read"]);
    let cert = api.svc.dir.join("tls/device.crt");
    let url = format!("https://{}/api/v1/openapi.json", api.svc.lan_https);
    let out = std::process::Command::new("schemathesis")
        // It keeps a cache where it runs: in the test's directory, not the repository.
        .current_dir(api.dir.path())
        .args(["run", &url, "--tls-verify"])
        .arg(&cert)
        .args(["-H", &format!("Authorization: Bearer {token}")])
        // Bounded: a few minutes at most, also under qemu; the same cases every run.
        .args(["--max-examples", "25", "--seed", "7", "--generation-database", "none", "--no-color"])
        .args(["--checks", "all"])
        // The stateful phase's links, which schemathesis infers from names,
        // join operations that have nothing to do with each other (a
        // department's id into an extension's number) and make the run fail.
        .args(["--phases", "examples,coverage,fuzzing"])
        // Schema-valid values the exchange's rules refuse (a department that does
        // not exist) are right to refuse; and a run of wrong tokens from one
        // address is rightly throttled (429, tests above), not answered 401.
        .args(["--exclude-checks", "positive_data_acceptance,ignored_auth"])
        .args(["--generation-with-security-parameters", "false"])
        .output()
        .expect("schemathesis runs (tests/setup.sh installs it)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found faults:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("passed"), "{report}");
    assert!(!api.svc.log().contains("panicked"), "{}", api.svc.log());
}

fn bulk(api: &Api, token: &str, query: &str, content_type: &str, body: &str) -> Response {
    api.call(token, "POST", &format!("/api/v1/bulk{query}"), &[("Content-Type", content_type)], body)
}

/// CTI groups go in with the rest of a bulk file, or nothing does.
#[test]
fn a_bulk_files_cti_groups_go_in_with_the_rest_or_nothing_does() {
    let api = Api::start("");
    let t = api.token(&["write"]);
    let groups = |members: &str| {
        format!(
            r#"{{"version": 2, "extensions": [{{"number": "100", "email": "desk@example.com"}}],
            "cti_groups": [{{"name": "Front desk", "show_numbers": true, "members": [{members}]}}]}}"#
        )
    };
    // A member that is nobody: the group's row says so, and the extension's change is not written either.
    let r = bulk(&api, &t, "", "application/json", &groups(r#""100", "nobody""#));
    let p = problem(&r, 422);
    let row = p["rows"].as_array().expect("rows").iter().find(|r| r["kind"] == "cti_group").cloned();
    let row = row.unwrap_or_else(|| panic!("{p}"));
    assert_eq!((&row["key"], &row["outcome"]), (&json!("Front desk"), &json!("refused")), "{p}");
    assert!(row["reason"].as_str().is_some_and(|r| r.contains("line 2")), "{p}");
    let cti = api.token(&["cti:read", "extensions:read"]);
    assert_eq!(body(&api.get(&cti, "/api/v1/cti/groups"))["items"], json!([]));
    assert_ne!(body(&api.get(&cti, "/api/v1/extensions/100"))["email"], "desk@example.com");
    // Whole: both written; the panel is there for its members at once.
    let r = bulk(&api, &t, "", "application/json", &groups(r#""100", "101""#));
    assert_eq!(r.status, 200, "{}", r.body);
    let made = &body(&api.get(&cti, "/api/v1/cti/groups"))["items"][0];
    assert_eq!((&made["name"], &made["members"]), (&json!("Front desk"), &json!(["100", "101"])), "{made}");
    assert_eq!(body(&api.get(&cti, "/api/v1/extensions/100"))["email"], "desk@example.com");
    // Version 1 has no groups; a value the document's schema does not allow is refused whole.
    let old = r#"{"version": 1, "cti_groups": [{"name": "X"}]}"#;
    assert_eq!(
        problem(&bulk(&api, &t, "?dry_run=true", "application/json", old), 422)["errors"][0]["pointer"],
        "/cti_groups"
    );
    let odd = r#"{"version": 2, "extensions": [{"number": "100", "restriction": "lunar"}]}"#;
    let p = problem(&bulk(&api, &t, "?dry_run=true", "application/json", odd), 422);
    assert_eq!(p["errors"][0]["pointer"], "/extensions/0/restriction", "{p}");
}

#[test]
fn an_export_imported_again_changes_nothing_in_json_and_in_csv() {
    let api = Api::start("");
    let t = api.token(&["write"]);
    let data = api.svc.dir.clone();
    let before = support::portal::settings_snapshot(&data);
    let doc = api.get(&t, "/api/v1/bulk");
    assert_eq!(doc.status, 200, "{}", doc.body);
    let parsed = body(&doc);
    assert_eq!(parsed["version"], 3);
    assert!(parsed["departments"].as_array().is_some_and(|d| d.iter().any(|d| d["name"] == "Sales")));
    let anna = parsed["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .find(|e| e["number"] == "100")
        .expect("100");
    assert_eq!(
        (anna["department"].as_str(), anna["caller_ids"].clone()),
        (Some("Sales"), json!(["0221998877"]))
    );
    for (kind, content_type, file) in [
        ("json", "application/json", doc.body.clone()),
        ("csv", "text/csv", api.get(&t, "/api/v1/bulk/extensions.csv").body),
    ] {
        for query in ["?dry_run=true", ""] {
            let r = bulk(&api, &t, query, content_type, &file);
            assert_eq!(r.status, 200, "{kind}{query}: {}", r.body);
            let report = body(&r);
            assert_eq!(
                (report["changed"].as_u64(), report["created"].as_u64(), report["refused"].as_u64()),
                (Some(0), Some(0), Some(0)),
                "{kind}{query}: {report}"
            );
            assert!(report["unchanged"].as_u64().is_some_and(|n| n > 10), "{report}");
            assert_eq!(report["applied"], query.is_empty(), "{kind}{query}");
        }
    }
    assert_eq!(support::portal::settings_snapshot(&data), before, "nothing changed, nothing journaled");
}

#[test]
fn a_bulk_file_goes_in_whole_or_not_at_all_and_twice_changes_nothing() {
    let api = Api::start("");
    let t = api.token(&["write"]);
    let data = api.svc.dir.clone();
    let file = r#"{"version": 1, "departments": [{"name": "Support"}], "extensions": [
        {"number": "100", "email": "anna.k@example.com"},
        {"number": "101", "department": "Field", "restriction": "national"},
        {"number": "120", "manages": ["Support"]}
    ]}"#;
    // A dry run reports and writes nothing.
    let before = support::portal::settings_snapshot(&data);
    let dry = body(&bulk(&api, &t, "?dry_run=true", "application/json", file));
    assert_eq!(
        (dry["applied"].as_bool(), dry["created"].as_u64(), dry["changed"].as_u64()),
        (Some(false), Some(2), Some(3)),
        "{dry}"
    );
    let row = |r: &Value, key: &str| {
        r["rows"].as_array().expect("rows").iter().find(|x| x["key"] == key).cloned().expect(key)
    };
    assert_eq!(row(&dry, "100")["fields"], json!(["email"]), "only what the file gives changes");
    assert_eq!(row(&dry, "Field")["outcome"], "created");
    assert_eq!(support::portal::settings_snapshot(&data), before, "a dry run writes nothing");

    // One bad row: nothing is written, and the report names the row and why.
    let bad = file
        .replace(r#""restriction": "national""#, r#""restriction": "national", "email": "not-an-address""#);
    let r = bulk(&api, &t, "", "application/json", &bad);
    let p = problem(&r, 422);
    let refused = row(&p, "101");
    assert_eq!((refused["row"].as_u64(), refused["outcome"].as_str()), (Some(2), Some("refused")), "{p}");
    assert!(refused["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(support::portal::settings_snapshot(&data), before, "nothing of a refused file is written");
    let names = |api: &Api| -> Vec<String> {
        body(&api.get(&t, "/api/v1/departments"))["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|d| d["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert!(!names(&api).contains(&"Support".to_owned()), "no department either");

    // The file goes in whole; the same file again changes nothing.
    let done = body(&bulk(&api, &t, "", "application/json", file));
    assert_eq!((done["applied"].as_bool(), done["changed"].as_u64()), (Some(true), Some(3)), "{done}");
    assert!(names(&api).contains(&"Support".to_owned()) && names(&api).contains(&"Field".to_owned()));
    let e101 = body(&api.get(&t, "/api/v1/extensions/101"));
    assert_eq!(e101["restriction"], "national");
    let field = body(&api.get(&t, "/api/v1/departments"))["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["name"] == "Field")
        .map(|d| d["id"].clone())
        .expect("Field");
    assert_eq!(e101["department"], field);
    let journal = api.journal_rows("100");
    assert!(
        journal.iter().any(|(actor, via, field, new)| actor.starts_with("token:")
            && via == "api"
            && field == "email"
            && new == "anna.k@example.com"),
        "{journal:?}"
    );
    let after = support::portal::settings_snapshot(&data);
    let again = body(&bulk(&api, &t, "", "application/json", file));
    assert_eq!(
        (again["applied"].as_bool(), again["changed"].as_u64(), again["created"].as_u64()),
        (Some(true), Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(support::portal::settings_snapshot(&data), after, "the second time writes nothing");

    // "" is the pool, as an empty CSV cell is: the way TOML (which has no null) says it.
    let pool = r#"{"version": 1, "extensions": [{"number": "101", "department": ""}]}"#;
    let moved = body(&bulk(&api, &t, "", "application/json", pool));
    assert_eq!(moved["changed"].as_u64(), Some(1), "{moved}");
    assert_eq!(body(&api.get(&t, "/api/v1/extensions/101"))["department"], Value::Null);
}

#[test]
fn a_csv_file_changes_the_columns_it_has_and_bad_files_say_where() {
    let api = Api::start("");
    let t = api.token(&["write"]);
    // Excel's semicolons, a byte-order mark, and two columns only.
    let csv = "\u{feff}number;email\r\n100;anna.k@example.com\r\n107;jan@example.com\r\n";
    let r = bulk(&api, &t, "", "text/csv", csv);
    let report = body(&r);
    assert_eq!((r.status, report["changed"].as_u64()), (200, Some(2)), "{report}");
    let anna = body(&api.get(&t, "/api/v1/extensions/100"));
    assert_eq!(
        (anna["email"].as_str(), anna["name"].as_str()),
        (Some("anna.k@example.com"), Some("Anna Kowalska"))
    );
    assert_eq!(anna["caller_ids"], json!(["0221998877"]), "a column the file does not have keeps its value");
    for (file, pointer) in [
        ("number,colour\n100,red\n", "/1"),
        ("email\nx@example.com\n", "/1"),
        ("number,is_admin\n100,maybe\n", "/2"),
        ("number,name\n100,Anna,extra\n", "/2"),
    ] {
        let p = problem(&bulk(&api, &t, "", "text/csv", file), 422);
        assert_eq!(p["errors"][0]["pointer"], pointer, "{file:?}: {p}");
    }
    let p = problem(&bulk(&api, &t, "", "application/json", r#"{"version": 4}"#), 422);
    assert_eq!(p["errors"][0]["pointer"], "/version");
    let rows = vec![r#"{"number": "100"}"#; 5001].join(",");
    let p = problem(
        &bulk(
            &api,
            &t,
            "?dry_run=true",
            "application/json",
            &format!(r#"{{"version": 1, "extensions": [{rows}]}}"#),
        ),
        422,
    );
    assert_eq!(p["detail"], webcti::i18n::Tr::new("en").t("api.too_many_rows"));
    let p = problem(
        &bulk(
            &api,
            &t,
            "",
            "application/json",
            r#"{"version": 1, "extensions": [{"number": "100", "colour": 1}]}"#,
        ),
        422,
    );
    assert_eq!(p["errors"][0]["pointer"], "/extensions/0/colour");
    let p = problem(
        &bulk(
            &api,
            &t,
            "",
            "application/json",
            r#"{"version": 1, "extensions": [{"number": "100"}, {"number": "100"}, {"number": "999"}]}"#,
        ),
        422,
    );
    let outcomes: Vec<_> = p["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["row"].clone(), r["outcome"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        [(json!(1), json!("unchanged")), (json!(2), json!("refused")), (json!(3), json!("refused"))]
    );
}

#[test]
fn forwarding_through_the_api_is_held_to_the_extensions_restriction() {
    let api = Api::start("");
    let t = api.token(&["extensions:write"]);
    let first = api.get(&t, "/api/v1/extensions/100/forwarding");
    assert_eq!(first.status, 200, "{}", first.body);
    let tag = first.header("etag").expect("an ETag").to_owned();
    let was = body(&first);

    // One field and the rules: nothing else changes, and the journal says so.
    let patch = r#"{"forward_busy": "104", "rules": [{"active": true, "when": "always", "calls": "external", "presentation": "withheld", "kind": "voicemail"}]}"#;
    let r = api.call(
        &t,
        "PATCH",
        "/api/v1/extensions/100/forwarding",
        &[("Content-Type", "application/merge-patch+json"), ("If-Match", &tag)],
        patch,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let now = body(&r);
    assert_eq!(now["forward_busy"], "104");
    assert_eq!(now["rules"][0]["kind"], "voicemail");
    for field in ["forward_always", "forward_no_answer", "no_answer_secs", "voicemail", "follow_me", "dnd"] {
        assert_eq!(now[field], was[field], "{field} is as it was");
    }
    assert_eq!(body(&api.get(&t, "/api/v1/extensions/100/forwarding")), now, "stored as answered");
    let journal = api.journal_rows("100");
    assert!(
        journal.iter().any(|(_, via, f, new)| via == "api" && f == "forward_busy" && new == "104"),
        "{journal:?}"
    );

    // The old tag is stale now.
    let stale = api.call(
        &t,
        "PATCH",
        "/api/v1/extensions/100/forwarding",
        &[("Content-Type", "application/merge-patch+json"), ("If-Match", &tag)],
        r#"{"forward_busy": "105"}"#,
    );
    problem(&stale, 412);

    // An extension for internal calls only cannot forward outside, whoever asks.
    let r = api.call(&t, "PATCH", "/api/v1/extensions/101", &[], r#"{"restriction": "internal"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let before = api.get(&t, "/api/v1/extensions/101/forwarding").body;
    let r = api.call(
        &t,
        "PATCH",
        "/api/v1/extensions/101/forwarding",
        &[],
        r#"{"forward_always": "0049301234567"}"#,
    );
    problem(&r, 422);
    let r = api.call(
        &t,
        "PUT",
        "/api/v1/extensions/101/forwarding",
        &[],
        r#"{"no_answer_secs": 20, "voicemail": false, "mobile_on_no_answer": false, "mobile_on_dnd": false,
            "mobile_on_unreachable": false, "rules": [{"active": true, "when": "busy", "calls": "all",
            "presentation": "any", "kind": "number", "number": "0049301234567"}]}"#,
    );
    let p = problem(&r, 422);
    assert_ne!(p["title"], "invalid_body", "refused for the number, not the body: {p}");
    for bad in [
        r#"{"colour": "red"}"#,
        r#"{"voicemail": null}"#,
        r#"{"rules": [{"active": true, "when": "sometimes", "calls": "all", "presentation": "any", "kind": "voicemail"}]}"#,
        r#"{"rules": [{"when": "sometimes"}]}"#,
        r#"{"no_answer_secs": -1}"#,
    ] {
        problem(&api.call(&t, "PATCH", "/api/v1/extensions/101/forwarding", &[], bad), 422);
    }
    assert_eq!(
        api.get(&t, "/api/v1/extensions/101/forwarding").body,
        before,
        "nothing of a refusal is written"
    );
    problem(&api.get(&t, "/api/v1/extensions/999/forwarding"), 404);
}

#[test]
fn the_billing_export_gives_each_record_once_and_later_what_came_since_and_lines_show_the_call() {
    use webcti::sim::{demo, Clock, Sim};
    let core = tempfile::tempdir().expect("tempdir");
    let sock = core.path().join("core.sock");
    let sim = Sim::new(demo::plan(), Clock::Manual, support::portal::T0);
    let _stop_sim = support::simulator(&sim, &sock);
    let api = Api::start(&format!("link=unix:{}", sock.display()));
    api.svc.wait_log("core link up", 1);
    let billing = api.token(&["records:read"]);
    let page = |after: &str, more: &str| {
        let r = api.get(&billing, &format!("/api/v1/cdrs?limit=3{after}{more}"));
        assert_eq!(r.status, 200, "{}", r.body);
        let b = body(&r);
        let ids: Vec<u64> =
            b["items"].as_array().expect("items").iter().map(|i| i["id"].as_u64().expect("id")).collect();
        (ids, b["next"].as_str().expect("next").to_owned(), b)
    };
    // The four records the board has, three and then one, oldest first.
    let (first, next, b) = page("", "");
    assert_eq!(first, [1, 2, 3]);
    assert_eq!(b["items"][0]["extension"], "100");
    assert_eq!(b["items"][0]["direction"], "incoming");
    assert_eq!(b["items"][0]["disposition"], "missed");
    assert_eq!(b["items"][2]["talk_secs"], 125);
    let (second, next, _) = page(&format!("&after={next}"), "");
    assert_eq!(second, [4]);
    // Nothing new: an empty page, and the cursor to ask with later.
    let (none, same, _) = page(&format!("&after={next}"), "");
    assert!(none.is_empty());
    assert_eq!(same, next);
    // One extension's records only.
    assert_eq!(page("", "&extension=101").0, [4]);

    // A call nobody answers: its record comes after the cursor kept.
    sim.with(|ex| ex.incoming("0223334444", "101")).expect("incoming call");
    // Meanwhile a wallboard sees it ring.
    let panel = api.token(&["calls:read"]);
    let r = api.get(&panel, "/api/v1/lines");
    assert_eq!(r.status, 200, "{}", r.body);
    let lines = body(&r);
    let state = |ext: &str| {
        lines["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|l| l["extension"] == ext)
            .map(|l| l["state"].clone())
    };
    assert_eq!((state("101"), state("100")), (Some(json!("ringing")), Some(json!("idle"))), "{lines}");
    problem(&api.get(&billing, "/api/v1/lines"), 403);
    sim.advance(40);
    let mut unacked = sim.unacked();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), unacked.wait_for(|n| *n == 0)).await })
        .expect("stored")
        .expect("watch");
    let (_, _, b) = page(&format!("&after={next}"), "");
    let items = b["items"].as_array().expect("items");
    assert!(!items.is_empty(), "the new call's record: {b}");
    assert!(items.iter().all(|i| i["extension"] == "101" && i["peer"] == "0223334444"), "{b}");
    assert!(items.iter().all(|i| i["id"].as_u64() > Some(4)), "{b}");

    // Refused: a cursor that is none, a page too long, a token without the scope.
    assert_eq!(problem(&api.get(&billing, "/api/v1/cdrs?after=x7"), 422)["errors"][0]["pointer"], "/after");
    assert_eq!(problem(&api.get(&billing, "/api/v1/cdrs?limit=201"), 422)["errors"][0]["pointer"], "/limit");
    let other = api.token(&["extensions:read"]);
    problem(&api.get(&other, "/api/v1/cdrs"), 403);
}

fn put_config(api: &Api, token: &str, query: &str, headers: &[(&str, &str)], doc: &Value) -> Response {
    api.call(token, "PUT", &format!("/api/v1/config{query}"), headers, &doc.to_string())
}

fn extension<'a>(doc: &'a mut Value, number: &str) -> &'a mut Value {
    let list = doc["extensions"].as_array_mut().expect("extensions");
    list.iter_mut().find(|e| e["number"] == number).expect("the extension")
}

/// Since version 2 the configuration carries the CTI groups whole: one it
/// does not name goes; a version 1 document leaves them as they are.
#[test]
fn the_configuration_document_carries_the_cti_groups_whole() {
    let api = Api::start("");
    let write = api.token(&["write"]);
    let mut doc = body(&api.get(&write, "/api/v1/config"));
    assert_eq!(doc["cti_groups"], json!([]), "{doc}");
    doc["cti_groups"] = json!([
        {"name": "Front desk", "show_numbers": true, "members": ["100", "101"]},
        {"name": "Night shift", "show_numbers": false, "members": ["101"]}
    ]);
    let r = put_config(&api, &write, "", &[], &doc);
    assert_eq!((r.status, body(&r)["created"].clone()), (200, json!(2)), "{}", r.body);
    let exported = body(&api.get(&write, "/api/v1/config"));
    assert_eq!(exported["cti_groups"], doc["cti_groups"], "an export gives them back as put");

    // Night shift left out: it goes, and the report says so; a dry run first writes nothing.
    let mut fewer = exported.clone();
    fewer["cti_groups"] = json!([{"name": "Front desk", "show_numbers": true, "members": ["100", "101"]}]);
    let report = body(&put_config(&api, &write, "?dry_run=true", &[], &fewer));
    let night = report["rows"].as_array().expect("rows").iter().find(|r| r["key"] == "Night shift").cloned();
    assert_eq!(
        night.map(|r| (r["kind"].clone(), r["outcome"].clone())),
        Some((json!("cti_group"), json!("removed"))),
        "{report}"
    );
    assert_eq!(body(&api.get(&write, "/api/v1/config"))["cti_groups"].as_array().map(Vec::len), Some(2));
    let r = put_config(&api, &write, "", &[], &fewer);
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<Value> = body(&api.get(&write, "/api/v1/cti/groups"))["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|g| g["name"].clone())
        .collect();
    assert_eq!(names, [json!("Front desk")]);

    // Version 1 knows no groups: applied, it leaves them as they are; giving it some is refused.
    let mut old = fewer.clone();
    old["version"] = json!(1);
    old.as_object_mut().expect("object").remove("cti_groups");
    assert_eq!(put_config(&api, &write, "", &[], &old).status, 200);
    assert_eq!(body(&api.get(&write, "/api/v1/cti/groups"))["items"].as_array().map(Vec::len), Some(1));
    old["cti_groups"] = fewer["cti_groups"].clone();
    let p = problem(&put_config(&api, &write, "", &[], &old), 422);
    assert_eq!(p["errors"][0]["pointer"], "/cti_groups", "{p}");
}

/// CTI accounts in a bulk file (version 3) are held to the CTI server's
/// licences over the whole file; the configuration document (version 3)
/// carries them whole, rights and all, and one it does not name goes.
#[test]
fn cti_accounts_go_in_within_the_licences_and_the_configuration_carries_them_whole() {
    let api = Api::start("cti_block=[cti]\\nlicences = 1");
    let t = api.token(&["write"]);
    let user = |name: &str| format!(r#"{{"name": "{name}", "kind": "user", "first_name": "{name}"}}"#);
    // Two logins for one licence: the second row says so, and neither is made.
    let two = format!(r#"{{"version": 3, "cti_accounts": [{}, {}]}}"#, user("ala"), user("ola"));
    let p = problem(&bulk(&api, &t, "", "application/json", &two), 422);
    let rows = p["rows"].as_array().expect("rows");
    let outcome = |name: &str| rows.iter().find(|r| r["key"] == name).map(|r| r["outcome"].clone());
    assert_eq!((outcome("ala"), outcome("ola")), (Some(json!("created")), Some(json!("refused"))), "{p}");
    assert_eq!(body(&api.get(&t, "/api/v1/cti/accounts"))["items"], json!([]), "nothing was made");
    // One login and a user without login (who takes no licence), with rights.
    let fits = format!(
        r#"{{"version": 3, "cti_accounts": [{}, {{"name": "hall", "kind": "nologin",
            "rights": {{"devices": [{{"ext": "101"}}], "monitors": [], "offline_journal": false,
            "server_journal": false, "hot_desking": false, "blf": "first"}}}}]}}"#,
        user("ala")
    );
    let r = bulk(&api, &t, "", "application/json", &fits);
    assert_eq!((r.status, body(&r)["created"].clone()), (200, json!(2)), "{}", r.body);
    let list = body(&api.get(&t, "/api/v1/cti/accounts"));
    assert_eq!(list["licences_used"], 1, "{list}");
    let ala = list["items"].as_array().and_then(|l| l.iter().find(|a| a["name"] == "ala").cloned());
    let ala = ala.unwrap_or_else(|| panic!("{list}"));
    assert_eq!((&ala["hand_over"], &ala["has_password"]), (&json!(true), &json!(false)), "{ala}");
    // A version 2 file has no accounts; a kind the schema does not know is refused whole.
    let old = format!(r#"{{"version": 2, "cti_accounts": [{}]}}"#, user("ula"));
    let p = problem(&bulk(&api, &t, "?dry_run=true", "application/json", &old), 422);
    assert_eq!(p["errors"][0]["pointer"], "/cti_accounts", "{p}");
    let odd = r#"{"version": 3, "cti_accounts": [{"name": "x", "kind": "robot"}]}"#;
    let p = problem(&bulk(&api, &t, "?dry_run=true", "application/json", odd), 422);
    assert_eq!(p["errors"][0]["pointer"], "/cti_accounts/0/kind", "{p}");

    // The configuration carries both, whole; put back, nothing changes.
    let doc = body(&api.get(&t, "/api/v1/config"));
    let hall = doc["cti_accounts"].as_array().and_then(|l| l.iter().find(|a| a["name"] == "hall").cloned());
    assert_eq!(
        hall.map(|h| h["rights"]["devices"].clone()),
        Some(json!([{"ext": "101", "main": true, "softphone": false}])),
        "{doc}"
    );
    let r = body(&put_config(&api, &t, "", &[], &doc));
    assert_eq!(
        (r["changed"].clone(), r["created"].clone(), r["removed"].clone()),
        (json!(0), json!(0), json!(0)),
        "{r}"
    );
    // Hall left out: it goes (a dry run says so first); ala stays as she was.
    let mut fewer = doc.clone();
    fewer["cti_accounts"] = json!(doc["cti_accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["name"] != "hall")
        .cloned()
        .collect::<Vec<_>>());
    let report = body(&put_config(&api, &t, "?dry_run=true", &[], &fewer));
    let gone = report["rows"].as_array().and_then(|r| r.iter().find(|r| r["key"] == "hall").cloned());
    assert_eq!(
        gone.map(|r| (r["kind"].clone(), r["outcome"].clone())),
        Some((json!("cti_account"), json!("removed"))),
        "{report}"
    );
    assert_eq!(put_config(&api, &t, "", &[], &fewer).status, 200);
    let names: Vec<Value> = body(&api.get(&t, "/api/v1/cti/accounts"))["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, [json!("ala")]);

    // A group that names an account the same document removes: its row is
    // refused in the dry run already, as the real run would be, and nothing goes.
    let mut orphan = body(&api.get(&t, "/api/v1/config"));
    orphan["cti_accounts"] = json!([]);
    orphan["cti_groups"] = json!([{"name": "Front desk", "show_numbers": false, "members": ["ala", "100"]}]);
    for (query, status) in [("?dry_run=true", 200), ("", 422)] {
        let r = put_config(&api, &t, query, &[], &orphan);
        let report = body(&r);
        let group =
            report["rows"].as_array().and_then(|r| r.iter().find(|r| r["kind"] == "cti_group").cloned());
        assert_eq!(group.map(|g| g["outcome"].clone()), Some(json!("refused")), "{query}: {report}");
        assert_eq!(r.status, status, "{report}");
    }
    assert_eq!(body(&api.get(&t, "/api/v1/cti/accounts"))["items"].as_array().map(Vec::len), Some(1));
}

/// Shared books in a bulk file (version 3): a kept book made with who may
/// read it, a group's grant naming a group the same file makes; the same file
/// again changes nothing; a grant to no group refuses the file; the
/// configuration carries the books whole, and a kept book it leaves out goes.
#[test]
fn shared_books_and_who_reads_them_go_in_by_file_and_the_configuration_keeps_them_whole() {
    let api = Api::start("");
    let t = api.token(&["write"]);
    let file = |group: &str| {
        format!(
            r#"{{"version": 3,
            "cti_groups": [{{"name": "Front desk", "members": ["100", "101"]}}],
            "books": [{{"name": "Suppliers", "everyone": "read",
                        "groups": [{{"group": "{group}", "access": "write"}}]}}]}}"#
        )
    };
    let grants = |db: &rusqlite::Connection| {
        let sql = "SELECT b.name, b.kind, b.everyone, g.name, a.access FROM book b
                   JOIN cti_group_book a ON a.book_id = b.id JOIN cti_group g ON g.id = a.group_id";
        let mut q = db.prepare(sql).expect("grants");
        let rows =
            q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).expect("rows");
        rows.map(|r| r.expect("row")).collect::<Vec<(String, String, String, String, String)>>()
    };
    // A grant to a group nobody has: the book's row says so, and nothing is made.
    let p = problem(&bulk(&api, &t, "", "application/json", &file("Night shift")), 422);
    let row = p["rows"].as_array().and_then(|r| r.iter().find(|r| r["kind"] == "book").cloned());
    let row = row.unwrap_or_else(|| panic!("{p}"));
    assert_eq!((&row["key"], &row["outcome"]), (&json!("Suppliers"), &json!("refused")), "{p}");
    assert!(row["reason"].as_str().is_some_and(|r| r.contains("CTI group")), "{p}");
    assert_eq!(
        api.db()
            .query_row("SELECT count(*) FROM book WHERE kind = 'book'", [], |r| r.get::<_, i64>(0))
            .expect("count"),
        0
    );

    let r = bulk(&api, &t, "", "application/json", &file("Front desk"));
    assert_eq!((r.status, body(&r)["created"].clone()), (200, json!(2)), "{}", r.body);
    assert_eq!(
        grants(&api.db()),
        [("Suppliers".into(), "book".into(), "read".into(), "Front desk".into(), "write".into())]
    );
    let again = body(&bulk(&api, &t, "", "application/json", &file("Front desk")));
    assert_eq!((again["created"].clone(), again["changed"].clone()), (json!(0), json!(0)), "{again}");
    let exported = body(&api.get(&t, "/api/v1/bulk"));
    assert_eq!(
        exported["books"],
        json!([{"name": "Suppliers", "kind": "kept", "everyone": "read",
                "groups": [{"group": "Front desk", "access": "write"}]}])
    );
    // A source's book is set up on the books page: a file cannot make one.
    let ldap = r#"{"version": 3, "books": [{"name": "Staff", "kind": "ldap"}]}"#;
    let p = body(&bulk(&api, &t, "?dry_run=true", "application/json", ldap));
    assert_eq!(p["rows"][0]["outcome"], "refused", "{p}");

    // The configuration carries the book whole; a kept book it leaves out goes.
    let doc = body(&api.get(&t, "/api/v1/config"));
    assert_eq!(doc["books"], exported["books"], "{doc}");
    let mut without = doc.clone();
    without["books"] = json!([]);
    let report = body(&put_config(&api, &t, "?dry_run=true", &[], &without));
    let gone = report["rows"].as_array().and_then(|r| r.iter().find(|r| r["kind"] == "book").cloned());
    assert_eq!(
        gone.map(|r| (r["key"].clone(), r["outcome"].clone())),
        Some((json!("Suppliers"), json!("removed"))),
        "{report}"
    );
    assert_eq!(grants(&api.db()).len(), 1, "a dry run removes nothing");
    assert_eq!(put_config(&api, &t, "", &[], &without).status, 200);
    assert!(grants(&api.db()).is_empty());
    assert_eq!(body(&api.get(&t, "/api/v1/config"))["books"], json!([]));
}

/// Each part of the bulk document as CSV, one object a row: a file of CTI
/// accounts makes them with their devices and monitored lines, a file of
/// groups a group naming them, a file of books who reads a book; every part
/// exported and imported again changes nothing; a flag that is none is
/// refused at its line.
#[test]
fn each_part_goes_out_and_back_in_as_csv() {
    let api = Api::start("");
    let t = api.token(&["write"]);
    let csv = |part: &str, query: &str, file: &str| {
        let path = format!("/api/v1/bulk/csv/{part}{query}");
        api.call(&t, "POST", &path, &[("Content-Type", "text/csv")], file)
    };
    let made = |r: Response| {
        assert_eq!(r.status, 200, "{}", r.body);
        body(&r)["created"].clone()
    };
    let accounts = "name,kind,first_name,devices,monitors\n\
                    desk,user,Ewa,100:main 101:softphone,102:clip:pickup\n\
                    hall,nologin,,103,\n";
    assert_eq!(made(csv("cti_accounts", "", accounts)), json!(2));
    assert_eq!(
        made(csv("cti_groups", "", "name,show_numbers,members\nFront desk,yes,desk|hall|100\n")),
        json!(1)
    );
    assert_eq!(made(csv("books", "", "name,everyone,groups\nSuppliers,read,Front desk:write\n")), json!(1));
    assert_eq!(made(csv("departments", "", "name\nSupport\n")), json!(1));
    let list = body(&api.get(&t, "/api/v1/cti/accounts"));
    let desk = list["items"].as_array().and_then(|l| l.iter().find(|a| a["name"] == "desk").cloned());
    let id = desk.map(|d| d["id"].clone()).unwrap_or_else(|| panic!("{list}"));
    let rights = body(&api.get(&t, &format!("/api/v1/cti/accounts/{id}/rights")));
    assert_eq!(
        (&rights["devices"], &rights["monitors"]),
        (
            &json!([{"ext": "100", "main": true, "softphone": false}, {"ext": "101", "main": false, "softphone": true}]),
            &json!([{"ext": "102", "clip": true, "pickup": true}])
        ),
        "{rights}"
    );
    let group = &body(&api.get(&t, "/api/v1/cti/groups"))["items"][0];
    assert_eq!(
        (&group["show_numbers"], &group["members"]),
        (&json!(true), &json!(["desk", "hall", "100"])),
        "{group}"
    );

    for part in ["extensions", "departments", "cti_accounts", "cti_groups", "books"] {
        let out = api.get(&t, &format!("/api/v1/bulk/csv/{part}"));
        assert_eq!(
            (out.status, out.header("content-type")),
            (200, Some("text/csv; charset=utf-8")),
            "{part}"
        );
        let again = body(&csv(part, "?dry_run=true", &out.body));
        assert_eq!(
            (&again["created"], &again["changed"], &again["refused"]),
            (&json!(0), &json!(0), &json!(0)),
            "{part}: {}\n{again}",
            out.body
        );
    }
    let p = problem(&csv("cti_groups", "", "name,show_numbers\nNight,maybe\n"), 422);
    assert_eq!(p["errors"][0]["pointer"], "/2", "{p}");
    assert_eq!(body(&api.get(&t, "/api/v1/cti/groups"))["items"].as_array().map(Vec::len), Some(1));
    problem(&api.get(&t, "/api/v1/bulk/csv/tariffs"), 404);
}

/// A book kept here by script: made, filled from a contact file (a second
/// file keeps the unchanged contact and removes the one it lacks), read page
/// by page, shown with who reads it, not synced (it is no source), a file
/// that is none refused with the book as it was, and deleted.
#[test]
fn a_kept_book_is_made_filled_read_and_deleted_by_script() {
    let api = Api::start("");
    let t = api.token(&["phonebook:write"]);
    let r = api.call(&t, "POST", "/api/v1/phonebook/books", &[], r#"{"name": "Suppliers"}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    let made = body(&r);
    let at = r.header("location").expect("Location").to_owned();
    assert_eq!(
        (&made["kind"], &made["contacts"], &made["everyone"]),
        (&json!("kept"), &json!(0), &json!("none")),
        "{made}"
    );
    let p = problem(&api.call(&t, "POST", "/api/v1/phonebook/books", &[], r#"{"name": "suppliers"}"#), 422);
    assert_eq!(p["errors"][0]["pointer"], "/name", "a name another book has: {p}");

    let fill =
        |file: &str| api.call(&t, "PUT", &format!("{at}/contacts"), &[("Content-Type", "text/csv")], file);
    let two = "First Name,Last Name,Company,Business Phone\r\n\
               Olga,Tokarczuk,Papiernia,+48 22 700 00 01\r\n\
               Marek,Hłasko,Drukarnia,+48 22 700 00 02\r\n";
    let r = body(&fill(two));
    assert_eq!((&r["added"], &r["error"]), (&json!(2), &json!(null)), "{r}");
    let one = "First Name,Last Name,Company,Business Phone\r\nOlga,Tokarczuk,Papiernia,+48 22 700 00 01\r\n";
    let r = body(&fill(one));
    assert_eq!((&r["added"], &r["unchanged"], &r["removed"]), (&json!(0), &json!(1), &json!(1)), "{r}");
    let page = body(&api.get(&t, &format!("{at}/contacts?limit=1")));
    assert_eq!(
        (&page["items"][0]["last_name"], &page["items"][0]["numbers"][0]["number"]),
        (&json!("Tokarczuk"), &json!("+48 22 700 00 01")),
        "{page}"
    );
    assert_eq!(body(&api.get(&t, &at))["contacts"], 1);
    let p = problem(&fill("\u{0}\u{1}\u{2}"), 422);
    assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
    assert_eq!(body(&api.get(&t, &at))["contacts"], 1, "the book is as it was");
    problem(&api.call(&t, "POST", &format!("{at}/sync"), &[], ""), 404);
    let listed = body(&api.get(&t, "/api/v1/phonebook/books"));
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");

    let reader = api.token(&["phonebook:read"]);
    problem(&api.call(&reader, "DELETE", &at, &[], ""), 403);
    assert_eq!(api.call(&t, "DELETE", &at, &[], "").status, 204);
    problem(&api.get(&t, &at), 404);
    assert_eq!(body(&api.get(&t, "/api/v1/phonebook/books"))["items"], json!([]));
}

/// The public book holds at most 50,000 contacts: one more by script is
/// refused with the reason, and nothing is added.
#[test]
fn a_full_public_book_refuses_one_more_contact() {
    let api = Api::start("");
    let t = api.token(&["phonebook:write"]);
    let one = r#"{"last_name": "Wrona", "numbers": [{"kind": "work", "number": "+48 22 555 01 02"}]}"#;
    assert_eq!(api.call(&t, "POST", "/api/v1/phonebook/contacts", &[], one).status, 201);
    let count = || {
        let sql = "SELECT count(*) FROM contact WHERE book_id = (SELECT id FROM book WHERE kind = 'public' AND owner IS NULL)";
        api.db().query_row(sql, [], |r| r.get::<_, i64>(0)).expect("count")
    };
    // Filled to the brim beside the service, as years of additions would.
    let fill = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
         INSERT INTO contact (book_id, uid, last_name, updated_at)
         SELECT (SELECT id FROM book WHERE kind = 'public' AND owner IS NULL), 'filler-' || i, 'Filler ' || i, 0 FROM n",
        50_000 - count()
    );
    api.db().execute(&fill, []).expect("fill");
    assert_eq!(count(), 50_000);
    let p = problem(&api.call(&t, "POST", "/api/v1/phonebook/contacts", &[], one), 422);
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("full")), "{p}");
    assert_eq!(count(), 50_000, "nothing was added");
}

#[test]
fn the_configuration_document_makes_another_exchange_the_same() {
    let api = Api::start("");
    let (read, write) = (api.token(&["read"]), api.token(&["write"]));
    let data = api.svc.dir.clone();
    let r = api.get(&read, "/api/v1/config");
    assert_eq!(r.status, 200, "{}", r.body);
    let tag = r.header("etag").expect("an ETag").to_owned();
    let doc = body(&r);
    assert_eq!(doc["version"], 3);
    let anna = &doc["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .find(|e| e["number"] == "100")
        .expect("100");
    assert_eq!(
        (anna["department"].as_str(), anna["email"].as_str()),
        (Some("Sales"), Some("anna@example.com"))
    );
    assert_eq!(anna["forwarding"]["no_answer_secs"], 20, "{anna}");
    assert!(!r.body.contains("password") && !r.body.contains("hash"), "no secret travels: {}", r.body);

    // Put back as it is: nothing changes, nothing is journaled.
    let before = support::portal::settings_snapshot(&data);
    let r = put_config(&api, &write, "", &[("If-Match", &tag)], &doc);
    assert_eq!(r.status, 200, "{}", r.body);
    let report = body(&r);
    assert_eq!(
        (report["applied"].as_bool(), report["changed"].as_u64(), report["removed"].as_u64()),
        (Some(true), Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(support::portal::settings_snapshot(&data), before);

    // Changed: Office is not in it (120 goes to the pool), 100 forwards when busy.
    let mut changed = doc.clone();
    changed["departments"] = json!([{"name": "Sales"}]);
    extension(&mut changed, "120")["department"] = Value::Null;
    extension(&mut changed, "100")["forwarding"]["forward_busy"] = json!("101");
    let r = put_config(&api, &write, "?dry_run=true", &[], &changed);
    assert_eq!(r.status, 200, "{}", r.body);
    let report = body(&r);
    assert_eq!((report["applied"].as_bool(), report["removed"].as_u64()), (Some(false), Some(1)), "{report}");
    let row = |report: &Value, kind: &str, key: &str| {
        report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["kind"] == kind && r["key"] == key)
            .cloned()
            .expect("a row")
    };
    assert_eq!(row(&report, "forwarding", "100")["fields"], json!(["forward_busy"]));
    assert_eq!(row(&report, "department", "Office")["outcome"], "removed");
    assert_eq!(support::portal::settings_snapshot(&data), before, "a dry run writes nothing");
    let r = put_config(&api, &write, "", &[], &changed);
    assert_eq!(r.status, 200, "{}", r.body);
    let now = body(&api.get(&read, "/api/v1/config"));
    assert_eq!(now, changed, "the exchange is what the document said");
    // The tag the first document came with is stale now.
    problem(&put_config(&api, &write, "", &[("If-Match", &tag)], &doc), 412);

    // A forwarding the document's own restriction forbids: nothing is written.
    let mut bad = changed.clone();
    extension(&mut bad, "101")["restriction"] = json!("internal");
    extension(&mut bad, "101")["forwarding"]["forward_always"] = json!("0221234567");
    extension(&mut bad, "107")["name"] = json!("Jan Kowal");
    let r = put_config(&api, &write, "", &[], &bad);
    let refused = problem(&r, 422);
    let rows = refused["rows"].as_array().expect("rows");
    assert!(
        rows.iter().any(|r| r["kind"] == "forwarding" && r["key"] == "101" && r["outcome"] == "refused"),
        "{refused}"
    );
    assert_eq!(body(&api.get(&read, "/api/v1/config")), changed, "nothing of it went in");

    // Documents this exchange does not read.
    let mut later = changed.clone();
    later["version"] = json!(4);
    later["tariffs"] = json!([]);
    let p = problem(&put_config(&api, &write, "", &[], &later), 422);
    assert_eq!(
        (p["title"].as_str(), p["errors"][0]["pointer"].as_str()),
        (Some("unknown_version"), Some("/version")),
        "{p}"
    );
    let mut unknown = changed.clone();
    extension(&mut unknown, "100")["colour"] = json!("red");
    assert_eq!(
        problem(&put_config(&api, &write, "", &[], &unknown), 422)["errors"][0]["pointer"],
        "/extensions/0/colour"
    );
    problem(&put_config(&api, &read, "", &[], &changed), 403);

    // A new board with the same extensions, set up from the first one's document.
    let fresh = tempfile::tempdir().expect("tempdir");
    seeded_db(&fresh.path().join("data"));
    let other = Service::start(fresh.path(), "");
    let other_token = make_token(fresh.path(), "setup", &["write"]);
    let client = other.client();
    let auth = format!("Bearer {other_token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let r = client
        .request(other.lan_https, "PUT", "/api/v1/config", &headers, &changed.to_string())
        .expect("put");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(body(&r)["created"].as_u64().is_some_and(|n| n >= 1), "Sales is made: {}", r.body);
    let r = client.request(other.lan_https, "GET", "/api/v1/config", &headers[..1], "").expect("get");
    assert_eq!(body(&r), changed, "the new board is the old one");
}

#[test]
fn services_change_as_on_the_page_and_the_voicemail_index_needs_its_own_scope() {
    let api = Api::start("");
    let (read, write) = (api.token(&["read"]), api.token(&["extensions:write"]));
    let r = api.get(&read, "/api/v1/extensions/100/services");
    assert_eq!(r.status, 200, "{}", r.body);
    let before = body(&r);
    assert_eq!(
        (before["phone_lock"].as_bool(), before["wakeup"].clone()),
        (Some(false), Value::Null),
        "{before}"
    );
    let patch = [("Content-Type", "application/merge-patch+json")];
    let r = api.call(
        &write,
        "PATCH",
        "/api/v1/extensions/100/services",
        &patch,
        r#"{"phone_lock": true, "wakeup": "6:30", "call_as": "0221998877"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = body(&r);
    assert_eq!(
        (after["phone_lock"].as_bool(), after["wakeup"].as_str(), after["call_as"].as_str()),
        (Some(true), Some("06:30"), Some("0221998877"))
    );
    assert_eq!(
        (after["clir"].clone(), after["call_waiting"].clone()),
        (before["clir"].clone(), before["call_waiting"].clone()),
        "the rest as it was"
    );
    let journal = api.journal_rows("100");
    assert!(
        journal.iter().any(|(actor, via, field, new)| actor.starts_with("token:")
            && via == "api"
            && field == "phone_lock"
            && new == "on"),
        "{journal:?}"
    );
    // The page's rules: only an assigned number as "call as", a time of the day.
    let refused = |body: &str| {
        problem(&api.call(&write, "PATCH", "/api/v1/extensions/100/services", &patch, body), 422)
    };
    refused(r#"{"call_as": "0229999999"}"#);
    for time in ["25:00", "6:5", "+6:30", "", " 6:30"] {
        assert_eq!(
            refused(&json!({ "wakeup": time }).to_string())["errors"][0]["pointer"],
            "/wakeup",
            "{time:?}"
        );
    }
    problem(&api.call(&read, "PATCH", "/api/v1/extensions/100/services", &patch, r#"{"clir": true}"#), 403);
    assert_eq!(
        body(&api.get(&read, "/api/v1/extensions/100/services")),
        after,
        "refused changes changed nothing"
    );

    // The voicemail index: not for a token of every area, only one that names it.
    problem(&api.get(&read, "/api/v1/extensions/100/voicemail"), 403);
    let mailbox = api.token(&["voicemail:read"]);
    let r = api.get(&mailbox, "/api/v1/extensions/100/voicemail");
    assert_eq!(r.status, 200, "{}", r.body);
    let index = body(&r);
    assert_eq!(index["items"].as_array().map(Vec::len), Some(1), "{index}");
    assert_eq!(
        (index["items"][0]["caller"].as_str(), index["items"][0]["heard_at"].clone()),
        (Some("0221111111"), Value::Null)
    );
    problem(&api.get(&mailbox, "/api/v1/extensions/100/voicemail?limit=0"), 422);
    problem(&api.get(&mailbox, "/api/v1/extensions/100/services"), 403);
}

#[test]
fn merge_patches_at_the_same_time_lose_nothing_of_each_other() {
    let api = Api::start("");
    let t = api.token(&["extensions:write"]);
    let patch = [("Content-Type", "application/merge-patch+json")];
    for round in 0..5 {
        let fields = [
            ("name", format!("Piotr {round}")),
            ("comment", format!("desk {round}")),
            ("email", format!("p{round}@example.com")),
            ("mobile", format!("060100200{round}")),
        ];
        std::thread::scope(|s| {
            for (field, value) in &fields {
                let (api, t, patch) = (&api, &t, &patch);
                s.spawn(move || {
                    let r = api.call(
                        t,
                        "PATCH",
                        "/api/v1/extensions/101",
                        patch,
                        &json!({ *field: value }).to_string(),
                    );
                    assert_eq!(r.status, 200, "{field}: {}", r.body);
                });
            }
        });
        let now = body(&api.get(&t, "/api/v1/extensions/101"));
        for (field, value) in &fields {
            assert_eq!(now[field].as_str(), Some(value.as_str()), "round {round}: {field} was lost: {now}");
        }
    }
}

#[test]
fn a_key_sent_again_while_its_first_request_runs_does_not_do_the_work_twice() {
    let api = Api::start("");
    let t = api.token(&["departments:write"]);
    for round in 0..6 {
        let key = format!("retry-{round}");
        let body = json!({ "name": format!("Team {round}") }).to_string();
        let answers: Vec<Response> = std::thread::scope(|s| {
            let calls: Vec<_> = (0..3)
                .map(|_| {
                    let (api, t, key, body) = (&api, &t, &key, &body);
                    s.spawn(move || {
                        api.call(t, "POST", "/api/v1/departments", &[("Idempotency-Key", key)], body)
                    })
                })
                .collect();
            calls.into_iter().map(|c| c.join().expect("request")).collect()
        });
        let made: Vec<&Response> = answers.iter().filter(|r| r.status == 201).collect();
        assert!(
            !made.is_empty(),
            "round {round}: {:?}",
            answers.iter().map(|r| (r.status, &r.body)).collect::<Vec<_>>()
        );
        for r in &answers {
            // The first answer, or "still being done": never the refusal a second creation would get.
            assert!(
                r.status == 201 && r.body == made[0].body || r.status == 409,
                "round {round}: {} {}",
                r.status,
                r.body
            );
        }
    }
}

#[test]
fn costs_and_the_tariff_are_set_by_script_and_only_with_their_scope() {
    let api = Api::start("");
    let writer = api.token(&["costs:write"]);
    let reader = api.token(&["costs:read"]);
    let other = api.token(&["extensions:write"]);

    // The tariff: refused when a rate is wrong (where, and why), taken whole.
    let bad = json!({ "rates": [{ "prefix": "2x", "name": "Warsaw", "setup_cents": 5, "peak_cents": 12,
        "offpeak_cents": 6, "first_secs": 1, "step_secs": 1 }], "offpeak": [] });
    let p = problem(&api.call(&writer, "PUT", "/api/v1/tariff", &[], &bad.to_string()), 422);
    assert_eq!(p["errors"][0]["pointer"], "/rates/0", "{p}");
    let tariff = json!({ "rates": [
            { "prefix": "", "name": "Elsewhere", "setup_cents": 0, "peak_cents": 30, "offpeak_cents": 15, "first_secs": 60, "step_secs": 60 },
            { "prefix": "22", "name": "Warsaw", "setup_cents": 5, "peak_cents": 12, "offpeak_cents": 6, "first_secs": 1, "step_secs": 1 }],
        "offpeak": [{ "days": ["mon", "tue", "wed", "thu", "fri"], "from": "22:00", "to": "06:00" }] });
    let r = api.call(&writer, "PUT", "/api/v1/tariff", &[], &tariff.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    let got = body(&api.get(&reader, "/api/v1/tariff"));
    assert_eq!(
        (got["rates"].clone(), got["offpeak"].clone()),
        (tariff["rates"].clone(), tariff["offpeak"].clone())
    );
    assert!(got["since"].as_i64().is_some(), "{got}");
    problem(&api.call(&other, "PUT", "/api/v1/tariff", &[], &tariff.to_string()), 403);

    // A limit, a top-up (once for a key sent twice) and a reset, in the journal as the token's.
    let r = api.call(
        &writer,
        "PATCH",
        "/api/v1/extensions/101/costs",
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"limit_cents": 5000, "top_up_cents": 1000, "top_up_mode": "weekly"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let c = body(&r);
    assert_eq!(
        (c["limit_cents"].as_i64(), c["credit_cents"].as_i64(), c["top_up_mode"].as_str()),
        (Some(5000), Some(5000), Some("weekly"))
    );
    let p = problem(
        &api.call(
            &writer,
            "PATCH",
            "/api/v1/extensions/101/costs",
            &[("Content-Type", "application/merge-patch+json")],
            r#"{"top_up_cents": 9000}"#,
        ),
        422,
    );
    assert_eq!(p["errors"][0]["pointer"], "/top_up", "{p}");
    for _ in 0..2 {
        let r = api.call(
            &writer,
            "POST",
            "/api/v1/extensions/101/costs/top-up",
            &[("Idempotency-Key", "k-101")],
            r#"{"amount_cents": 250}"#,
        );
        assert_eq!((r.status, body(&r)["credit_cents"].as_i64()), (200, Some(5250)), "{}", r.body);
    }
    problem(&api.call(&reader, "POST", "/api/v1/extensions/101/costs/reset", &[], "{}"), 403);
    let r = api.call(&writer, "POST", "/api/v1/extensions/101/costs/reset", &[], "{}");
    assert_eq!((r.status, body(&r)["credit_cents"].as_i64()), (200, Some(5000)), "{}", r.body);
    let list = body(&api.get(&reader, "/api/v1/costs"));
    let row = list.as_array().expect("list").iter().find(|r| r["extension"] == "101").cloned().expect("101");
    assert_eq!(row["costs"]["limit_cents"], 5000);
    let fields: Vec<String> = api
        .journal_rows("101")
        .into_iter()
        .filter(|(_, via, ..)| via == "api")
        .map(|(_, _, f, _)| f)
        .collect();
    assert_eq!(fields, ["limit", "top_up_amount", "top_up_mode", "top_up", "reset"]);
}

#[test]
fn presence_is_set_read_and_ended_by_script_with_the_divert_held_to_the_restriction() {
    let api = Api::start("");
    let write = api.token(&["extensions:write"]);
    let read = api.token(&["extensions:read"]);
    let json = [("Content-Type", "application/json")];

    let r = api.call(
        &write,
        "POST",
        "/api/v1/extensions/100/presence",
        &json,
        r#"{"status": "meeting", "info": "Board", "end": 4102444800, "forward": "101"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = body(&api.get(&read, "/api/v1/extensions/100/presence"));
    assert_eq!((p["status"].as_str(), p["status_id"].as_u64()), (Some("meeting"), Some(6)), "{p}");
    assert_eq!(
        (p["info"].as_str(), p["forward"].as_str(), p["end"].as_i64()),
        (Some("Board"), Some("101"), Some(4102444800))
    );
    let id = p["statuses"][0]["id"].as_i64().expect("the status's id");

    // A read token reads; it does not set.
    let r = api.call(&read, "POST", "/api/v1/extensions/100/presence", &json, r#"{"status": "away"}"#);
    problem(&r, 403);
    // Unknown states and fields are refused by name.
    let bad = problem(
        &api.call(&write, "POST", "/api/v1/extensions/100/presence", &json, r#"{"status": "asleep"}"#),
        422,
    );
    assert_eq!(bad["errors"][0]["pointer"].as_str(), Some("/status"), "{bad}");
    problem(
        &api.call(
            &write,
            "POST",
            "/api/v1/extensions/100/presence",
            &json,
            r#"{"status": "away", "mood": 1}"#,
        ),
        422,
    );
    // 101 may call inside only: a status may not forward his calls outside.
    api.db()
        .execute_batch(
            "INSERT INTO extension_services (extension, restriction, updated_at) VALUES ('101', 'internal', 0)
             ON CONFLICT (extension) DO UPDATE SET restriction = 'internal';",
        )
        .expect("restrict");
    let toll = problem(
        &api.call(
            &write,
            "POST",
            "/api/v1/extensions/101/presence",
            &json,
            r#"{"status": "ext_work", "forward": "0221555123"}"#,
        ),
        422,
    );
    assert!(toll["detail"].as_str().is_some_and(|d| d.contains("restricted")), "{toll}");
    assert_eq!(
        body(&api.get(&read, "/api/v1/extensions/101/presence"))["status"].as_str(),
        Some("available")
    );

    // Ended: 100 is available again, and ending it twice is not found.
    let r = api.call(&write, "DELETE", &format!("/api/v1/extensions/100/presence/{id}"), &[], "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(body(&r)["status"].as_str(), Some("available"));
    problem(&api.call(&write, "DELETE", &format!("/api/v1/extensions/100/presence/{id}"), &[], ""), 404);
}

#[test]
fn cti_groups_are_kept_by_script_as_on_the_page() {
    let api = Api::start("");
    let t = api.token(&["cti:write"]);
    let made = api.call(
        &t,
        "POST",
        "/api/v1/cti/groups",
        &[],
        r#"{"name": "Sales desk", "show_numbers": true, "members": ["100", "101"]}"#,
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let location = made.header("location").expect("location").to_owned();
    let group = body(&made);
    assert_eq!(
        (&group["name"], &group["members"]),
        (&json!("Sales desk"), &json!(["100", "101"])),
        "{group}"
    );
    // The page shows what the script made.
    let tag = made.header("etag").expect("etag").to_owned();
    let got = api.get(&t, &location);
    assert_eq!((body(&got), got.header("etag")), (group.clone(), Some(tag.as_str())));

    // A patch changes only the members it names; a stale tag changes nothing.
    let patch = [("Content-Type", "application/merge-patch+json"), ("If-Match", tag.as_str())];
    let r = api.call(&t, "PATCH", &location, &patch, r#"{"members": ["101"]}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&body(&r)["name"], &body(&r)["show_numbers"], &body(&r)["members"]),
        (&json!("Sales desk"), &json!(true), &json!(["101"]))
    );
    let p = problem(&api.call(&t, "PATCH", &location, &patch, r#"{"members": []}"#), 412);
    assert_eq!(p["title"], "stale");
    assert_eq!(body(&api.get(&t, &location))["members"], json!(["101"]));

    // A member that is nobody is named by its place; unknown fields are refused.
    let p = problem(
        &api.call(
            &t,
            "PUT",
            &location,
            &[],
            r#"{"name": "Sales desk", "show_numbers": false, "members": ["101", "nobody"]}"#,
        ),
        422,
    );
    assert_eq!(p["errors"][0]["pointer"], "/members/1", "{p}");
    let p = problem(
        &api.call(
            &t,
            "PUT",
            &location,
            &[],
            r#"{"name": "Sales desk", "show_numbers": false, "members": ["101\n100"]}"#,
        ),
        422,
    );
    assert_eq!(p["errors"][0]["pointer"], "/members/0", "{p}");
    let p = problem(
        &api.call(
            &t,
            "POST",
            "/api/v1/cti/groups",
            &[],
            r#"{"name": "X", "show_numbers": true, "members": [], "colour": "red"}"#,
        ),
        422,
    );
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("colour")), "{p}");
    let p = problem(
        &api.call(
            &t,
            "POST",
            "/api/v1/cti/groups",
            &[],
            r#"{"name": "sales DESK", "show_numbers": true, "members": []}"#,
        ),
        422,
    );
    assert_eq!(p["errors"][0]["pointer"], "/name", "{p}");
    assert_eq!(body(&api.get(&t, "/api/v1/cti/groups"))["items"].as_array().map(Vec::len), Some(1));

    // Read only is read only; deleting takes it away.
    let read = api.token(&["cti:read"]);
    problem(&api.call(&read, "DELETE", &location, &[], ""), 403);
    assert_eq!(api.call(&t, "DELETE", &location, &[], "").status, 204);
    problem(&api.get(&t, &location), 404);
}

#[test]
fn cti_accounts_and_their_rights_are_kept_by_script_as_on_the_page() {
    let api = Api::start("");
    let t = api.token(&["cti:write"]);
    let made = api.call(
        &t,
        "POST",
        "/api/v1/cti/accounts",
        &[],
        r#"{"name": "desk", "kind": "user", "first_name": "Anna"}"#,
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let account = body(&made);
    // A new account that logs in is given a password, shown this once.
    let password = account["password"].as_str().expect("a password made");
    assert!(password.len() >= 8, "{account}");
    assert_eq!((&account["has_password"], &account["first_name"]), (&json!(true), &json!("Anna")));
    let location = made.header("location").expect("location").to_owned();
    let got = body(&api.get(&t, &location));
    assert_eq!(got.get("password"), None, "never shown again: {got}");

    // A patch changes what it names only.
    let patch = [("Content-Type", "application/merge-patch+json")];
    let r = api.call(&t, "PATCH", &location, &patch, r#"{"last_name": "Kowalska", "hand_over": true}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = body(&r);
    assert_eq!(
        (&r["first_name"], &r["last_name"], &r["hand_over"]),
        (&json!("Anna"), &json!("Kowalska"), &json!(true))
    );
    let p = problem(&api.call(&t, "PATCH", &location, &patch, r#"{"email": "not mail"}"#), 422);
    assert_eq!(p["errors"][0]["pointer"], "/email", "{p}");
    let p = problem(
        &api.call(
            &t,
            "POST",
            "/api/v1/cti/accounts",
            &[],
            r#"{"name": "ghost", "kind": "nologin", "password": "secret-ghost-1"}"#,
        ),
        422,
    );
    assert_eq!(p["errors"][0]["pointer"], "/password", "{p}");

    // Rights: devices and monitored lines; a line that is none is named by its place.
    let rights = format!("{location}/rights");
    let r = api.call(
        &t,
        "PUT",
        &rights,
        &[],
        r#"{"devices": [{"ext": "100"}], "monitors": [{"ext": "101", "clip": true}], "offline_journal": true, "server_journal": false, "hot_desking": false, "blf": "first"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = body(&r);
    assert_eq!(
        r["devices"],
        json!([{ "ext": "100", "main": true, "softphone": false }]),
        "the first is the main one: {r}"
    );
    assert_eq!(r["monitors"], json!([{ "ext": "101", "clip": true, "pickup": false }]), "{r}");
    let bad = |body: &str| {
        problem(&api.call(&t, "PATCH", &rights, &patch, body), 422)["errors"][0]["pointer"].clone()
    };
    assert_eq!(bad(r#"{"monitors": [{"ext": "101"}, {"ext": "999"}]}"#), "/monitors/1/ext");
    assert_eq!(bad(r#"{"devices": [{"ext": "999"}]}"#), "/devices/0/ext");
    assert_eq!(bad(r#"{"devices": [{"ext": "100 main"}]}"#), "/devices/0/ext");
    assert_eq!(bad(r#"{"hot_desking": true}"#), "/hot_desking");
    assert_eq!(bad(r#"{"blf": "brightest"}"#), "/blf");
    assert_eq!(body(&api.get(&t, &rights))["blf"], "first", "nothing refused was written");
    let r = api.call(&t, "PATCH", &rights, &patch, r#"{"devices": [], "hot_desking": true}"#);
    assert_eq!((r.status, &body(&r)["hot_desking"]), (200, &json!(true)), "{}", r.body);

    let list = body(&api.get(&t, "/api/v1/cti/accounts"));
    assert_eq!(
        (list["items"].as_array().map(Vec::len), &list["licences_used"]),
        (Some(1), &json!(1)),
        "{list}"
    );
    assert_eq!(api.call(&t, "DELETE", &location, &[], "").status, 204);
    problem(&api.get(&t, &rights), 404);
}

#[test]
fn the_public_books_contacts_and_groups_are_kept_by_script() {
    let api = Api::start("");
    let t = api.token(&["phonebook:write"]);
    let lookup =
        |number: &str| body(&api.get(&t, &format!("/api/v1/lookup?number={number}")))["name"].clone();
    let olga = r#"{"first_name": "Olga", "last_name": "Tokarczuk", "company": "Papiernia",
        "numbers": [{"kind": "work", "number": "+48 22 700 00 01"}, {"kind": "mobile", "number": "+48 601 700 001"}],
        "groups": ["Suppliers"]}"#;
    let key = [("Idempotency-Key", "olga-1")];
    let r = api.call(&t, "POST", "/api/v1/phonebook/contacts", &key, olga);
    assert_eq!(r.status, 201, "{}", r.body);
    let made = body(&r);
    let id = made["id"].as_i64().expect("id");
    assert_eq!(r.header("location"), Some(format!("/api/v1/phonebook/contacts/{id}").as_str()));
    assert_eq!(made["groups"], json!(["Suppliers"]), "{made}");
    // The same key again: the same answer, one contact.
    assert_eq!(body(&api.call(&t, "POST", "/api/v1/phonebook/contacts", &key, olga))["id"], id);
    // Everyone who reads the public book finds her, in any number form.
    assert_eq!(lookup("0227000001"), "Tokarczuk Olga");
    assert_eq!(lookup("%2B48601700001"), "Tokarczuk Olga");
    let groups = body(&api.get(&t, "/api/v1/phonebook/groups"));
    let suppliers =
        groups["items"].as_array().expect("items").iter().find(|g| g["name"] == "Suppliers").cloned();
    let suppliers = suppliers.unwrap_or_else(|| panic!("{groups}"));
    assert_eq!(suppliers["contacts"], 1, "{groups}");

    // A patch of one field leaves every other as it was; a stale ETag is refused.
    let path = format!("/api/v1/phonebook/contacts/{id}");
    let tag = api.get(&t, &path).header("etag").expect("etag").to_owned();
    let patch = [("Content-Type", "application/merge-patch+json"), ("If-Match", tag.as_str())];
    let r = body(&api.call(&t, "PATCH", &path, &patch, r#"{"title": "CEO"}"#));
    assert_eq!(
        (&r["title"], &r["company"], &r["groups"]),
        (&json!("CEO"), &json!("Papiernia"), &json!(["Suppliers"]))
    );
    let sent: Value = serde_json::from_str(olga).expect("json");
    assert_eq!(r["numbers"], sent["numbers"], "{r}");
    problem(&api.call(&t, "PATCH", &path, &patch, r#"{"title": "CTO"}"#), 412);
    // Her numbers replaced whole: the old one no longer names her.
    let r = api.call(
        &t,
        "PATCH",
        &path,
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"numbers": [{"kind": "work", "number": "+48 22 700 00 09"}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((lookup("0227000009"), lookup("0227000001")), (json!("Tokarczuk Olga"), Value::Null));
    assert_eq!(body(&api.get(&t, &path))["id"], id, "the contact keeps its id");

    // What the portal's form refuses is refused, naming the field; nothing is written.
    let bad = r#"{"last_name": "Wrona", "numbers": [{"kind": "work", "number": "12a"}]}"#;
    let p = problem(&api.call(&t, "POST", "/api/v1/phonebook/contacts", &[], bad), 422);
    assert_eq!(p["errors"][0]["pointer"], "/numbers/0/number", "{p}");
    let p =
        problem(&api.call(&t, "PUT", &path, &[], r#"{"numbers": [{"kind": "work", "number": "101"}]}"#), 422);
    assert_eq!(p["errors"][0]["pointer"], "/last_name", "{p}");
    problem(
        &api.call(&t, "POST", "/api/v1/phonebook/contacts", &[], r#"{"last_name": "X", "nickname": "Y"}"#),
        422,
    );
    assert_eq!(body(&api.get(&t, &path))["title"], "CEO");

    // Groups: renamed (the contact shows the new name), a name taken refused, deleted (the contact stays).
    let group = format!("/api/v1/phonebook/groups/{}", suppliers["id"]);
    let merge = [("Content-Type", "application/merge-patch+json")];
    assert_eq!(body(&api.call(&t, "PATCH", &group, &merge, r#"{"name": "Vendors"}"#))["name"], "Vendors");
    assert_eq!(body(&api.get(&t, &path))["groups"], json!(["Vendors"]));
    let r = api.call(&t, "POST", "/api/v1/phonebook/groups", &[], r#"{"name": "Vendors"}"#);
    assert_eq!(problem(&r, 422)["errors"][0]["pointer"], "/name");
    let r = api.call(&t, "POST", "/api/v1/phonebook/groups", &[], r#"{"name": "Couriers"}"#);
    assert_eq!((r.status, body(&r)["contacts"].clone()), (201, json!(0)), "{}", r.body);
    assert_eq!(api.call(&t, "DELETE", &group, &[], "").status, 204);
    assert_eq!(body(&api.get(&t, &path))["groups"], json!([]));

    // Pages by id, each contact once.
    for last in ["Alpha", "Beta", "Gamma"] {
        let c = format!(
            r#"{{"last_name": "{last}", "numbers": [{{"kind": "work", "number": "+48 22 711 00 0{}"}}]}}"#,
            last.len()
        );
        assert_eq!(api.call(&t, "POST", "/api/v1/phonebook/contacts", &[], &c).status, 201);
    }
    let (mut seen, mut after) = (Vec::new(), String::new());
    loop {
        let page = body(&api.get(&t, &format!("/api/v1/phonebook/contacts?limit=2{after}")));
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2, "{page}");
        seen.extend(items.iter().map(|c| c["id"].as_i64().expect("id")));
        match page["next"].as_i64() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen, "{seen:?}");
    assert!(seen.contains(&id) && seen.len() >= 4, "{seen:?}");

    // A reading token reads and changes nothing; deleted, she is gone.
    let read = api.token(&["phonebook:read"]);
    assert_eq!(api.get(&read, &path).status, 200);
    problem(&api.call(&read, "DELETE", &path, &[], ""), 403);
    assert_eq!(api.call(&t, "DELETE", &path, &[], "").status, 204);
    problem(&api.get(&t, &path), 404);
    assert_eq!(lookup("0227000009"), Value::Null);
}

#[test]
fn the_desktop_clients_installer_is_put_in_place_by_script_and_downloaded_by_subscribers() {
    let api = Api::start("");
    let t = api.token(&["board:write"]);
    problem(&api.get(&t, "/api/v1/installer"), 404);
    // 300 KB, sent whole; streamed to the board, not held in memory.
    let setup: Vec<u8> =
        b"MZ".iter().chain(b"WebCTI client ".iter().cycle().take(300_000)).copied().collect();
    let upload = |token: &str, path: &str, bytes: &[u8]| {
        let auth = format!("Bearer {token}");
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/octet-stream")];
        api.client.request_bytes(api.svc.lan_https, "PUT", path, &headers, bytes).expect("request")
    };
    let r = upload(&t, "/api/v1/installer?name=WebCTI-Setup-2.4.exe", &setup);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(body(&r), json!({ "name": "WebCTI-Setup-2.4.exe", "bytes": setup.len() }));
    assert_eq!(body(&api.get(&t, "/api/v1/installer"))["name"], "WebCTI-Setup-2.4.exe");

    // The subscriber downloads what the script put there.
    let mut anna = support::portal::Browser::new(api.svc.client(), api.svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let got = anna.get("/download/installer");
    assert_eq!((got.status, got.body.as_bytes()), (200, setup.as_slice()));
    assert!(got.header("content-disposition").is_some_and(|d| d.contains("WebCTI-Setup-2.4.exe")), "{got:?}");

    // A name with a path, an empty file and a read-only token are refused;
    // the installer offered stays as it was.
    let p = problem(&upload(&t, "/api/v1/installer?name=..%2F..%2Fetc%2Fpasswd", b"x"), 422);
    assert_eq!(p["errors"][0]["pointer"], "/name", "{p}");
    problem(&upload(&t, "/api/v1/installer?name=empty.exe", b""), 422);
    problem(&upload(&t, "/api/v1/installer", b"x"), 422);
    let read = api.token(&["board:read"]);
    assert_eq!(body(&api.get(&read, "/api/v1/installer"))["bytes"], setup.len());
    problem(&upload(&read, "/api/v1/installer?name=other.exe", b"x"), 403);
    assert_eq!(anna.get("/download/installer").body.as_bytes(), setup.as_slice());

    // Deleted: subscribers no longer see it.
    assert_eq!(api.call(&t, "DELETE", "/api/v1/installer", &[], "").status, 204);
    problem(&api.get(&t, "/api/v1/installer"), 404);
    assert_eq!(anna.get("/download/installer").status, 404);
}

#[test]
fn the_mail_server_is_set_by_script_and_its_password_never_read_back() {
    let api = Api::start("");
    let t = api.token(&["board:write"]);
    let server = r#"{"host": "mail.example.com", "port": 587, "tls": "starttls", "username": "pbx",
        "password": "s3cret-pass", "from": "pbx@example.com"}"#;
    let r = api.call(&t, "PUT", "/api/v1/smtp", &[], server);
    assert_eq!(r.status, 200, "{}", r.body);
    let set = body(&r);
    assert_eq!(
        (&set["host"], &set["password_set"], set.get("password")),
        (&json!("mail.example.com"), &json!(true), None),
        "{set}"
    );
    assert!(!r.body.contains("s3cret"), "{}", r.body);

    // A patch changes what it names; the password stays until it is forgotten.
    let patch = [("Content-Type", "application/merge-patch+json")];
    let r = body(&api.call(&t, "PATCH", "/api/v1/smtp", &patch, r#"{"port": 465, "tls": "tls"}"#));
    assert_eq!(
        (&r["port"], &r["tls"], &r["username"], &r["password_set"]),
        (&json!(465), &json!("tls"), &json!("pbx"), &json!(true)),
        "{r}"
    );
    let p = problem(&api.call(&t, "PATCH", "/api/v1/smtp", &patch, r#"{"tls": "ssl3"}"#), 422);
    assert_eq!(p["errors"][0]["pointer"], "/tls", "{p}");
    let p = problem(&api.call(&t, "PATCH", "/api/v1/smtp", &patch, r#"{"from": "nobody"}"#), 422);
    assert_eq!(p["errors"][0]["pointer"], "/from", "{p}");
    assert_eq!(body(&api.get(&t, "/api/v1/smtp"))["port"], 465, "nothing refused was written");
    let r = body(&api.call(&t, "PATCH", "/api/v1/smtp", &patch, r#"{"password": ""}"#));
    assert_eq!(r["password_set"], false, "{r}");

    // Stored as the administrator's page stores it, to outlive a restart.
    let db = api.db();
    let stored: String =
        db.query_row("SELECT value FROM setting WHERE key = 'smtp'", [], |r| r.get(0)).expect("stored");
    assert!(stored.contains("\"port\":465") && stored.contains("mail.example.com"), "{stored}");
    let read = api.token(&["board:read"]);
    problem(&api.call(&read, "PUT", "/api/v1/smtp", &[], server), 403);
}

#[test]
fn how_the_portal_is_reached_and_its_certificate_are_set_by_script() {
    let api = Api::start("");
    let t = api.token(&["board:write"]);
    let got = body(&api.get(&t, "/api/v1/tls"));
    assert_eq!(got["certificate"], "device", "{got}");
    // The switch flipped, the other left as it was, kept as the page keeps it.
    let flipped = !got["https_only"].as_bool().expect("https_only");
    let patch = [("Content-Type", "application/merge-patch+json")];
    let r = api.call(&t, "PATCH", "/api/v1/tls", &patch, &json!({ "https_only": flipped }).to_string());
    assert_eq!(
        (r.status, &body(&r)["https_only"], &body(&r)["wan_webcti"]),
        (200, &json!(flipped), &got["wan_webcti"]),
        "{}",
        r.body
    );
    let stored: String = api
        .db()
        .query_row("SELECT value FROM setting WHERE key = 'exposure'", [], |r| r.get(0))
        .expect("stored");
    assert!(stored.contains(&format!("\"https_only\":{flipped}")), "{stored}");

    // A chain and key for this board, served from the next connection on.
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let (_, other) = (cert.pem(), rcgen::KeyPair::generate().expect("key"));
    let send = |chain: &str, key: &str| {
        let doc = json!({ "chain": chain, "key": key }).to_string();
        api.call(&t, "PUT", "/api/v1/tls/certificate", &[], &doc)
    };
    let p = problem(&send(&cert.pem(), &other.serialize_pem()), 422);
    assert_eq!(p["errors"][0]["pointer"], "/key", "{p}");
    let p = problem(&send("garbage", &key.serialize_pem()), 422);
    assert_eq!(p["errors"][0]["pointer"], "/chain", "{p}");
    assert_eq!(body(&api.get(&t, "/api/v1/tls"))["certificate"], "device", "nothing refused was served");
    let r = send(&cert.pem(), &key.serialize_pem());
    assert_eq!((r.status, &body(&r)["certificate"]), (200, &json!("uploaded")), "{}", r.body);
    assert!(!r.body.contains("PRIVATE KEY"), "the key is never answered");
    let path = api.dir.path().join("uploaded-trust.crt");
    std::fs::write(&path, cert.pem()).expect("write");
    let r = support::client::Client::trusting(&path)
        .get(api.svc.lan_https, "/healthz")
        .expect("the uploaded chain is served");
    assert_eq!(r.status, 200);

    let read = api.token(&["board:read"]);
    problem(&api.call(&read, "DELETE", "/api/v1/tls/certificate", &[], ""), 403);
    assert_eq!(api.call(&t, "DELETE", "/api/v1/tls/certificate", &[], "").status, 204);
    assert_eq!(body(&api.get(&t, "/api/v1/tls"))["certificate"], "device");
}
