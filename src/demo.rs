//! The demo exchange of the simulated board (never of a real one): named
//! extensions in three departments, logins, a week of call history and a few
//! voicemails, a tariff that prices them and a limit on 101's calls, made on
//! the first start, so a newcomer sees a working portal.
//!
//! Logins: extensions 100-106, 110-115 and 120-125 have the password `demo-` and
//! their number (`demo-100`); extension 107 has only the PIN `1234`, for the
//! first-login flow.

use crate::domain::presence::{Divert, Entry, Status};
use crate::domain::program::ExtensionProgram;
use crate::domain::tariff::{Band, Rate, Tariff, TopUpMode, WEEKEND, WORKDAYS};
use crate::hal::proto::{Command, Event};
use crate::phonebook::BookKind;
use crate::services::password::Hasher;
use crate::sim::traffic::{Traffic, TrafficConfig};
use crate::sim::{demo, Clock, Sim};
use crate::store::phonebook::PublicRight;
use crate::store::voicemail::Voicemail;
use crate::store::{Store, StoreError};

pub const PIN_ONLY: &str = "107";
pub const PIN: &str = "1234";
const DAY: i64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] crate::services::password::HashError),
}

fn department_of(number: &str) -> &'static str {
    match number.as_bytes().get(1) {
        Some(b'0') => "Sales",
        Some(b'1') => "Service",
        _ => "Office",
    }
}

/// The demo password of an extension.
pub fn password(number: &str) -> String {
    format!("demo-{number}")
}

/// The demo's tariff, in the spirit of a Polish operator's: Warsaw by the
/// second, mobiles, Germany and abroad by their blocks, cheaper at night and
/// at the weekend.
pub fn tariff(outside_prefix: &str, emergency: &[String]) -> Tariff {
    let rate = |prefix: &str, name: &str, setup, peak, offpeak, first_secs, step_secs| Rate {
        prefix: prefix.to_owned(),
        name: name.to_owned(),
        setup,
        peak,
        offpeak,
        first_secs,
        step_secs,
    };
    Tariff {
        rates: vec![
            rate("", "Other numbers", 0, 30, 15, 60, 60),
            rate("22", "Warsaw", 5, 12, 6, 1, 1),
            rate("5", "Mobile", 0, 25, 25, 30, 1),
            rate("6", "Mobile", 0, 25, 25, 30, 1),
            rate("7", "Mobile", 0, 25, 25, 30, 1),
            rate("8", "Mobile", 0, 25, 25, 30, 1),
            rate("00", "Abroad", 0, 150, 120, 60, 60),
            rate("0049", "Germany", 0, 60, 45, 30, 6),
        ],
        offpeak: vec![
            Band { days: WORKDAYS, from: 18 * 60, to: 8 * 60 },
            Band { days: WEEKEND, from: 0, to: 0 },
        ],
        outside_prefix: outside_prefix.to_owned(),
        emergency: emergency.to_vec(),
    }
}

/// Seeds the demo data unless the database already has call records; the
/// tariff in the board's `zone`.
pub async fn seed(store: &Store, hasher: &Hasher, now: i64, zone: &str) -> Result<bool, DemoError> {
    if store.cdr_count().await? > 0 {
        return Ok(false);
    }
    let plan = demo::plan();
    for e in &plan.extensions {
        let dept = store.ensure_department(department_of(&e.number)).await?;
        let first = e.name.split_whitespace().next().unwrap_or("user").to_lowercase();
        let email = format!("{first}.{}@example.com", e.number);
        let mobile = if e.number == "100" { "0600100100" } else { "" };
        store.set_extension_admin(&e.number, Some(dept), &email, mobile, now).await?;
        if e.number == PIN_ONLY {
            store.set_pin_hash(&e.number, &hasher.hash(PIN).await?, now).await?;
        } else if store.credentials(&e.number).await?.and_then(|c| c.password_hash).is_none() {
            store.set_password_hash(&e.number, &hasher.hash(&password(&e.number)).await?, now).await?;
        }
    }
    // 100 keeps the public phonebook; 100 and 110 have system phones; 100 may
    // present the company's main number or his direct line.
    store.set_public_right("100", PublicRight::Edit).await?;
    store.set_caller_ids("100", &["0221234000".to_owned(), "0221234100".to_owned()], now).await?;
    // 120 administers the demo exchange; 110 manages Service.
    store.set_administrator("120", true, now).await?;
    let service = store.ensure_department("Service").await?;
    store.set_managed_departments("110", &[service]).await?;
    let labels = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    store
        .set_system_phone(
            "100",
            Some("ST-40"),
            &labels(&["Line 1", "Line 2", "101 Piotr", "102", "Pickup", "DND", "Voicemail", "Conference"]),
        )
        .await?;
    store.set_system_phone("110", Some("ST-20"), &labels(&["Line 1", "Line 2", "111", "Hold"])).await?;
    let public = "First Name,Last Name,Company,Business Phone,Mobile Phone,Categories\r\n\
                  Tomasz,Wiśniewski,Hurtownia Wiśniewski,+48 22 555 01 01,600 200 300,Suppliers\r\n\
                  Sabine,Krüger,Krüger Logistik GmbH,+49 221 555 0202,,Suppliers\r\n\
                  ,,City Taxi,+48 22 19191,,\r\n\
                  Helen,Baker,Baker & Sons Ltd,+44 20 7946 0303,07700 900303,Customers\r\n";
    if let Ok(parsed) = crate::phonebook::parse(public.as_bytes(), None) {
        let _ = store.import_contacts("100", BookKind::Public, parsed.contacts, demo_author(), now).await?;
    }
    let private = "First Name,Last Name,Mobile Phone,Categories\r\nMarta,Kowalska,601 100 200,Family\r\n";
    if let Ok(parsed) = crate::phonebook::parse(private.as_bytes(), None) {
        let _ = store.import_contacts("100", BookKind::Private, parsed.contacts, demo_author(), now).await?;
    }
    // 103 is in a meeting for two hours, his calls going to 104; 112 is on
    // holiday for the week, his phone in DND.
    let status = |status, info: &str, start, end, by: &str, divert| Entry {
        id: 0,
        status,
        info: info.to_owned(),
        start,
        end: Some(end),
        set_at: start,
        set_by: by.to_owned(),
        divert,
        import_id: None,
    };
    let meeting = status(
        Status::Meeting,
        "Quarterly review",
        now,
        now + 2 * 3600,
        "103",
        Some(Divert::Number("104".into())),
    );
    store.add_presence("103", meeting).await?;
    let holiday =
        status(Status::Holiday, "Back on Monday", now - DAY, now + 6 * DAY, "Calendar", Some(Divert::Dnd));
    store.add_presence("112", holiday).await?;
    // 100 to 104 are a team: each sees the others' lamps on the start page.
    let team = crate::store::cti_group::SavedGroup {
        name: "Sales desk".into(),
        show_numbers: true,
        members: "100\n101\n102\n103\n104".into(),
    };
    let _ = store.save_cti_group(0, team).await?;
    // A week of calls, played on a simulator of its own with a fast clock.
    let exts: Vec<String> = plan.extensions.iter().map(|e| e.number.clone()).collect();
    let sim = Sim::new(plan, Clock::Manual, now - 7 * DAY);
    for ext in ["100", "101", "110"] {
        let program = ExtensionProgram { voicemail: true, no_answer_secs: 15, ..Default::default() };
        let _ = sim.command(Command::Program { ext: ext.into(), program: Box::new(program.into()) });
    }
    let mut events = sim.subscribe();
    let mut traffic =
        Traffic::new(now as u64, TrafficConfig { answered_pct: 65, ..TrafficConfig::default() });
    let mut cdrs = Vec::new();
    let mut voicemails = Vec::new();
    let mut round = 0u32;
    while sim.with(|ex| ex.now()) < now - 600 {
        traffic.complete_call(&sim, &exts);
        round += 1;
        if round.is_multiple_of(15) {
            // Now and then nobody answers and the caller leaves a message.
            let ext = ["100", "101", "110"][(round / 15 % 3) as usize];
            if sim.with(|ex| ex.incoming(&format!("0601{:06}", round), ext)).is_ok() {
                sim.advance(20);
            }
        }
        sim.advance(1200 + (traffic.config.mean_talk_secs as i64));
        while let Ok(ev) = events.try_recv() {
            match ev.event {
                Event::Cdr(c) => cdrs.push(c.into()),
                Event::VoicemailDeposited { record_id, ext, caller, at, duration_secs } => {
                    voicemails.push(Voicemail {
                        core_id: record_id,
                        extension: ext,
                        caller,
                        received_at: at,
                        duration_secs,
                        heard_at: None,
                    })
                }
                _ => {}
            }
        }
    }
    for (i, mut v) in voicemails.into_iter().enumerate() {
        // The older half has been listened to.
        if i % 2 == 0 {
            v.heard_at = Some(v.received_at + 3600);
        }
        store.insert_voicemail(v).await?;
    }
    // Priced as they are stored; 101 may spend 50.00 a month.
    let dialling = crate::config::DEFAULT_OUTSIDE_PREFIX;
    store.save_tariff(tariff(dialling, &["112".to_owned()]), zone.to_owned(), now - 8 * DAY).await?;
    let by = crate::store::journal::Changes { by: demo_author(), list: vec![] };
    let zone_rules = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let month = TopUpMode::Monthly.period_start(now, &zone_rules);
    store
        .change_cost_account("101", month, by, now, |a| {
            let _ = a.configure(Some(5000), 5000, TopUpMode::Monthly);
            vec![]
        })
        .await?;
    store.insert_cdrs(cdrs).await?;
    Ok(true)
}

/// The demo's contacts are the system's doing, as its journal says.
fn demo_author() -> crate::store::journal::Author {
    let system = crate::domain::access::Actor::system();
    crate::store::journal::Author { actor: system.label(), via: system.via.code() }
}
