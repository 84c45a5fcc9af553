//! The CTI desktop protocol (`/cti`, docs/cti-protocol.md) end to end: the
//! real service over TLS with the simulator over the wire, driven by the
//! reference client's library half (`webcti::cti_client`), as a desktop
//! client would: logins of each kind, rights (monitoring, CLIP, pickup), call
//! control with the records the history then shows, resuming after a
//! disconnect, and bad messages answered without harm.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::portal::{seeded_db, T0 as PORTAL_T0};
use support::Service;
use webcti::cti_client::{ClientError, Connection, Url};
use webcti::domain::cti::{BlfSource, Data, Device, Kind, Monitor, Rights};
use webcti::phonebook::{BookKind, Contact, Number, NumberKind};
use webcti::services::password::Hasher;
use webcti::sim::demo;
use webcti::sim::{Clock, Sim};
use webcti::store::cti::SavedAccount;
use webcti::store::journal::Author;
use webcti::store::Store;
use webcti::websocket::Message;

struct World {
    _dir: tempfile::TempDir,
    sim: Sim,
    svc: Service,
    _stop: webcti::shutdown::Trigger,
}

/// The accounts: `desk` (device 100; monitors 101 with CLIP and pickup),
/// `reception` (device 120; monitors 101 with neither), `roamer` (hot
/// desking), the computer `PC-7` (device 107), `newbie` (to be handed a
/// password), `night` (device 100, with the offline and the server journal),
/// `twin` (devices 102 and 103).
/// Every password is `<name>-pass-1`. And Zofia Wrona in the public book.
async fn accounts(db: &std::path::Path) {
    let store = Store::open(db).await.expect("store");
    let zofia = Contact {
        first_name: "Zofia".into(),
        last_name: "Wrona".into(),
        company: "Kancelaria".into(),
        numbers: vec![Number { kind: NumberKind::Work, number: "+48 22 555 01 02".into() }],
        ..Default::default()
    };
    let by = Author { actor: "admin:120".into(), via: "web" };
    store.add_contact("120", BookKind::Public, zofia, by, PORTAL_T0).await.expect("add").expect("added");
    let hasher = Hasher::new().expect("hasher");
    let device = |ext: &str| Device { ext: ext.into(), main: true, softphone: false };
    let monitor = |ext: &str, on: bool| Monitor { ext: ext.into(), clip: on, pickup: on };
    type Account<'a> = (&'a str, Kind, Vec<Device>, Vec<Monitor>, bool, bool);
    let accounts: [Account; 7] = [
        ("desk", Kind::User, vec![device("100")], vec![monitor("101", true)], false, false),
        ("reception", Kind::User, vec![device("120")], vec![monitor("101", false)], false, false),
        ("roamer", Kind::User, vec![], vec![], true, false),
        ("PC-7", Kind::Computer, vec![device("107")], vec![], false, false),
        ("newbie", Kind::User, vec![device("101")], vec![], false, false),
        ("night", Kind::User, vec![device("100")], vec![], false, true),
        ("twin", Kind::User, vec![device("102"), device("103")], vec![], false, false),
    ];
    for (name, kind, devices, monitors, hot_desking, journals) in accounts {
        let hash = hasher.hash(&format!("{name}-pass-1")).await.expect("hash");
        // Night's phone at home is one of the users' own numbers.
        let data = match name {
            "night" => Data {
                first_name: "Nocny".into(),
                last_name: "Stróż".into(),
                phone: "+48 601 111 222".into(),
                ..Data::default()
            },
            _ => Data::default(),
        };
        let saved = SavedAccount { name: name.into(), kind, data };
        let id =
            store.save_cti_account(0, saved, Some(hash), 25, PORTAL_T0).await.expect("save").expect("saved");
        let rights = Rights {
            devices,
            monitors,
            offline_journal: journals,
            server_journal: journals,
            hot_desking,
            blf: BlfSource::InUse,
        };
        assert!(store.set_cti_rights(id, rights).await.expect("rights"));
        if name == "newbie" {
            assert!(store.set_cti_hand_over(id, true).await.expect("hand over"));
        }
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    accounts(&data.join("webcti.db")).await;
    // 100 may call inside only.
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute_batch(
        "INSERT INTO extension_services (extension, restriction, updated_at) VALUES ('100', 'internal', 0)
         ON CONFLICT (extension) DO UPDATE SET restriction = 'internal';",
    )
    .expect("restrict 100");
    drop(db);
    let sim = Sim::new(demo::plan(), Clock::Manual, PORTAL_T0);
    let sock = dir.path().join("core.sock");
    let stop = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}\n", sock.display()));
    svc.wait_log("core link up", 1);
    World { _dir: dir, sim, svc, _stop: stop }
}

impl World {
    async fn connect(&self) -> Client {
        let url = Url::parse(&format!("wss://{}/cti", self.svc.lan_https)).expect("url");
        let mut conn =
            Connection::open(&url, Some(&self.svc.dir.join("tls/device.crt"))).await.expect("open");
        let hello = conn.recv().await.expect("hello");
        assert_eq!(hello["type"], "hello");
        assert_eq!(hello["version"], 1);
        Client { conn, hello, next_id: 0 }
    }

    /// A client logged in as `account` from `computer`, its login's answer,
    /// and the snapshot or what it missed (read by the caller).
    async fn login(&self, account: &str, computer: &str) -> (Client, Value) {
        let mut c = self.connect().await;
        let password = format!("{account}-pass-1");
        let r = c
            .ask(json!({ "type": "login", "account": account, "computer": computer, "password": password }))
            .await;
        assert_eq!(r["type"], "result", "{r}");
        (c, r)
    }
}

struct Client {
    conn: Connection,
    hello: Value,
    next_id: u64,
}

const WAIT: Duration = Duration::from_secs(20);

impl Client {
    /// Sends `m` with a fresh id and returns its answer; events on the way are dropped.
    async fn ask(&mut self, mut m: Value) -> Value {
        self.next_id += 1;
        m["id"] = json!(self.next_id);
        self.conn.send(&m).await.expect("send");
        loop {
            let v = self.next().await;
            if v["id"] == json!(self.next_id) && (v["type"] == "result" || v["type"] == "error") {
                return v;
            }
        }
    }

    async fn next(&mut self) -> Value {
        tokio::time::timeout(WAIT, self.conn.recv()).await.expect("a message in time").expect("connected")
    }

    /// Reads until a message matches, and returns it with what came before.
    async fn until(&mut self, what: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let v = self.next().await;
            if what(&v) {
                return (v, before);
            }
            before.push(v);
        }
    }
}

fn event<'a>(name: &'a str, ext: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |v: &Value| v["type"] == "event" && v["event"] == name && (v["ext"] == ext || v["at"] == ext)
}

fn call_at<'a>(progress: &'a str, at: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |v: &Value| {
        v["type"] == "event" && v["event"] == "call" && v["progress"] == progress && v["at"] == at
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_logs_in_and_bad_messages_are_answered_without_harm() {
    let w = world().await;

    // A wrong password is refused, and the connection may try again.
    let mut c = w.connect().await;
    let r =
        c.ask(json!({ "type": "login", "account": "desk", "computer": "PC-1", "password": "nope" })).await;
    assert_eq!((r["type"].as_str(), r["code"].as_str()), (Some("error"), Some("login_failed")), "{r}");
    // Before a login nothing else is done.
    let r = c.ask(json!({ "type": "dial", "number": "101" })).await;
    assert_eq!(r["code"], "login_first", "{r}");
    let r = c
        .ask(json!({ "type": "login", "account": "DESK", "computer": "PC-1", "password": "desk-pass-1" }))
        .await;
    assert_eq!(r["type"], "result", "{r}");
    assert_eq!(r["account"], "desk");
    assert_eq!(r["devices"], json!(["100"]));
    assert_eq!(r["monitors"], json!([{ "ext": "101", "clip": true, "pickup": true }]));
    // No resume asked for: a snapshot of its lines follows.
    let snap = c.next().await;
    assert_eq!(snap["type"], "snapshot", "{snap}");
    assert_eq!(snap["lines"], json!([{ "ext": "100", "state": "idle" }]), "{snap}");
    assert_eq!(snap["epoch"], c.hello["epoch"]);

    // Bad messages are answered with an error; the connection carries on.
    for (bad, code) in [
        (Message::Text("not json".into()), "bad_request"),
        (Message::Text("[1,2]".into()), "bad_request"),
        (Message::Text(r#"{"id":7}"#.into()), "bad_request"),
        (Message::Text(r#"{"type":"teleport","id":8}"#.into()), "unknown"),
        (Message::Text(r#"{"type":"answer","id":9,"call":"x"}"#.into()), "bad_request"),
        (Message::Binary(vec![1, 2, 3]), "bad_request"),
    ] {
        c.conn.send_raw(bad.clone()).await.expect("send");
        let (r, _) = c.until(|v| v["type"] == "error").await;
        assert_eq!(r["code"], code, "{bad:?}: {r}");
    }
    c.conn.send(&json!({ "type": "ping", "id": "p" })).await.expect("ping");
    let (pong, _) = c.until(|v| v["type"] == "pong").await;
    assert_eq!(pong["id"], "p");
    let r = c.ask(json!({ "type": "monitor_start", "ext": "101" })).await;
    assert_eq!((r["type"].as_str(), r["state"].as_str()), (Some("result"), Some("idle")), "{r}");

    // A computer account logs in by its host name; a user with hot desking
    // gets the devices standing at the computer it logs in from, and none elsewhere.
    let (_pc, r) = w.login("PC-7", "PC-7").await;
    assert_eq!((r["kind"].as_str(), &r["devices"]), (Some("computer"), &json!(["107"])), "{r}");
    let (_roamer, r) = w.login("roamer", "pc-7").await;
    assert_eq!(r["devices"], json!(["107"]), "{r}");
    let (_roamer2, r) = w.login("roamer", "PC-9").await;
    assert_eq!(r["devices"], json!([]), "{r}");

    // A subscriber's WebCTI login is an account with his extension.
    let mut s = w.connect().await;
    let r = s
        .ask(json!({ "type": "login", "account": "100", "computer": "PC-1", "password": "secret-100" }))
        .await;
    assert_eq!((r["extension"].as_str(), &r["devices"]), (Some("100"), &json!(["100"])), "{r}");

    // The handed-over password: the first login needs none and is given one;
    // the second needs that one.
    let mut n = w.connect().await;
    let r = n.ask(json!({ "type": "login", "account": "newbie", "computer": "PC-2" })).await;
    let given = r["password"].as_str().expect("a password handed over").to_owned();
    assert!(given.len() >= 12, "{given}");
    let mut n2 = w.connect().await;
    let r = n2.ask(json!({ "type": "login", "account": "newbie", "computer": "PC-2" })).await;
    assert_eq!(r["code"], "login_failed", "{r}");
    let r =
        n2.ask(json!({ "type": "login", "account": "newbie", "computer": "PC-2", "password": given })).await;
    assert_eq!((r["type"].as_str(), r.get("password")), (Some("result"), None), "{r}");

    // A message larger than the bound ends that connection (1009) and no other.
    let mut big = w.connect().await;
    big.conn.send_raw(Message::Text("x".repeat(17 * 1024))).await.expect("send");
    let end = tokio::time::timeout(WAIT, big.conn.recv()).await.expect("in time");
    assert!(matches!(end, Err(ClientError::Closed(Some(1009)))), "{end:?}");
    let r = c.ask(json!({ "type": "presence" })).await;
    assert_eq!((r["type"].as_str(), r["status"].as_str()), (Some("result"), Some("available")), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rights_decide_what_a_client_follows_sees_and_picks_up() {
    let w = world().await;
    let (mut reception, _) = w.login("reception", "PC-R").await;
    let (mut desk, _) = w.login("desk", "PC-D").await;

    // Monitoring a line without the right is refused; with it, allowed.
    let r = reception.ask(json!({ "type": "monitor_start", "ext": "107" })).await;
    assert_eq!(r["code"], "forbidden", "{r}");
    let r = reception.ask(json!({ "type": "monitor_start", "ext": "101" })).await;
    assert_eq!(r["type"], "result", "{r}");
    let r = desk.ask(json!({ "type": "monitor_start", "ext": "101" })).await;
    assert_eq!(r["type"], "result", "{r}");

    // A call rings at 101: without CLIP the caller's number is hidden.
    w.sim.with(|ex| ex.incoming("0223334444", "101")).expect("incoming");
    let (ring, _) = reception.until(call_at("ringing", "101")).await;
    assert_eq!((ring["from"].as_str(), ring["clip"].as_bool()), (Some(""), Some(false)), "{ring}");
    let (ring, _) = desk.until(call_at("ringing", "101")).await;
    assert_eq!((ring["from"].as_str(), ring["clip"].as_bool()), (Some("0223334444"), Some(true)), "{ring}");

    // Picking up without the right is refused, and the call rings on.
    let r = reception.ask(json!({ "type": "pickup", "target": "101" })).await;
    assert_eq!(r["code"], "forbidden", "{r}");
    assert!(!w.sim.with(|ex| ex.calls_of("101")).is_empty());
    // With it, the desk's own line takes the call.
    let r = desk.ask(json!({ "type": "pickup", "target": "101" })).await;
    assert_eq!(r["type"], "result", "{r}");
    assert!(r["call"].is_u64(), "{r}");
    let (busy, _) = desk.until(|v| event("line", "100")(v) && v["state"] == "busy").await;
    assert_eq!(busy["ext"], "100");
    assert!(w.sim.with(|ex| ex.calls_of("101")).is_empty(), "the call left 101");

    // A device the account does not have cannot be dialled from.
    let r = reception.ask(json!({ "type": "dial", "device": "100", "number": "107" })).await;
    assert_eq!(r["code"], "forbidden", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consult_and_transfer_and_a_conference_through_the_protocol() {
    let w = world().await;
    let (mut desk, _) = w.login("desk", "PC-D").await;

    // An outside call to 100, answered from the client.
    let call = w.sim.with(|ex| ex.incoming("0223334444", "100")).expect("incoming");
    let (ring, _) = desk.until(call_at("ringing", "100")).await;
    assert_eq!(ring["call"], json!(call));
    let r = desk.ask(json!({ "type": "answer", "call": call })).await;
    assert_eq!(r["type"], "result", "{r}");
    desk.until(call_at("answered", "100")).await;

    // Consult 101 (the outside caller is held), 101 answers, transfer.
    let r = desk.ask(json!({ "type": "consult", "call": call, "number": "101" })).await;
    let consult = r["call"].as_u64().unwrap_or_else(|| panic!("a consultation call: {r}"));
    w.sim.with(|ex| ex.answer("101")).expect("101 answers");
    let r = desk.ask(json!({ "type": "transfer", "held": call, "active": consult })).await;
    assert_eq!(r["type"], "result", "{r}");
    desk.until(|v| event("line", "100")(v) && v["state"] == "idle").await;
    assert!(w.sim.with(|ex| ex.calls_of("100")).is_empty(), "100 dropped out");
    assert_eq!(w.sim.with(|ex| ex.calls_of("101")).len(), 1, "the caller talks to 101");
    w.sim.with(|ex| ex.hang_up("101")).expect("hang up");
    // The record of the call reaches the client, as the history shows it.
    let (record, _) = desk.until(|v| v["event"] == "call_record").await;
    assert_eq!(record["extension"], "100", "{record}");

    // A number the extension may not dial is refused before the core hears of it.
    let call = w.sim.with(|ex| ex.incoming("0225556666", "100")).expect("incoming");
    desk.until(call_at("ringing", "100")).await;
    let r = desk.ask(json!({ "type": "deflect", "call": call, "number": "0221555123" })).await;
    assert_eq!(r["code"], "exchange_refused", "{r}");
    // Deflected to 107 instead: it rings there.
    let r = desk.ask(json!({ "type": "deflect", "call": call, "number": "107" })).await;
    assert_eq!(r["type"], "result", "{r}");
    assert_eq!(w.sim.with(|ex| ex.line_state("107")), Some(webcti::hal::proto::LineState::Ringing));
    w.sim.with(|ex| ex.hang_up_external("0225556666")).expect("caller hangs up");

    // A conference: 100 calls 101 (consulting on an outside call) and joins all three.
    let call = w.sim.with(|ex| ex.incoming("0227778888", "100")).expect("incoming");
    desk.until(call_at("ringing", "100")).await;
    desk.ask(json!({ "type": "answer", "call": call })).await;
    let r = desk.ask(json!({ "type": "consult", "call": call, "number": "101" })).await;
    let consult = r["call"].as_u64().expect("consultation");
    w.sim.with(|ex| ex.answer("101")).expect("101 answers");
    let r = desk.ask(json!({ "type": "conference", "held": call, "active": consult })).await;
    assert_eq!(r["type"], "result", "{r}");
    desk.until(|v| v["event"] == "call" && v["progress"] == "conferenced").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_comes_back_gets_exactly_what_it_missed_or_a_snapshot() {
    let w = world().await;
    let (mut stays, _) = w.login("desk", "PC-D").await;
    let snap = stays.next().await;
    assert_eq!(snap["type"], "snapshot");
    let (mut leaves, _) = w.login("desk", "PC-E").await;
    let snap = leaves.next().await;
    let epoch = snap["epoch"].as_str().expect("epoch").to_owned();
    // Its last number: a call event it saw.
    w.sim.with(|ex| ex.incoming("0221110000", "100")).expect("incoming");
    let (seen, _) = leaves.until(call_at("ringing", "100")).await;
    let last = seen["seq"].as_u64().expect("seq");
    leaves.conn.close().await;

    // Meanwhile: the call is answered and ends, another rings.
    w.sim.with(|ex| ex.answer("100")).expect("answer");
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    w.sim.with(|ex| ex.incoming("0222220000", "100")).expect("incoming");
    let (_, mut missed) = stays.until(|v| v["seq"].as_u64() == Some(last)).await;
    let (ring, before) = stays.until(|v| call_at("ringing", "100")(v) && v["from"] == "0222220000").await;
    missed.clear();
    missed.extend(before);
    missed.push(ring);

    // Back with its number: the missed events, exactly, and no snapshot.
    let mut back = w.connect().await;
    let r = back
        .ask(json!({ "type": "login", "account": "desk", "computer": "PC-E", "password": "desk-pass-1",
            "resume": { "epoch": epoch, "seq": last } }))
        .await;
    assert_eq!(r["resumed"], true, "{r}");
    let mut got = Vec::new();
    while got.len() < missed.len() {
        got.push(back.next().await);
    }
    assert_eq!(got, missed, "exactly the events missed, in order");

    // A number from another run (or older than the ring): a snapshot instead.
    let mut other = w.connect().await;
    let r = other
        .ask(json!({ "type": "login", "account": "desk", "computer": "PC-E", "password": "desk-pass-1",
            "resume": { "epoch": "0123456789abcdef", "seq": last } }))
        .await;
    assert_eq!(r["resumed"], false, "{r}");
    let snap = other.next().await;
    assert_eq!(snap["type"], "snapshot", "{snap}");
    assert_eq!(snap["lines"], json!([{ "ext": "100", "state": "ringing" }]), "{snap}");
    let calls = snap["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 1, "{snap}");
    assert_eq!(
        (calls[0]["from"].as_str(), calls[0]["progress"].as_str()),
        (Some("0222220000"), Some("ringing"))
    );
}

/// SPEC C4: the calls of an account's devices while none of its clients was
/// connected reach its next login (the offline journal), and the server keeps
/// them to be paged (the server journal); without those rights, neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_while_away_reach_the_next_login_and_the_server_keeps_the_journal() {
    let w = world().await;
    // desk (device 100 too, without the journals) sees when the records are in.
    let (mut desk, _) = w.login("desk", "PC-D").await;
    let (mut night, _) = w.login("night", "PC-N").await;
    let (first, _) = night.until(|v| v["type"] == "journal").await;
    assert_eq!(
        (&first["offline"], &first["calls"], &first["complete"]),
        (&json!(true), &json!([]), &json!(true))
    );
    night.conn.close().await;

    // Away: a call answered, then one missed.
    w.sim.with(|ex| ex.incoming("0221110000", "100")).expect("incoming");
    w.sim.with(|ex| ex.answer("100")).expect("answer");
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    w.sim.with(|ex| ex.incoming("0222220000", "100")).expect("incoming");
    w.sim.with(|ex| ex.hang_up_external("0222220000")).expect("the caller gives up");
    let record = |v: &Value| v["event"] == "call_record";
    let (answered, _) = desk.until(record).await;
    let (missed, _) = desk.until(record).await;
    assert_eq!((answered["kind"].as_str(), missed["kind"].as_str()), (Some("incoming"), Some("missed")));

    // Back: both, in the order they came, as the events showed them (no notes yet).
    let (mut night, _) = w.login("night", "PC-N").await;
    let (journal, _) = night.until(|v| v["type"] == "journal").await;
    let strip = |v: &Value| {
        let mut v = v.clone();
        let fields = v.as_object_mut().expect("object");
        for k in ["type", "seq", "event"] {
            fields.remove(k);
        }
        fields.insert("note".into(), Value::Null);
        v
    };
    assert_eq!(journal["calls"], json!([strip(&answered), strip(&missed)]), "{journal}");
    assert_eq!((journal["part"].as_u64(), journal["parts"].as_u64()), (Some(1), Some(1)));
    assert_eq!(journal["complete"], true);

    // The server journal: newest first, a page at a time.
    let page = night.ask(json!({ "type": "journal", "limit": 1 })).await;
    assert_eq!(page["calls"], json!([strip(&missed)]), "{page}");
    let page = night.ask(json!({ "type": "journal", "limit": 1, "before": page["next"] })).await;
    assert_eq!(page["calls"], json!([strip(&answered)]), "{page}");
    // Then the seeded history's older calls, the last page.
    let page = night.ask(json!({ "type": "journal", "before": page["next"] })).await;
    let older = page["calls"].as_array().expect("calls");
    assert!(!older.is_empty() && page["next"].is_null(), "{page}");
    assert!(older.iter().all(|c| c["started_at"].as_i64() < answered["started_at"].as_i64()), "{page}");
    let bad = night.ask(json!({ "type": "journal", "before": "yesterday" })).await;
    assert_eq!(bad["code"], "bad_request", "{bad}");

    // A note kept with the missed call (SPEC C13): the journal shows it, as the
    // history does; only on a call of the client's own lines.
    let r = night
        .ask(json!({ "type": "call_note", "record": missed["id"], "text": "Call back on Monday" }))
        .await;
    assert_eq!(r["type"], "result", "{r}");
    let page = night.ask(json!({ "type": "journal", "limit": 1 })).await;
    assert_eq!(page["calls"][0]["note"], "Call back on Monday", "{page}");
    let r = night.ask(json!({ "type": "call_note", "record": 999_999, "text": "no such call" })).await;
    assert_eq!(r["code"], "not_found", "{r}");
    let r = night.ask(json!({ "type": "call_note", "record": missed["id"], "text": "\u{7}" })).await;
    assert_eq!(r["code"], "invalid", "{r}");

    // Seen once, not again: the next login has missed nothing.
    night.conn.close().await;
    let (mut night, _) = w.login("night", "PC-N").await;
    let (journal, _) = night.until(|v| v["type"] == "journal").await;
    assert_eq!(journal["calls"], json!([]), "{journal}");

    // Without the rights: no journal at login, and none to page.
    desk.conn.close().await;
    let (mut desk, _) = w.login("desk", "PC-D").await;
    assert_eq!(desk.next().await["type"], "snapshot", "no offline journal");
    let refused = desk.ask(json!({ "type": "journal" })).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
}

/// A client searches the shared books and asks who a number is (SPEC C14):
/// the same answers as desk phones and the API get, however the number is
/// written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_searches_the_books_and_looks_up_numbers_in_any_form() {
    let w = world().await;
    let (mut desk, _) = w.login("desk", "PC-D").await;
    let r = desk.ask(json!({ "type": "book_search", "search": "WRONA" })).await;
    assert_eq!(
        r["entries"],
        json!([{ "source": "public", "book": null, "name": "Wrona Zofia", "first_name": "Zofia",
            "last_name": "Wrona", "company": "Kancelaria", "email": "",
            "numbers": [{ "kind": "work", "number": "+48 22 555 01 02" }] }]),
        "{r}"
    );
    let r = desk.ask(json!({ "type": "book_search", "search": "555 01" })).await;
    assert_eq!(r["entries"].as_array().map(Vec::len), Some(1), "by part of a number: {r}");
    let r = desk.ask(json!({ "type": "book_search", "search": "kowalska", "limit": 5 })).await;
    assert_eq!(
        (r["entries"][0]["name"].as_str(), r["entries"][0]["source"].as_str()),
        (Some("Kowalska Anna"), Some("extension")),
        "{r}"
    );

    for (number, form) in [
        ("+48 22 555 01 02", None),
        ("0048225550102", None),
        ("0225550102", Some("written")),
        ("0 0225550102", Some("dialled")),
    ] {
        let r = desk.ask(json!({ "type": "lookup", "number": number, "form": form })).await;
        assert_eq!(
            (r["name"].as_str(), r["source"].as_str(), r["canonical"].as_str()),
            (Some("Wrona Zofia"), Some("public"), Some("+48225550102")),
            "{number}: {r}"
        );
    }
    let r = desk.ask(json!({ "type": "lookup", "number": "101" })).await;
    assert_eq!((r["name"].as_str(), r["source"].as_str()), (Some("Piotr Nowak"), Some("extension")), "{r}");
    // An account's own phone is one of the users' numbers (Global.LocalNumbers).
    let r = desk.ask(json!({ "type": "lookup", "number": "0601111222", "form": "written" })).await;
    assert_eq!((r["name"].as_str(), r["source"].as_str()), (Some("Nocny Stróż"), Some("extension")), "{r}");
    let r = desk.ask(json!({ "type": "lookup", "number": "0229999999" })).await;
    assert_eq!((&r["type"], &r["name"]), (&json!("result"), &Value::Null), "nobody: {r}");

    // Bad questions are answered, and nothing else happens.
    for bad in [
        json!({ "type": "lookup" }),
        json!({ "type": "lookup", "number": "100", "form": "shouted" }),
        json!({ "type": "book_search", "search": "x".repeat(101) }),
    ] {
        assert_eq!(desk.ask(bad.clone()).await["code"], "bad_request", "{bad}");
    }
    let r = desk.ask(json!({ "type": "lookup", "number": "not a number" })).await;
    assert_eq!(r["code"], "invalid", "{r}");

    // The books name a call's parties in its events and in snapshots, where
    // its numbers are shown; a line monitored without CLIP gets neither.
    let (mut reception, _) = w.login("reception", "PC-R").await;
    let r = reception.ask(json!({ "type": "monitor_start", "ext": "101" })).await;
    assert_eq!(r["type"], "result", "{r}");
    w.sim.with(|ex| ex.incoming("0225550102", "100")).expect("incoming");
    let (ring, _) = desk.until(call_at("ringing", "100")).await;
    assert_eq!(
        (ring["from_name"].as_str(), ring["to_name"].as_str()),
        (Some("Wrona Zofia"), Some("Anna Kowalska")),
        "{ring}"
    );
    let snap = desk.ask(json!({ "type": "snapshot" })).await;
    assert_eq!(snap["snapshot"]["calls"][0]["from_name"], "Wrona Zofia", "{snap}");
    w.sim.with(|ex| ex.hang_up_external("0225550102")).expect("the caller gives up");
    w.sim.with(|ex| ex.incoming("0225550102", "101")).expect("incoming");
    let (ring, _) = reception.until(call_at("ringing", "101")).await;
    assert_eq!((&ring["from"], ring.get("from_name")), (&json!(""), None), "{ring}");
}

/// The group's id on the administrator's page.
fn group_id(page: &str, name: &str) -> String {
    let at = page.find(&format!(">{name}</a>")).unwrap_or_else(|| panic!("no group {name}: {page}"));
    let row = &page[..at];
    let from = row.rfind("?group=").expect("link") + 7;
    row[from..].split('"').next().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_panel_shows_every_member_live_and_a_change_reaches_its_clients_at_once() {
    let w = world().await;
    let (mut desk, r) = w.login("desk", "PC-D").await;
    assert_eq!(r["panels"], json!([]));
    let (mut reception, _) = w.login("reception", "PC-R").await;

    // The administrator makes a group of the two accounts and subscriber 101.
    let addr = w.svc.lan_https;
    let client = w.svc.client();
    let page = tokio::task::block_in_place(|| {
        let mut admin = admin(client, addr);
        admin.get("/admin/cti");
        let refused = admin.post(
            "/admin/cti",
            &[
                ("action", "group_save"),
                ("id", "0"),
                ("group_name", "Front desk"),
                ("members", "desk\nnobody"),
            ],
        );
        assert!(refused.body.contains("Members, line 2"), "{}", refused.body);
        assert!(!refused.body.contains("id=\"groups\""), "nothing saved");
        admin.post(
            "/admin/cti",
            &[
                ("action", "group_save"),
                ("id", "0"),
                ("group_name", "Front desk"),
                ("members", "desk\nRECEPTION, 101"),
            ],
        );
        admin.get("/admin/cti").body
    });
    let id = group_id(&page, "Front desk");
    for c in [&mut desk, &mut reception] {
        let (panels, _) = c.until(|v| v["event"] == "panels").await;
        let members = &panels["panels"][0]["members"];
        assert_eq!(panels["panels"][0]["name"], "Front desk", "{panels}");
        assert_eq!(panels["panels"][0]["show_numbers"], false, "{panels}");
        let lines: Vec<&Value> = members.as_array().expect("members").iter().map(|m| &m["lines"]).collect();
        assert_eq!(lines, [&json!(["100"]), &json!(["120"]), &json!(["101"])], "{panels}");
        let (snap, _) = c.until(|v| v["type"] == "snapshot").await;
        let lines: Vec<&Value> = snap["lines"].as_array().expect("lines").iter().map(|l| &l["ext"]).collect();
        assert_eq!(lines.len(), 3, "every member's line: {snap}");
    }

    // A member rings, answers and hangs up: both clients see it, in order;
    // the group hides numbers, but the desk's own CLIP right on 101 shows them.
    w.sim.with(|ex| ex.incoming("0223334444", "101")).expect("incoming");
    w.sim.with(|ex| ex.answer("101")).expect("answer");
    w.sim.with(|ex| ex.hang_up("101")).expect("hang up");
    for (c, from) in [(&mut desk, "0223334444"), (&mut reception, "")] {
        let mut seen = Vec::new();
        while seen.last().map(String::as_str) != Some("cleared") {
            let (v, _) = c.until(|v| v["event"] == "call" && v["at"] == "101").await;
            assert_eq!(v["from"], from, "{v}");
            seen.push(v["progress"].as_str().expect("progress").to_owned());
        }
        assert_eq!(seen, ["ringing", "answered", "cleared"]);
    }

    // The subscriber who is a member sees the panel on his start page.
    let client = w.svc.client();
    let start = tokio::task::block_in_place(|| {
        let mut b = support::portal::Browser::new(client, addr);
        assert_eq!(b.login("101", "secret-101").status, 303);
        b.get("/start").body
    });
    assert!(start.contains("id=\"team-live\"") && start.contains("Front desk"), "{start}");
    assert!(start.contains("data-lines=\"100\" data-state=\"idle\""), "{start}");

    // The group changes: reception leaves; both clients are told at once.
    let client = w.svc.client();
    tokio::task::block_in_place(|| {
        let mut admin = admin(client, addr);
        admin.get(&format!("/admin/cti?group={id}"));
        let r = admin.post(
            "/admin/cti",
            &[
                ("action", "group_save"),
                ("id", &id),
                ("group_name", "Front desk"),
                ("show_numbers", "1"),
                ("members", "desk\n101"),
            ],
        );
        assert!(r.body.contains("Saved."), "{}", r.body);
    });
    let (panels, _) = desk.until(|v| v["event"] == "panels").await;
    assert_eq!(panels["panels"][0]["members"].as_array().map(Vec::len), Some(2), "{panels}");
    assert_eq!(panels["panels"][0]["show_numbers"], true, "{panels}");
    let (panels, _) = reception.until(|v| v["event"] == "panels").await;
    assert_eq!(panels["panels"], json!([]), "{panels}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lamp_fed_by_the_device_in_use_follows_what_the_member_binds() {
    let w = world().await;
    let (mut desk, _) = w.login("desk", "PC-D").await;
    let addr = w.svc.lan_https;
    let client = w.svc.client();
    tokio::task::block_in_place(|| new_group(&mut admin(client, addr), "Twins", "desk\ntwin\n101"));
    // Nobody at twin's desk: both its devices feed its lamp.
    let (panels, _) = desk.until(|v| v["event"] == "panels").await;
    let twin = &panels["panels"][0]["members"][1];
    assert_eq!(
        (&twin["name"], &twin["lines"], twin.get("in_use")),
        (&json!("twin"), &json!(["102", "103"]), None)
    );

    // Twin logs in: its first device is the one in use, and the desk is told.
    let (mut twin, r) = w.login("twin", "PC-T").await;
    assert_eq!(r["in_use"], "102", "{r}");
    let (used, _) = desk.until(|v| v["event"] == "in_use").await;
    assert_eq!((&used["account"], &used["device"]), (&json!("twin"), &json!("102")), "{used}");

    // It binds its other device; a device not its own is refused.
    let r = twin.ask(json!({ "type": "bind", "device": "103" })).await;
    assert_eq!((&r["type"], &r["in_use"]), (&json!("result"), &json!("103")), "{r}");
    let r = twin.ask(json!({ "type": "bind", "device": "100" })).await;
    assert_eq!((&r["type"], &r["code"]), (&json!("error"), &json!("forbidden")), "{r}");
    let (used, _) = desk.until(|v| v["event"] == "in_use").await;
    assert_eq!(used["device"], "103", "{used}");

    // A second client of twin's keeps the device its first bound.
    let (second, r) = w.login("twin", "PC-T2").await;
    assert_eq!(r["in_use"], "103", "{r}");
    second.conn.close().await;

    // The subscriber in the group sees the lamp fed by 103 alone.
    let client = w.svc.client();
    let start = tokio::task::block_in_place(|| {
        let mut b = support::portal::Browser::new(client, addr);
        assert_eq!(b.login("101", "secret-101").status, 303);
        b.get("/start").body
    });
    assert!(start.contains(r#"data-lines="103" data-state="idle" data-account="twin""#), "{start}");

    // Twin's last client leaves: every device feeds the lamp again.
    twin.conn.close().await;
    let (used, _) = desk.until(|v| v["event"] == "in_use").await;
    assert_eq!((&used["account"], &used["device"]), (&json!("twin"), &Value::Null), "{used}");
}

/// The administrator's portal session (user 120).
fn admin(client: support::client::Client, addr: std::net::SocketAddr) -> support::portal::Browser {
    let mut admin = support::portal::Browser::new(client, addr);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin
}

/// Makes a CTI group on the administrator's page.
fn new_group(admin: &mut support::portal::Browser, name: &str, members: &str) {
    admin.get("/admin/cti");
    let r = admin.post(
        "/admin/cti",
        &[("action", "group_save"), ("id", "0"), ("group_name", name), ("members", members)],
    );
    assert!(r.body.contains("Saved."), "{}", r.body);
}

/// The id of group `name` in the books' access forms (`group-<id>`).
fn access_field(page: &str, name: &str) -> String {
    let label = page.find(&format!(">Group {name}<")).unwrap_or_else(|| panic!("no group {name}: {page}"));
    let field = &page[page[..label].rfind("for=\"group-").expect("its field") + 5..label];
    field.trim_end_matches('"').rsplit('-').next().expect("group").to_owned()
}

/// The id in `id="<prefix>-N"` just before `name` on a page.
fn id_before(page: &str, prefix: &str, name: &str) -> String {
    let at = page.find(name).unwrap_or_else(|| panic!("no {name}: {page}"));
    let from =
        page[..at].rfind(&format!("id=\"{prefix}-")).unwrap_or_else(|| panic!("no {prefix} id: {page}"))
            + prefix.len()
            + 5;
    page[from..].split('"').next().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_kept_here_is_read_by_the_groups_given_it_and_copied_by_those_who_may() {
    let w = world().await;
    let addr = w.svc.lan_https;
    let client = w.svc.client();
    let suppliers = "First Name,Last Name,Company,Business Phone\r\n\
        Olga,Tokarczuk,Papiernia,+48 22 700 00 01\r\n\
        Marek,Hłasko,Drukarnia,+48 22 700 00 02\r\n";
    tokio::task::block_in_place(|| {
        let mut admin = admin(client, addr);
        new_group(&mut admin, "Buyers", "desk\n101");
        admin.get("/admin/books");
        let page = admin.post("/admin/books", &[("action", "add_kept"), ("name", "Suppliers")]).body;
        assert!(page.contains("The book was added."), "{page}");
        let book = id_before(&page, "kept", "Suppliers");
        let page = admin.post_file("/admin/books/file", &[("id", &book)], "s.csv", suppliers.as_bytes()).body;
        assert!(page.contains("Synced: 2 added, 0 changed, 0 removed, 0 unchanged"), "{page}");
        // Nobody but an administrator reads it yet; then the buyers may keep a copy.
        let group = access_field(&page, "Buyers");
        let page = admin
            .post(
                "/admin/books",
                &[
                    ("action", "access"),
                    ("id", &book),
                    ("everyone", "none"),
                    (&format!("group-{group}"), "offline"),
                ],
            )
            .body;
        assert!(page.contains("Saved who reads the book."), "{page}");
        // A file that is none is refused, and the book keeps its contacts.
        let page = admin.post_file("/admin/books/file", &[("id", &book)], "x.csv", b"\x00\x01\x02").body;
        assert!(page.contains("The file was not taken"), "{page}");
        assert!(page.contains("2 contacts"), "{page}");
    });

    // The buyer's client sees the book, finds its contacts, keeps a copy.
    let (mut desk, _) = w.login("desk", "PC-D").await;
    let r = desk.ask(json!({ "type": "books" })).await;
    let names: Vec<(&Value, &Value)> =
        r["books"].as_array().expect("books").iter().map(|b| (&b["name"], &b["access"])).collect();
    assert_eq!(
        names,
        [
            (&json!("Global.Phonebook"), &json!("read")),
            (&json!("Global.LocalNumbers"), &json!("read")),
            (&json!("Suppliers"), &json!("offline"))
        ],
        "{r}"
    );
    let r = desk.ask(json!({ "type": "book_search", "search": "tokarczuk" })).await;
    assert_eq!(
        (&r["entries"][0]["name"], &r["entries"][0]["book"]),
        (&json!("Tokarczuk Olga"), &json!("Suppliers")),
        "{r}"
    );
    let r = desk.ask(json!({ "type": "lookup", "number": "0227000002" })).await;
    assert_eq!(r["name"], "Hłasko Marek", "{r}");
    let r = desk.ask(json!({ "type": "book_download", "book": "suppliers" })).await;
    let got: Vec<&Value> = r["entries"].as_array().expect("entries").iter().map(|e| &e["name"]).collect();
    assert_eq!(got, [&json!("Tokarczuk Olga"), &json!("Hłasko Marek")], "{r}");
    assert_eq!(r["next"], Value::Null, "{r}");
    assert!(r["entries"][0]["uid"].is_string(), "{r}");
    // A copy is not a change.
    let contact = json!({ "first_name": "Jan", "last_name": "Brzechwa", "numbers": [{ "kind": "work", "number": "+48 22 700 00 03" }] });
    let r = desk.ask(json!({ "type": "book_contact_save", "book": "Suppliers", "contact": contact })).await;
    assert_eq!(r["code"], "forbidden", "{r}");

    // Reception is in no group that has it: no book, no contact, no name.
    let (mut reception, _) = w.login("reception", "PC-R").await;
    let r = reception.ask(json!({ "type": "books" })).await;
    assert_eq!(r["books"].as_array().map(Vec::len), Some(2), "{r}");
    let r = reception.ask(json!({ "type": "book_search", "search": "tokarczuk" })).await;
    assert_eq!(r["entries"], json!([]), "{r}");
    let r = reception.ask(json!({ "type": "lookup", "number": "0227000002" })).await;
    assert_eq!(r["name"], Value::Null, "{r}");
    let r = reception.ask(json!({ "type": "book_download", "book": "Suppliers" })).await;
    assert_eq!(r["code"], "not_found", "{r}");

    // The subscriber in the group finds them in his phonebook; another does not.
    let client = w.svc.client();
    let (member, other) = tokio::task::block_in_place(|| {
        let mut b = support::portal::Browser::new(client.clone(), addr);
        assert_eq!(b.login("101", "secret-101").status, 303);
        let member = b.get("/phonebook?q=tokarczuk").body;
        let mut b = support::portal::Browser::new(client, addr);
        assert_eq!(b.login("100", "secret-100").status, 303);
        (member, b.get("/phonebook?q=tokarczuk").body)
    });
    assert!(member.contains("Tokarczuk"), "{member}");
    assert!(!other.contains("Tokarczuk"), "{other}");

    // Given the right to change it, the buyers keep the book from their clients.
    let client = w.svc.client();
    tokio::task::block_in_place(|| {
        let mut admin = admin(client, addr);
        let page = admin.get("/admin/books").body;
        let book = id_before(&page, "kept", "Suppliers");
        let group = access_field(&page, "Buyers");
        let access =
            [("action", "access"), ("id", &book), ("everyone", "none"), (&format!("group-{group}"), "write")];
        assert!(admin.post("/admin/books", &access).body.contains("Saved who reads the book."));
    });
    let r = desk.ask(json!({ "type": "book_contact_save", "book": "Suppliers", "contact": contact })).await;
    let uid = r["uid"].as_str().unwrap_or_else(|| panic!("saved: {r}")).to_owned();
    let r = desk.ask(json!({ "type": "lookup", "number": "0227000003" })).await;
    assert_eq!(r["name"], "Brzechwa Jan", "{r}");
    let changed = json!({ "first_name": "Jan", "last_name": "Brzechwa", "company": "Wierszownia",
        "numbers": [{ "kind": "mobile", "number": "+48 601 000 003" }] });
    let r = desk
        .ask(json!({ "type": "book_contact_save", "book": "Suppliers", "uid": uid, "contact": changed }))
        .await;
    assert_eq!(r["uid"], json!(uid), "{r}");
    let r = desk.ask(json!({ "type": "book_search", "search": "brzechwa" })).await;
    assert_eq!(
        (r["entries"].as_array().map(Vec::len), &r["entries"][0]["company"]),
        (Some(1), &json!("Wierszownia")),
        "{r}"
    );
    let r = desk.ask(json!({ "type": "lookup", "number": "0227000003" })).await;
    assert_eq!(r["name"], Value::Null, "the old number is gone: {r}");
    let nobody = json!({ "first_name": "", "last_name": "", "numbers": [] });
    let r = desk.ask(json!({ "type": "book_contact_save", "book": "Suppliers", "contact": nobody })).await;
    assert_eq!(r["code"], "invalid", "{r}");
    let r = reception.ask(json!({ "type": "book_contact_delete", "book": "Suppliers", "uid": uid })).await;
    assert_eq!(r["code"], "not_found", "{r}");
    let r = desk.ask(json!({ "type": "book_contact_delete", "book": "Suppliers", "uid": uid })).await;
    assert_eq!(r["deleted"], true, "{r}");
    let r = desk.ask(json!({ "type": "book_search", "search": "brzechwa" })).await;
    assert_eq!(r["entries"], json!([]), "{r}");
}

/// A German Outlook's export as it lies on the board: code page 1252,
/// semicolons, every field quoted, a column this program does not read.
const SUPPLIERS_1252: &str = "\"Vorname\";\"Nachname\";\"Firma\";\"Telefon geschäftlich\";\"Telefon geschäftlich 2\";\"Mobiltelefon\";\"Notizen\"\r\n\
    \"Jörg\";\"Müller\";\"Bäckerei Müller\";\"+49 30 7000001\";\"\";\"\";\"liefert montags\"\r\n\
    \"Grete\";\"Weiß\";\"Straßenbau\";\"+49 30 7000002\";\"\";\"\";\"\"\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_file_whose_edits_are_allowed_is_changed_in_its_own_layout() {
    let w = world().await;
    let addr = w.svc.lan_https;
    let file = w.svc.dir.join("lieferanten.csv");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(SUPPLIERS_1252);
    std::fs::write(&file, &bytes).expect("file");
    let path = file.display().to_string();
    let client = w.svc.client();
    let book = tokio::task::block_in_place(|| {
        let mut admin = admin(client, addr);
        new_group(&mut admin, "Buyers", "desk\n101");
        admin.get("/admin/books");
        let add = |path: &str| {
            [("action", "add"), ("name", "Lieferanten"), ("kind", "csv"), ("path", path), ("editable", "on")]
                .map(|(k, v)| (k, v.to_owned()))
        };
        let vcard = add(&path.replace(".csv", ".vcf"));
        let page = admin.post("/admin/books", &vcard.each_ref().map(|(k, v)| (*k, v.as_str()))).body;
        assert!(page.contains("Only a .csv file can be edited"), "{page}");
        let page = admin.post("/admin/books", &add(&path).each_ref().map(|(k, v)| (*k, v.as_str()))).body;
        assert!(page.contains("Synced: 2 added, 0 changed, 0 removed, 0 unchanged"), "{page}");
        assert!(page.contains("changes are written into the file"), "{page}");
        let book = id_before(&page, "book", "<td>Lieferanten</td>");
        let group = access_field(&page, "Buyers");
        let access =
            [("action", "access"), ("id", &book), ("everyone", "read"), (&format!("group-{group}"), "write")];
        assert!(admin.post("/admin/books", &access).body.contains("Saved who reads the book."));
        book
    });

    // The subscriber in the group writes a note on Grete.
    let client = w.svc.client();
    let notes_of = move |q: &str, add: Option<&str>| {
        let mut b = support::portal::Browser::new(client.clone(), addr);
        assert_eq!(b.login("101", "secret-101").status, 303);
        let list = b.get(&format!("/phonebook?q={q}")).body;
        let at = list.find("id=\"notes-").unwrap_or_else(|| panic!("a notes link: {list}"));
        let id = list[at + 10..].split('"').next().expect("id").to_owned();
        if let Some(text) = add {
            b.post("/phonebook/notes", &[("id", &id), ("action", "add"), ("text", text)]);
        }
        b.get(&format!("/phonebook/notes?id={id}")).body
    };
    let notes = tokio::task::block_in_place(|| notes_of("weiß", Some("Pays in 14 days")));
    assert!(notes.contains("Pays in 14 days"), "{notes}");

    // A buyer's client gives Grete a mobile number and a new name.
    let (mut desk, _) = w.login("desk", "PC-D").await;
    let r = desk.ask(json!({ "type": "books" })).await;
    let access = r["books"].as_array().expect("books").iter().find(|b| b["name"] == "Lieferanten").cloned();
    assert_eq!(access.map(|b| b["access"].clone()), Some(json!("write")), "{r}");
    // Its copy carries each contact's permanent id.
    let r = desk.ask(json!({ "type": "book_download", "book": "Lieferanten" })).await;
    let uid_of = |name: &str| {
        let entries = r["entries"].as_array().expect("entries");
        let entry = entries.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("{name}: {r}"));
        entry["uid"].as_str().expect("uid").to_owned()
    };
    let (uid, jorg) = (uid_of("Weiß Grete"), uid_of("Müller Jörg"));
    let grete = json!({ "first_name": "Grete", "last_name": "Weiß-Berger", "company": "Straßenbau",
        "numbers": [{ "kind": "work", "number": "+49 30 7000002" }, { "kind": "mobile", "number": "+49 170 7000003" }] });
    let r = desk
        .ask(json!({ "type": "book_contact_save", "book": "Lieferanten", "uid": uid, "contact": grete }))
        .await;
    let renamed = r["uid"].as_str().unwrap_or_else(|| panic!("saved: {r}")).to_owned();
    let r = desk.ask(json!({ "type": "lookup", "number": "+491707000003" })).await;
    assert_eq!(r["name"], "Weiß-Berger Grete", "{r}");
    // The file keeps its code page, quotes, columns and Jörg's row as they were.
    let after = std::fs::read(&file).expect("file");
    let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&after);
    assert!(!bad, "still code page 1252");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[..2], SUPPLIERS_1252.split("\r\n").collect::<Vec<_>>()[..2]);
    assert_eq!(
        lines[2],
        "\"Grete\";\"Weiß-Berger\";\"Straßenbau\";\"+49 30 7000002\";\"\";\"+49 170 7000003\";\"\""
    );
    // Her note went with her new name.
    let notes = tokio::task::block_in_place(|| notes_of("berger", None));
    assert!(notes.contains("Pays in 14 days"), "{notes}");

    // What the file's columns cannot hold is refused, and the file stays as it was.
    let three = json!({ "first_name": "Jörg", "last_name": "Müller", "numbers": [
        { "kind": "work", "number": "+49 30 7000001" }, { "kind": "work", "number": "+49 30 7000011" },
        { "kind": "work", "number": "+49 30 7000021" }] });
    let r = desk
        .ask(json!({ "type": "book_contact_save", "book": "Lieferanten", "uid": jorg, "contact": three }))
        .await;
    assert_eq!(r["code"], "invalid", "{r}");
    assert!(r["message"].as_str().is_some_and(|m| m.contains("no column for work +49 30 7000021")), "{r}");
    let russian = json!({ "first_name": "Фёдор", "last_name": "Müller", "numbers": [{ "kind": "work", "number": "+49 30 7000001" }] });
    let r = desk
        .ask(json!({ "type": "book_contact_save", "book": "Lieferanten", "uid": jorg, "contact": russian }))
        .await;
    assert!(r["message"].as_str().is_some_and(|m| m.contains("without the letter “Ф”")), "{r}");
    assert_eq!(std::fs::read(&file).expect("file"), after);

    // A new contact is a row at the end; a deleted one's row goes.
    let new = json!({ "first_name": "Ute", "last_name": "Lang", "numbers": [{ "kind": "mobile", "number": "+49 171 7000004" }] });
    let r = desk.ask(json!({ "type": "book_contact_save", "book": "Lieferanten", "contact": new })).await;
    assert!(r["uid"].is_string(), "{r}");
    let r = desk.ask(json!({ "type": "book_contact_delete", "book": "Lieferanten", "uid": renamed })).await;
    assert_eq!(r["deleted"], true, "{r}");
    let last = std::fs::read(&file).expect("file");
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&last);
    let rows: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[2], "\"Ute\";\"Lang\";\"\";\"\";\"\";\"+49 171 7000004\";\"\"");

    // The book is what the file says: the next sync finds nothing to do.
    // Made read-only again, the file is only read.
    let client = w.svc.client();
    tokio::task::block_in_place(|| {
        let mut admin = admin(client, addr);
        admin.get("/admin/books");
        let page = admin.post("/admin/books", &[("action", "sync"), ("id", &book)]).body;
        assert!(page.contains("Synced: 0 added, 0 changed, 0 removed, 2 unchanged"), "{page}");
        let page = admin.post("/admin/books", &[("action", "read_only"), ("id", &book)]).body;
        assert!(page.contains("The book is read-only again"), "{page}");
    });
    let r = desk.ask(json!({ "type": "book_contact_delete", "book": "Lieferanten", "uid": jorg })).await;
    assert_eq!(r["code"], "forbidden", "{r}");
    let r = desk.ask(json!({ "type": "lookup", "number": "+49307000001" })).await;
    assert_eq!(r["name"], "Müller Jörg", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_client_prints_messages_as_json_lines_and_sends_what_it_reads() {
    use std::io::Write;
    let w = world().await;
    let run = |input: &str, password: &str| {
        let mut child = support::command()
            .args([
                "cti",
                "--url",
                &format!("wss://{}", w.svc.lan_https),
                "--account",
                "desk",
                "--computer",
                "PC-D",
            ])
            .arg("--ca")
            .arg(w.svc.dir.join("tls/device.crt"))
            .env("WEBCTI_CTI_PASSWORD", password)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("webcti cti");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
        let out = child.wait_with_output().expect("output");
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
            .collect();
        (out.status.success(), lines, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, lines, err) = tokio::task::block_in_place(|| {
        run(
            "{\"type\":\"dial\",\"id\":2,\"number\":\"101\"}\n{\"type\":\"presence\",\"id\":3}\n",
            "desk-pass-1",
        )
    });
    assert!(ok, "{err}");
    let kinds: Vec<&str> = lines.iter().map(|v| v["type"].as_str().unwrap_or("?")).collect();
    assert_eq!(&kinds[..3], ["hello", "result", "snapshot"], "{lines:?}");
    let answer =
        |id: u64| lines.iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("no answer {id}: {lines:?}"));
    assert_eq!(answer(2)["number"], "101", "the call was placed: {lines:?}");
    assert_eq!(answer(3)["status"], "available");
    assert!(!w.sim.with(|ex| ex.calls_of("100")).is_empty(), "100 rings for the call");

    // A wrong password is printed as the server's answer too.
    let (_, lines, _) = tokio::task::block_in_place(|| run("", "wrong"));
    assert!(lines.iter().any(|v| v["code"] == "login_failed"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnd_keyed_in_at_a_phone_shows_in_the_client_and_a_status_set_there_programs_the_core() {
    let w = world().await;
    let (mut desk, _) = w.login("desk", "PC-D").await;
    let r = desk.ask(json!({ "type": "monitor_start", "ext": "101" })).await;
    assert_eq!(r["type"], "result", "{r}");

    // DND at 101's phone: the client sees the lamp and the presence state.
    w.sim.with(|ex| ex.key_in("101", "*26#")).expect("DND on");
    let (p, _) = desk.until(|v| event("presence", "101")(v)).await;
    assert_eq!((p["status"].as_str(), p["set_by"].as_str()), (Some("dnd"), Some("phone")), "{p}");
    // A monitored line's presence is read, never set.
    let r = desk.ask(json!({ "type": "presence_set", "ext": "101", "status": "available" })).await;
    assert_eq!(r["code"], "forbidden", "{r}");

    // A status set from the client with a forward: the core routes by it.
    let r = desk
        .ask(json!({ "type": "presence_set", "status": "meeting", "info": "Board", "minutes": 30, "forward": "107" }))
        .await;
    assert_eq!((r["status"].as_str(), r["forward"].as_str()), (Some("meeting"), Some("107")), "{r}");
    assert_eq!(w.sim.with(|ex| ex.program("100").and_then(|p| p.forward_always.clone())), Some("107".into()));
    w.sim.with(|ex| ex.incoming("0225550000", "100")).expect("incoming");
    assert_eq!(w.sim.with(|ex| ex.line_state("107")), Some(webcti::hal::proto::LineState::Ringing));
    // Ended from the client: the forward goes.
    let id = r["statuses"][0]["id"].as_i64().expect("status id");
    let r = desk.ask(json!({ "type": "presence_end", "entry": id })).await;
    assert_eq!(r["status"], "available", "{r}");
    assert_eq!(w.sim.with(|ex| ex.program("100").and_then(|p| p.forward_always.clone())), None);
}

#[test]
fn the_cti_server_is_reached_over_tls_only() {
    // Even where the portal is served over plain HTTP.
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = Service::start(dir.path(), "https_only=false");
    let r = support::client::get_plain(svc.lan_http, "/cti").expect("plain GET");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("TLS only"), "{}", r.body);
    assert_eq!(svc.client().get(svc.lan_https, "/cti").map(|r| r.status), Ok(400), "no handshake");
}
