//! Call costs end to end (SPEC W7, Y6): the service and the simulated exchange
//! over the wire protocol (version 5), a real database file, the intake that
//! prices records in its own transaction, the costs service that gives the
//! core each extension's credit, and a real SMTP server for the alerts.

mod support;

use std::sync::Arc;
use std::time::Duration;

use webcti::domain::access::{Actor, Channel, Denied, Who};
use webcti::domain::cdr::{CdrCursor, Direction};
use webcti::domain::phonebook::PublicRight;
use webcti::domain::tariff::{Band, Rate, Tariff, TopUpMode, WORKDAYS};
use webcti::hal::client::WireCore;
use webcti::hal::transport::Endpoint;
use webcti::hal::SwitchCore;
use webcti::services::auth::Auth;
use webcti::services::bus::{Bus, Live};
use webcti::services::costs::AccountChange;
use webcti::services::mail::{Mailer, PostOffice};
use webcti::services::reset::Reset;
use webcti::services::resync::FromStore;
use webcti::services::{costs, intake, Context, ServiceError, Services};
use webcti::sim::traffic::{Traffic, TrafficConfig};
use webcti::sim::{demo, server, Clock, Ending, Sim};
use webcti::store::Store;
use webcti::system::clock::Clock as ServiceClock;

/// Tuesday 2026-12-08 09:00 UTC: 10:00 in Warsaw, peak time.
const T0: i64 = 1_796_720_400;
const LIMIT: Duration = Duration::from_secs(30);

struct Rig {
    services: Services,
    store: Store,
    sim: Sim,
    bus: Bus,
    clock: ServiceClock,
    core: Arc<WireCore>,
    faults: Arc<server::Faults>,
    _trigger: webcti::shutdown::Trigger,
    _dir: tempfile::TempDir,
}

fn admin() -> Actor {
    Actor::new(Who::Administrator { name: "root".into() }, Channel::Web)
}

fn rate(prefix: &str, setup: i64, peak: i64, offpeak: i64, first: u32, step: u32) -> Rate {
    Rate {
        prefix: prefix.into(),
        name: format!("to {prefix}"),
        setup,
        peak,
        offpeak,
        first_secs: first,
        step_secs: step,
    }
}

/// Everything else 30 a minute by the minute; Warsaw (22) 5 to set up and 12
/// a minute by the second; mobiles (5) 60 a minute in blocks of 30 s.
fn rates() -> Vec<Rate> {
    vec![rate("", 0, 30, 15, 60, 60), rate("22", 5, 12, 6, 1, 1), rate("5", 0, 60, 60, 30, 30)]
}

fn night() -> Vec<Band> {
    vec![Band { days: WORKDAYS, from: 22 * 60, to: 6 * 60 }]
}

/// 100 and 101 in Sales, managed by 102 (who has an address); the tariff set.
async fn rig(post: Option<PostOffice>) -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let plan = demo::plan();
    {
        let store = Store::open(&db).await.expect("store");
        for e in &plan.extensions {
            store.upsert_extension(&e.number, &e.name, T0).await.expect("extension");
        }
        store.close().await.expect("close");
        let c = rusqlite::Connection::open(&db).expect("db");
        c.execute_batch(
            "INSERT INTO department (name) VALUES ('Sales');
             UPDATE extension SET department_id = 1 WHERE number IN ('100', '101');
             INSERT INTO department (name) VALUES ('Support');
             UPDATE extension SET department_id = 2 WHERE number = '110';
             INSERT INTO manager_department (extension, department_id) VALUES ('102', 1);
             UPDATE extension SET email = 'boss@example.com' WHERE number = '102';",
        )
        .expect("department");
    }
    let store = Store::open(&db).await.expect("store");
    let sim = Sim::new(plan, Clock::Manual, T0);
    let (trigger, shutdown) = webcti::shutdown::channel();
    let sock = dir.path().join("core.sock");
    let faults = Arc::new(server::Faults::default());
    let (s, f, sh, p) = (sim.clone(), faults.clone(), shutdown.clone(), sock.clone());
    tokio::spawn(async move { server::listen_unix(s, &p, f, sh).await });
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let core = Arc::new(WireCore::start(
        Endpoint::Unix(sock),
        Arc::new(FromStore::new(store.clone())),
        shutdown.clone(),
    ));
    let bus = Bus::new();
    let clock = ServiceClock::manual(T0);
    tokio::spawn(intake::run(core.clone(), store.clone(), bus.clone(), clock.clone(), shutdown.clone()));
    let auth = Arc::new(Auth::new(store.clone()).expect("auth"));
    let reset = Arc::new(Reset::new(store.clone(), Default::default(), "https://pbx".into(), 1800));
    let mut ctx =
        Context::new(store.clone(), core.clone(), bus.clone(), clock.clone(), "Europe/Warsaw".into());
    if let Some(post) = post {
        ctx = ctx.with_mail(post, None);
    }
    let services = Services::new(ctx, auth, reset, dir.path().to_path_buf());
    tokio::spawn(costs::run(services.costs.clone(), shutdown));
    let mut health = core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link up");
    services.costs.set_tariff(&admin(), rates(), night()).await.expect("tariff");
    Rig { services, store, sim, bus, clock, core, faults, _trigger: trigger, _dir: dir }
}

impl Rig {
    /// Waits until the simulator holds no record the service has not stored.
    async fn settled(&self) {
        let mut unacked = self.sim.unacked();
        tokio::time::timeout(LIMIT, unacked.wait_for(|n| *n == 0))
            .await
            .expect("records stored")
            .expect("sim");
    }

    /// Waits until the exchange holds `credit` for `ext`: the costs service
    /// says on the bus each time it gives the exchange a credit.
    async fn credit_becomes(&self, ext: &str, credit: Option<i64>) {
        let mut live = self.bus.subscribe();
        let deadline = tokio::time::Instant::now() + LIMIT;
        while self.sim.with(|ex| ex.credit(ext)) != credit {
            let _ = tokio::time::timeout_at(deadline, live.recv()).await.unwrap_or_else(|_| {
                panic!("{ext} never got {credit:?}: {:?}", self.sim.with(|ex| ex.credit(ext)))
            });
        }
    }

    fn advance(&self, secs: i64) {
        self.sim.advance(secs);
        self.clock.set(self.sim.with(|ex| ex.now()));
    }
}

#[tokio::test]
async fn every_record_has_the_cost_its_tariff_says() {
    let rig = rig(None).await;
    // One call worked out by hand: Warsaw for 61 s at peak time is 5 to set
    // up and 61 s at 12 a minute (12.2, rounded up): 18.
    let call = rig.sim.with(|ex| ex.dial("100", "0221234567")).expect("dial");
    rig.advance(3);
    rig.sim.with(|ex| ex.answer_external("0221234567")).expect("answered");
    rig.advance(61);
    rig.sim.with(|ex| ex.hang_up("100")).expect("hung up");
    assert_eq!(rig.sim.with(|ex| ex.ending(call)), Some(Ending::Answered));
    rig.settled().await;
    let page = rig.store.cdrs_after(CdrCursor::Start, Some("100".into()), 10).await.expect("records");
    assert_eq!(
        page.iter().map(|(_, c, cost)| (c.peer.as_str(), c.talk_secs, *cost)).collect::<Vec<_>>(),
        [("0221234567", 61, 18)]
    );

    // Then the traffic generator's mix, calls of many lengths to many places.
    let exts: Vec<String> = demo::plan().extensions.iter().map(|e| e.number.clone()).collect();
    let mut traffic =
        Traffic::new(7, TrafficConfig { internal_pct: 20, incoming_pct: 20, ..Default::default() });
    for _ in 0..300 {
        traffic.complete_call(&rig.sim, &exts);
    }
    rig.clock.set(rig.sim.with(|ex| ex.now()));
    rig.settled().await;
    let tariff = Tariff {
        rates: rates(),
        offpeak: night(),
        outside_prefix: "0".into(),
        emergency: vec!["112".into()],
    };
    let zone = jiff::tz::TimeZone::get("Europe/Warsaw").expect("zone");
    let (mut priced, mut all) = (0, 0);
    let mut spent = std::collections::HashMap::<String, i64>::new();
    let mut after = CdrCursor::Start;
    loop {
        let page = rig.store.cdrs_after(after, None, 200).await.expect("records");
        let Some((last, ..)) = page.last() else { break };
        after = *last;
        for (_, cdr, cost) in &page {
            all += 1;
            let due = match (cdr.direction, cdr.external, cdr.talk_secs) {
                (Direction::Outgoing, true, talk) if talk > 0 => {
                    tariff.cost(&cdr.peer, cdr.started_at, talk, &zone)
                }
                _ => 0,
            };
            assert_eq!(*cost, due, "{cdr:?}");
            if due > 0 {
                priced += 1;
                *spent.entry(cdr.extension.clone()).or_default() += due;
            }
        }
    }
    assert!(all > 300 && priced > 50, "{priced} priced of {all}");
    // Each extension's account has booked exactly its records' costs.
    for (ext, total) in spent {
        let account = rig.store.cost_account(&ext).await.expect("read").expect("account");
        assert_eq!(account.spent, total, "{ext}");
    }
}

#[tokio::test]
async fn parallel_calls_never_spend_more_than_the_credit() {
    let rig = rig(None).await;
    // 100 may spend 1.00; mobiles cost 0.30 a block of 30 s.
    let limited = AccountChange::Configure { limit: Some(100), top_up: 100, mode: TopUpMode::Daily };
    rig.services.costs.change(&admin(), "100", limited).await.expect("limit");
    rig.credit_becomes("100", Some(100)).await;

    let mut live = rig.bus.subscribe();
    let a = rig.sim.with(|ex| ex.dial("100", "0501000001")).expect("first call");
    let b = rig.sim.with(|ex| ex.dial("100", "0501000002")).expect("second call, at once");
    rig.sim.with(|ex| ex.answer_external("0501000001")).expect("answered");
    rig.sim.with(|ex| ex.answer_external("0501000002")).expect("answered");
    // Both talk on; the exchange clears each at the end of a block it cannot pay.
    rig.advance(600);
    assert_eq!(rig.sim.with(|ex| ex.ending(a)), Some(Ending::CreditRanOut));
    assert_eq!(rig.sim.with(|ex| ex.ending(b)), Some(Ending::CreditRanOut));
    let mut cleared = 0;
    while cleared < 2 {
        let p = tokio::time::timeout(LIMIT, live.recv()).await.expect("event").expect("bus");
        if let Live::Credit { ext, credit: None, .. } = &p.live {
            assert_eq!(ext, "100");
            cleared += 1;
        }
    }
    rig.settled().await;
    let page = rig.store.cdrs_after(CdrCursor::Start, Some("100".into()), 10).await.expect("records");
    let total: i64 = page.iter().map(|(_, _, cost)| cost).sum();
    assert_eq!(page.len(), 2);
    assert!((100 - 30..=100).contains(&total), "spent {total} of 100: {page:?}");
    let account = rig.store.cost_account("100").await.expect("read").expect("account");
    assert_eq!((account.spent, account.credit), (total, 100 - total));

    // Internal calls and the emergency number still go through; the next
    // external call does not, at the phone or by click-to-call.
    rig.sim.with(|ex| ex.dial("100", "101")).expect("internal call");
    rig.sim.with(|ex| ex.hang_up("100")).expect("hung up");
    rig.sim.with(|ex| ex.dial("100", "0112")).expect("emergency call");
    rig.sim.with(|ex| ex.hang_up("100")).expect("hung up");
    assert_eq!(rig.sim.with(|ex| ex.dial("100", "0601000003")), Err(webcti::hal::proto::ErrorKind::NoCredit));
    let sub = Actor::new(
        Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Read },
        Channel::Web,
    );
    let place = webcti::services::calls::PlaceCall {
        ext: "100".into(),
        number: "0601000003".into(),
        from: None,
        remember: false,
    };
    let refused = rig.services.calls.place(&sub, place).await;
    assert!(
        matches!(refused, Err(ServiceError::Exchange(webcti::services::Exchange::NoCredit))),
        "{refused:?}"
    );

    // Until an administrator tops it up: the exchange has the new credit at once.
    rig.settled().await;
    rig.services.costs.change(&admin(), "100", AccountChange::TopUp(500)).await.expect("top-up");
    rig.credit_becomes("100", Some(500 + 100 - total)).await;
    rig.sim.with(|ex| ex.dial("100", "0601000003")).expect("calls again");
}

#[tokio::test]
async fn the_credit_holds_while_the_link_is_down_and_comes_back_from_the_store() {
    let rig = rig(None).await;
    let limited = AccountChange::Configure { limit: Some(60), top_up: 0, mode: TopUpMode::None };
    rig.services.costs.change(&admin(), "101", limited).await.expect("limit");
    assert_eq!(rig.sim.with(|ex| ex.credit("101")), Some(60), "programmed before the change returned");
    // The link stalls; the exchange meters on by the last credit it was given.
    let mut health = rig.core.health();
    rig.faults.stall(true);
    tokio::time::timeout(LIMIT, health.wait_for(false)).await.expect("link down");
    let call = rig.sim.with(|ex| ex.dial("101", "0501000009")).expect("call");
    rig.sim.with(|ex| ex.answer_external("0501000009")).expect("answered");
    rig.advance(300);
    assert_eq!(rig.sim.with(|ex| ex.ending(call)), Some(Ending::CreditRanOut));
    assert_eq!(rig.sim.with(|ex| ex.dial("101", "0501000010")), Err(webcti::hal::proto::ErrorKind::NoCredit));
    // Back up: the record comes in, is priced, and the exchange is given the
    // store's credit again (as of that record): the two agree.
    rig.faults.stall(false);
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link up");
    rig.settled().await;
    let a = rig.store.cost_account("101").await.expect("read").expect("account");
    assert_eq!((a.spent, a.credit), (60, 0));
    rig.credit_becomes("101", Some(0)).await;
}

#[tokio::test]
async fn the_top_up_comes_at_midnight_in_the_boards_zone() {
    let rig = rig(None).await;
    let daily = AccountChange::Configure { limit: Some(500), top_up: 200, mode: TopUpMode::Daily };
    rig.services.costs.change(&admin(), "101", daily).await.expect("limit");
    // 101 spends: two minutes to a landline elsewhere (30 a minute).
    let mut spent = 0;
    for n in ["0341000001", "0341000002", "0341000003", "0341000004"] {
        rig.sim.with(|ex| ex.dial("101", n)).expect("dial");
        rig.sim.with(|ex| ex.answer_external(n)).expect("answered");
        rig.advance(120);
        rig.sim.with(|ex| ex.hang_up("101")).expect("hung up");
        spent += 60;
    }
    rig.settled().await;
    let a = rig.store.cost_account("101").await.expect("read").expect("account");
    assert_eq!((a.spent, a.credit), (spent, 500 - spent));

    // 23:59 in Warsaw is 22:59 UTC in December: nothing yet. (The service's
    // own tick calls the same roll every 30 s; the state is what counts.)
    rig.clock.set(1_796_770_740);
    rig.services.costs.roll_periods().await.expect("roll");
    let a = rig.store.cost_account("101").await.expect("read").expect("account");
    assert_eq!((a.spent, a.credit), (spent, 500 - spent));
    // Midnight: 200 more, up to the limit; the period's spending starts anew.
    rig.clock.set(1_796_770_800);
    rig.services.costs.roll_periods().await.expect("roll");
    let topped = (500 - spent + 200).min(500);
    let a = rig.store.cost_account("101").await.expect("read").expect("account");
    assert_eq!((a.spent, a.credit), (0, topped));
    rig.credit_becomes("101", Some(topped)).await;
    rig.services.costs.roll_periods().await.expect("roll");
    let a = rig.store.cost_account("101").await.expect("read").expect("account");
    assert_eq!(a.credit, topped, "once a night");
    let journal = rig.store.journal("101", None, None, 10).await.expect("journal");
    assert!(journal.iter().any(|e| e.field == "top_up" && e.actor == "system"), "{journal:?}");
}

#[tokio::test]
async fn only_administrators_change_limits_and_reset() {
    let rig = rig(None).await;
    let manager = Actor::new(
        Who::Manager { ext: "102".into(), departments: vec![1], public_book: PublicRight::Read },
        Channel::Web,
    );
    let subscriber = Actor::new(
        Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Read },
        Channel::Web,
    );
    let limited = AccountChange::Configure { limit: Some(1000), top_up: 0, mode: TopUpMode::Monthly };
    rig.services.costs.change(&admin(), "100", limited).await.expect("limit");
    rig.sim.with(|ex| ex.dial("100", "0341000001")).expect("dial");
    rig.sim.with(|ex| ex.answer_external("0341000001")).expect("answered");
    rig.advance(60);
    rig.sim.with(|ex| ex.hang_up("100")).expect("hung up");
    rig.settled().await;
    let before = rig.store.cost_account("100").await.expect("read").expect("account");
    assert_eq!((before.spent, before.credit), (30, 970));

    for who in [&manager, &subscriber] {
        let r = rig.services.costs.change(who, "100", AccountChange::Reset).await;
        assert!(matches!(r, Err(ServiceError::Denied(Denied::AdministratorsOnly))), "{r:?}");
        let r = rig.services.costs.change(who, "100", AccountChange::TopUp(100)).await;
        assert!(matches!(r, Err(ServiceError::Denied(Denied::AdministratorsOnly))), "{r:?}");
    }
    assert_eq!(rig.store.cost_account("100").await.expect("read").expect("account"), before);
    // Both may read it; the manager sees his department, not the others.
    assert_eq!(rig.services.costs.view(&subscriber, "100").await.expect("view").account.spent, 30);
    let rows = rig.services.costs.list(&manager).await.expect("list");
    // The list's forecast is the one the extension's own page shows.
    let own = rig.services.costs.view(&subscriber, "100").await.expect("view");
    let row = rows.iter().find(|r| r.row.account.extension == "100").expect("100 listed");
    assert_eq!((row.forecast, row.forecast.per_day), (own.forecast, 30 / 7));
    let listed: Vec<String> = rows.into_iter().map(|r| r.row.account.extension).collect();
    assert!(listed.contains(&"100".to_owned()) && listed.contains(&"101".to_owned()), "{listed:?}");
    assert!(!listed.iter().any(|e| e == "110"), "{listed:?}");
    let other = rig.services.costs.view(&subscriber, "101").await;
    assert!(matches!(other, Err(ServiceError::Denied(_))), "{other:?}");

    let after = rig.services.costs.change(&admin(), "100", AccountChange::Reset).await.expect("reset");
    assert_eq!((after.spent, after.credit), (0, 1000));
    rig.credit_becomes("100", Some(1000)).await;
    let journal = rig.store.journal("100", None, None, 10).await.expect("journal");
    assert!(journal.iter().any(|e| e.field == "reset" && e.actor == "admin:root"), "{journal:?}");
}

// The SMTP server's mails are waited for on this thread: the service runs on others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_are_alerted_once_per_threshold() {
    let smtp = support::smtp::Smtp::start();
    let settings = webcti::config::Smtp {
        host: "127.0.0.1".into(),
        port: smtp.port,
        tls: "none".into(),
        username: String::new(),
        password: String::new(),
        from: "pbx@example.com".into(),
        link_base: String::new(),
        reset_minutes: 30,
        ca: String::new(),
    };
    let post = PostOffice::new(Some(Mailer::new(&settings).expect("mailer")));
    let rig = rig(Some(post)).await;
    let limited = AccountChange::Configure { limit: Some(100), top_up: 0, mode: TopUpMode::Monthly };
    rig.services.costs.change(&admin(), "101", limited).await.expect("limit");
    // 90 of 100: past 80 %.
    for n in ["0341000001", "0341000002", "0341000003"] {
        rig.sim.with(|ex| ex.dial("101", n)).expect("dial");
        rig.sim.with(|ex| ex.answer_external(n)).expect("answered");
        rig.advance(60);
        rig.sim.with(|ex| ex.hang_up("101")).expect("hung up");
    }
    rig.settled().await;
    let mail = smtp.wait_for("Extension 101 has used 80 % of its call credit");
    assert!(mail.contains("boss@example.com"), "{mail}");
    // The last 0.10 pay for a call to Warsaw (0.05 to set up, then by the
    // second) until the exchange clears it at 100 %, which is alerted once;
    // 80 % is not alerted again.
    rig.sim.with(|ex| ex.dial("101", "0221234567")).expect("dial");
    rig.sim.with(|ex| ex.answer_external("0221234567")).expect("answered");
    rig.advance(600);
    rig.settled().await;
    let mail = smtp.wait_for("Extension 101 has used 100 % of its call credit");
    assert_eq!(mail.matches("has used 80 %").count(), 1, "{mail}");
    assert_eq!(mail.matches("has used 100 %").count(), 1, "{mail}");
    let alerts = rig.store.cost_alerts(None, 10).await.expect("alerts");
    assert_eq!(alerts.iter().filter(|a| a.kind == "threshold").count(), 2, "{alerts:?}");
}
