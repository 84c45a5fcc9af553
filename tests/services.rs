//! The services as every front end calls them: an actor who may not do a thing
//! gets `Denied`, and nothing is written, neither in the store nor in the core.
//! Real parts: a SQLite file, the simulated exchange behind the `SwitchCore`
//! trait, Argon2id.

mod support;

use webcti::domain::access::{Actor, Channel, Denied, Who};
use webcti::domain::cdr::HistoryQuery;
use webcti::domain::phonebook::{PublicRight, View};
use webcti::phonebook::{BookKind, Contact, Number, NumberKind};
use webcti::services::accounts::AppSettings;
use webcti::services::calls::PlaceCall;
use webcti::services::features::FeaturesChange;
use webcti::services::forwarding::{ForwardingChange, PreviewCall};
use webcti::services::phonebook::ExportFormat;
use webcti::services::ServiceError;

use support::rig::Rig;

/// The services over the simulated exchange; 100 may edit the public phonebook.
async fn rig() -> Rig {
    let r = support::rig::rig().await;
    r.store.set_public_right("100", PublicRight::Edit).await.expect("right");
    r
}

fn subscriber(ext: &str, public_book: PublicRight) -> Actor {
    Actor::new(Who::Subscriber { ext: ext.into(), pin_only: false, public_book }, Channel::Web)
}

fn denied<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> Denied {
    match r {
        Err(ServiceError::Denied(d)) => d,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn contact(name: &str) -> Contact {
    Contact {
        last_name: name.into(),
        numbers: vec![Number { kind: NumberKind::Work, number: "0221234567".into() }],
        ..Default::default()
    }
}

#[tokio::test]
async fn another_subscriber_is_refused_everything_of_100_and_nothing_changes() {
    let r = rig().await;
    let s = &r.services;
    let intruder = subscriber("101", PublicRight::Read);
    let program_before = r.store.program("100").await.expect("read");
    let core_before = r.sim.with(|ex| ex.program("100").cloned());
    let profile_before = r.store.profile("100").await.expect("read");

    // Settings.
    assert_eq!(denied(s.accounts.profile(&intruder, "100").await), Denied::NotYours);
    assert_eq!(
        denied(s.accounts.save_profile(&intruder, "100", "mine now", "x@evil.example", "").await),
        Denied::NotYours
    );
    let app = AppSettings { language: "de".into(), layout: "mobile".into(), forget_callback: true };
    assert_eq!(denied(s.accounts.save_app(&intruder, "100", app).await), Denied::NotYours);
    assert_eq!(denied(s.accounts.key_labels(&intruder, "100").await), Denied::NotYours);
    // Calls, history, voicemail.
    let call = PlaceCall { ext: "100".into(), number: "0700123123".into(), from: None, remember: true };
    assert_eq!(denied(s.calls.place(&intruder, call).await), Denied::NotYours);
    let q = HistoryQuery { extension: "100".into(), limit: 10, ..Default::default() };
    assert_eq!(denied(s.history.page(&intruder, q).await), Denied::NotYours);
    assert_eq!(denied(s.history.panels(&intruder, "100").await), Denied::NotYours);
    assert_eq!(
        denied(
            s.history
                .names(&intruder, "100", vec![("0221234567".into(), webcti::domain::dialplan::Form::Written)])
                .await
        ),
        Denied::NotYours
    );
    assert_eq!(denied(s.voicemail.list(&intruder, "100", 10).await), Denied::NotYours);
    // Services and forwarding.
    assert_eq!(denied(s.features.view(&intruder, "100").await), Denied::NotYours);
    let change = FeaturesChange { phone_lock: true, call_as: "0800".into(), ..Default::default() };
    assert_eq!(denied(s.features.save(&intruder, "100", change).await), Denied::NotYours);
    assert_eq!(denied(s.forwarding.program(&intruder, "100").await), Denied::NotYours);
    let fwd = ForwardingChange {
        forward_always: "00491234567".into(),
        no_answer_secs: "20".into(),
        ..Default::default()
    };
    assert_eq!(denied(s.forwarding.save(&intruder, "100", fwd).await), Denied::NotYours);
    assert_eq!(
        denied(s.forwarding.preview(&intruder, "100", PreviewCall::default()).await),
        Denied::NotYours
    );
    // Phonebooks: 100's private book.
    assert_eq!(denied(s.phonebook.page(&intruder, "100", View::All, "", 1).await), Denied::NotYours);
    assert_eq!(denied(s.phonebook.search(&intruder, "100", "a", 5).await), Denied::NotYours);
    assert_eq!(
        denied(s.phonebook.add(&intruder, "100", BookKind::Private, contact("Spy")).await),
        Denied::NotYours
    );
    assert_eq!(
        denied(s.phonebook.new_group(&intruder, "100", "Spies", BookKind::Private).await),
        Denied::NotYours
    );
    assert_eq!(denied(s.phonebook.delete(&intruder, "100", vec![1]).await), Denied::NotYours);
    assert_eq!(denied(s.phonebook.group(&intruder, "100", vec![1], 1).await), Denied::NotYours);
    let file = b"First Name,Last Name,Business Phone\r\nA,B,0221234567\r\n".to_vec();
    assert_eq!(
        denied(s.phonebook.import(&intruder, "100", file, None, BookKind::Private).await),
        Denied::NotYours
    );
    assert_eq!(
        denied(s.phonebook.export(&intruder, "100", View::All, ExportFormat::OutlookCsv).await),
        Denied::NotYours
    );

    // Nothing was written, nothing was programmed, nothing was dialled.
    assert_eq!(r.store.program("100").await.expect("read"), program_before);
    assert_eq!(r.sim.with(|ex| ex.program("100").cloned()), core_before);
    assert_eq!(r.store.profile("100").await.expect("read"), profile_before);
    assert!(r.sim.with(|ex| ex.calls_of("100")).is_empty(), "no call was placed");
    let owner = subscriber("100", PublicRight::Edit);
    let book = s.phonebook.page(&owner, "100", View::Private, "", 1).await.expect("own book");
    assert!(book.entries.is_empty(), "no contact was added to 100's book");
}

#[tokio::test]
async fn a_pin_login_may_only_set_its_password() {
    let r = rig().await;
    let s = &r.services;
    let pin = Actor::new(
        Who::Subscriber { ext: "107".into(), pin_only: true, public_book: PublicRight::Read },
        Channel::Web,
    );
    assert_eq!(denied(s.forwarding.program(&pin, "107").await), Denied::PasswordFirst);
    let fwd = ForwardingChange {
        forward_always: "0221234567".into(),
        no_answer_secs: "20".into(),
        ..Default::default()
    };
    assert_eq!(denied(s.forwarding.save(&pin, "107", fwd).await), Denied::PasswordFirst);
    let call = PlaceCall { ext: "107".into(), number: "0221234567".into(), from: None, remember: false };
    assert_eq!(denied(s.calls.place(&pin, call).await), Denied::PasswordFirst);
    assert_eq!(r.store.program("107").await.expect("read").expect("exists").forward_always, None);
}

#[tokio::test]
async fn the_public_book_needs_the_right_to_change_it() {
    let r = rig().await;
    let s = &r.services;
    let reader = subscriber("101", PublicRight::Read);
    let refused = s.phonebook.add(&reader, "101", BookKind::Public, contact("Supplier")).await;
    assert!(matches!(refused, Err(ServiceError::Invalid(_))), "{refused:?}");
    let refused = s.phonebook.new_group(&reader, "101", "Suppliers", BookKind::Public).await;
    assert!(matches!(refused, Err(ServiceError::Invalid(_))), "{refused:?}");
    // A file that puts its contacts into the public book: each line refused, none stored.
    let file = b"First Name,Last Name,Business Phone,WebCTI Book\r\nA,B,0221234567,public\r\n".to_vec();
    let report = s.phonebook.import(&reader, "101", file, None, BookKind::Private).await.expect("import");
    assert_eq!((report.added, report.rejected.len()), (0, 1));
    let editor = subscriber("100", PublicRight::Edit);
    let public = s.phonebook.page(&editor, "100", View::Public, "", 1).await.expect("list");
    assert!(public.entries.is_empty(), "nothing reached the public book");
    // The editor may.
    s.phonebook.add(&editor, "100", BookKind::Public, contact("Supplier")).await.expect("added");
    let public = s.phonebook.page(&reader, "101", View::Public, "", 1).await.expect("list");
    assert_eq!(public.entries.len(), 1);
}

#[tokio::test]
async fn the_owner_changes_his_own_and_the_core_gets_it() {
    let r = rig().await;
    let s = &r.services;
    let owner = subscriber("100", PublicRight::Edit);
    let fwd =
        ForwardingChange { forward_busy: "102".into(), no_answer_secs: "25".into(), ..Default::default() };
    s.forwarding.save(&owner, "100", fwd).await.expect("saved");
    let core = r.sim.with(|ex| ex.program("100").cloned()).expect("programmed");
    assert_eq!((core.forward_busy.as_deref(), core.no_answer_secs), (Some("102"), 25));
    let change = FeaturesChange {
        phone_lock: true,
        recall_account: "4711".into(),
        recall_pin: "1234".into(),
        ..Default::default()
    };
    s.features.save(&owner, "100", change).await.expect("saved");
    let view = s.features.view(&owner, "100").await.expect("view");
    assert!(view.program.phone_lock && view.recall_pin_set && view.recall_account == "4711");
    assert!(r.sim.with(|ex| ex.program("100").map(|p| p.phone_lock)).expect("programmed"));
}

#[tokio::test]
async fn a_read_token_reads_settings_but_changes_nothing_and_gets_no_private_data() {
    use webcti::domain::access::Scope;
    let r = rig().await;
    let s = &r.services;
    let token = Actor::new(Who::ApiToken { id: 1, scopes: vec![Scope::READ] }, Channel::Api);
    assert!(s.forwarding.program(&token, "100").await.is_ok(), "the Read scope reads settings");
    let fwd = ForwardingChange {
        forward_always: "0221234567".into(),
        no_answer_secs: "20".into(),
        ..Default::default()
    };
    assert_eq!(denied(s.forwarding.save(&token, "100", fwd).await), Denied::Scope);
    assert_eq!(denied(s.voicemail.list(&token, "100", 10).await), Denied::Scope);
    assert_eq!(denied(s.phonebook.page(&token, "100", View::All, "", 1).await), Denied::NotYours);
    // Which installer is offered is the board's to say; only a write scope puts one in place.
    assert_eq!(s.installer.name(&token).expect("the board's scope reads it"), None);
    assert_eq!(denied(s.installer.delete(&token).await), Denied::Scope);
    let call = PlaceCall { ext: "100".into(), number: "0221234567".into(), from: None, remember: false };
    assert_eq!(denied(s.calls.place(&token, call).await), Denied::Scope);
    assert_eq!(r.store.program("100").await.expect("read").expect("exists").forward_always, None);
    assert!(r.sim.with(|ex| ex.calls_of("100")).is_empty());
}

#[tokio::test]
async fn a_password_hashed_by_an_earlier_version_is_hashed_anew_at_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let r = rig().await;
    // 101's password as the first versions stored it: 19 MiB, two passes.
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    let params = argon2::Params::new(19 * 1024, 2, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let old = argon.hash_password(b"an old password", &salt).expect("hash").to_string();
    r.store.set_password_hash("101", &old, 0).await.expect("stored");
    let stored = || async { r.store.credentials("101").await.expect("read").and_then(|c| c.password_hash) };
    let addr = "192.0.2.7".parse().expect("addr");

    let wrong = r.services.auth.login("101", "not the password", addr, r.services.now()).await;
    assert!(wrong.is_err(), "a wrong password is refused");
    assert_eq!(stored().await.as_deref(), Some(old.as_str()), "and changes nothing");

    let session = r.services.auth.login("101", "an old password", addr, r.services.now()).await;
    assert!(session.is_ok_and(|s| !s.must_set_password), "the old hash lets him in as before");
    let new = stored().await.expect("a password");
    assert!(new.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "hashed anew: {new}");
    let again = r.services.auth.login("101", "an old password", addr, r.services.now()).await;
    assert!(again.is_ok(), "the new hash lets him in");
    assert_eq!(stored().await, Some(new), "a hash in this version's parameters stays");
}
