//! The CTI server's accounts (SPEC C1-C3) through the services, as the
//! administrator's page and the desktop protocol's login use them: each kind
//! logs in (or, without login, never does), a wrong password is refused, a
//! password handed over at the next login is the one the second login needs,
//! a subscriber's WebCTI login is an account too; licences, names and rights
//! hold, and a refusal changes nothing.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use support::rig::T0;

use webcti::domain::access::{allowed, sees_numbers, Action, Actor, Channel, Denied, Facet, Target, Who};
use webcti::domain::cti::{AccountProblem, Data, Kind, RightsProblem};
use webcti::domain::phonebook::PublicRight;
use webcti::services::auth::AuthError;
use webcti::services::cti::{AccountForm, CtiAccounts, RightsForm};
use webcti::services::password::Hasher;
use webcti::services::{Invalid, ServiceError};
use webcti::store::Store;

const HERE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));

struct Rig {
    cti: CtiAccounts,
    store: Store,
    _rig: support::rig::Rig,
}

/// The services with `licences` for accounts that log in; 100's WebCTI
/// password is `secret-100`.
async fn rig(licences: usize) -> Rig {
    let r = support::rig::rig().await;
    let hasher = Hasher::new().expect("hasher");
    r.store.set_password_hash("100", &hasher.hash("secret-100").await.expect("hash"), T0).await.expect("pw");
    let cti = CtiAccounts::new(r.ctx.clone(), r.services.auth.clone(), licences);
    Rig { cti, store: r.store.clone(), _rig: r }
}

fn admin() -> Actor {
    Actor::new(Who::Administrator { name: "120".into() }, Channel::Web)
}

fn form(name: &str, kind: &str, password: &str) -> AccountForm {
    AccountForm { name: name.into(), kind: kind.into(), data: Data::default(), password: password.into() }
}

fn refused<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> AccountProblem {
    match r {
        Err(ServiceError::Invalid(Invalid::Cti(p))) => p,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn each_kind_logs_in_with_its_password_and_a_wrong_one_is_refused() {
    let r = rig(5).await;
    let (pc, made) = r.cti.save(&admin(), 0, form("PC-RECEPTION", "computer", "")).await.expect("computer");
    let made = made.expect("a new account that logs in is given a password, shown once");
    let (_, typed) =
        r.cti.save(&admin(), 0, form("jan.kowal", "user", "kawa-z-mlekiem")).await.expect("user");
    assert_eq!(typed, None, "a typed password is not shown back");
    let (_, none) = r.cti.save(&admin(), 0, form("Reception desk", "nologin", "")).await.expect("nologin");
    assert_eq!(none, None);

    let login = r.cti.login("pc-reception", &made, HERE).await.expect("the computer, in any case");
    assert_eq!((login.account.id, login.account.kind), (pc, Kind::Computer));
    let login = r.cti.login("jan.kowal", "kawa-z-mlekiem", HERE).await.expect("the user");
    assert_eq!((login.account.kind, login.handed_over), (Kind::User, None));
    assert!(matches!(r.cti.login("jan.kowal", "herbata", HERE).await, Err(AuthError::Failed)));
    assert!(matches!(r.cti.login("Reception desk", "", HERE).await, Err(AuthError::Failed)), "never logs in");
    assert!(matches!(r.cti.login("nobody", "kawa-z-mlekiem", HERE).await, Err(AuthError::Failed)));

    // A subscriber's WebCTI login is an account too.
    let login = r.cti.login("100", "secret-100", HERE).await.expect("the subscriber");
    assert_eq!(login.extension.as_deref(), Some("100"));
    assert!(matches!(r.cti.login("100", "secret-101", HERE).await, Err(AuthError::Failed)));

    // Guesses at one account are throttled: after a burst, even the right
    // password waits.
    let mut throttled = false;
    for _ in 0..40 {
        if let Err(AuthError::Throttled(_)) = r.cti.login("jan.kowal", "herbata", HERE).await {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "guesses are throttled");
}

#[tokio::test]
async fn a_password_handed_over_at_the_next_login_is_the_one_the_second_login_needs() {
    let r = rig(5).await;
    let (id, _) = r.cti.save(&admin(), 0, form("jan.kowal", "user", "kawa-z-mlekiem")).await.expect("user");
    r.cti.hand_over(&admin(), id, true).await.expect("mark");
    assert!(r.cti.account(&admin(), id).await.expect("read").hand_over);

    let first = r.cti.login("jan.kowal", "", HERE).await.expect("the marked login needs no password");
    let handed = first.handed_over.expect("the client is handed the new password");
    assert!(handed.len() >= 16);
    assert!(!r.cti.account(&admin(), id).await.expect("read").hand_over, "the mark is used up");
    assert!(matches!(r.cti.login("jan.kowal", "", HERE).await, Err(AuthError::Failed)), "once");
    assert!(
        matches!(r.cti.login("jan.kowal", "kawa-z-mlekiem", HERE).await, Err(AuthError::Failed)),
        "the old one is gone"
    );
    let second = r.cti.login("jan.kowal", &handed, HERE).await.expect("the delivered password");
    assert_eq!(second.handed_over, None);

    // A user without login who is made one that logs in is given a password, shown once.
    let (bob, none) = r.cti.save(&admin(), 0, form("bob", "nologin", "")).await.expect("bob");
    assert_eq!(none, None);
    let (_, made) = r.cti.save(&admin(), bob, form("bob", "user", "")).await.expect("bob logs in");
    r.cti.login("bob", &made.expect("a password made"), HERE).await.expect("bob's login");
    let (_, again) = r.cti.save(&admin(), bob, form("Bob", "user", "")).await.expect("renamed");
    assert_eq!(again, None, "an account with a password keeps it");

    // A new password made by the administrator replaces it.
    let new = r.cti.new_password(&admin(), id).await.expect("new password");
    assert!(matches!(r.cti.login("jan.kowal", &handed, HERE).await, Err(AuthError::Failed)));
    r.cti.login("jan.kowal", &new, HERE).await.expect("the new one");
}

#[tokio::test]
async fn licences_names_and_rights_hold_and_a_refusal_changes_nothing() {
    let r = rig(2).await;
    r.cti.save(&admin(), 0, form("PC-1", "computer", "")).await.expect("first licence");
    let (user, _) = r.cti.save(&admin(), 0, form("anna", "user", "")).await.expect("second licence");
    assert_eq!(
        refused(r.cti.save(&admin(), 0, form("PC-2", "computer", "")).await),
        AccountProblem::NoLicence
    );
    r.cti
        .save(&admin(), 0, form("Anna Kowalska", "nologin", ""))
        .await
        .expect("users without login need none");
    // Anna no longer logs in: her licence is free again, and her password goes.
    r.cti.save(&admin(), user, form("anna", "nologin", "")).await.expect("made a user without login");
    r.cti.save(&admin(), 0, form("PC-2", "computer", "")).await.expect("the licence freed");
    let anna = r.cti.account(&admin(), user).await.expect("read");
    assert!(!anna.has_password);
    assert_eq!(
        refused(r.cti.save(&admin(), user, form("anna", "user", "")).await),
        AccountProblem::NoLicence
    );

    assert_eq!(refused(r.cti.save(&admin(), 0, form("pc-1", "nologin", "")).await), AccountProblem::Exists);
    assert_eq!(
        refused(r.cti.save(&admin(), 0, form("PC 3", "computer", "")).await),
        AccountProblem::BadHostName
    );
    assert_eq!(refused(r.cti.save(&admin(), 0, form("x", "printer", "")).await), AccountProblem::BadKind);
    assert_eq!(
        refused(r.cti.save(&admin(), 0, form("bob", "nologin", "12345678")).await),
        AccountProblem::NoLogin
    );
    let mut bad_mail = form("bob", "nologin", "");
    bad_mail.data.email = "bob".into();
    assert_eq!(refused(r.cti.save(&admin(), 0, bad_mail).await), AccountProblem::BadEmail);

    let subscriber = Actor::new(
        Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Read },
        Channel::Web,
    );
    let denied = r.cti.save(&subscriber, 0, form("mine", "user", "")).await;
    assert!(matches!(denied, Err(ServiceError::Denied(Denied::AdministratorsOnly))), "{denied:?}");
    assert!(matches!(r.cti.list(&subscriber).await, Err(ServiceError::Denied(_))));

    let names: Vec<String> =
        r.store.cti_accounts().await.expect("read").into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["anna", "Anna Kowalska", "PC-1", "PC-2"]);
    let list = r.cti.list(&admin()).await.expect("list");
    assert_eq!((list.used, list.licences), (2, 2));
}

fn line(ext: &str) -> Target<'_> {
    Target::Extension { number: ext, department: None, facet: Facet::Live }
}

fn pickup(ext: &str) -> Target<'_> {
    Target::Extension { number: ext, department: None, facet: Facet::Pickup }
}

fn devices_of(actor: &Actor) -> Vec<String> {
    match &actor.who {
        Who::CtiAccount { devices, .. } => devices.clone(),
        other => panic!("not a CTI account: {other:?}"),
    }
}

#[tokio::test]
async fn hot_desking_gives_the_device_at_the_computer_and_monitor_rights_decide_what_is_seen_and_picked_up() {
    let r = rig(10).await;
    let a = admin();
    let devices = |text: &str| RightsForm { devices: text.into(), ..RightsForm::default() };
    let (reception, _) = r.cti.save(&a, 0, form("PC-RECEPTION", "computer", "")).await.expect("pc");
    r.cti.set_rights(&a, reception, devices("100")).await.expect("100 stands at the reception");
    let (pc2, _) = r.cti.save(&a, 0, form("PC-2", "computer", "")).await.expect("pc 2");
    r.cti.set_rights(&a, pc2, devices("102 softphone")).await.expect("102 stands at PC-2");
    let (jan, _) = r.cti.save(&a, 0, form("jan.kowal", "user", "kawa-z-mlekiem")).await.expect("jan");
    let hot =
        RightsForm { monitors: "105 clip\n106 pickup".into(), hot_desking: true, ..RightsForm::default() };
    r.cti.set_rights(&a, jan, hot).await.expect("hot desking");

    let login = r.cti.login("jan.kowal", "kawa-z-mlekiem", HERE).await.expect("login");
    let at_reception = r.cti.actor_for(&login, "PC-RECEPTION").await.expect("actor");
    assert_eq!(devices_of(&at_reception), ["100"], "the device follows the computer");
    assert!(allowed(&at_reception, Action::Dial, line("100")).is_ok());
    assert!(allowed(&at_reception, Action::Dial, line("102")).is_err());
    let at_pc2 = r.cti.actor_for(&login, "pc-2").await.expect("actor");
    assert_eq!(devices_of(&at_pc2), ["102"]);
    assert!(
        devices_of(&r.cti.actor_for(&login, "LAPTOP-9").await.expect("actor")).is_empty(),
        "no device stands there"
    );

    // Monitoring: 105 with CLIP, 106 with pickup, nothing else.
    assert!(allowed(&at_reception, Action::Read, line("105")).is_ok());
    assert!(sees_numbers(&at_reception, "105"));
    assert!(allowed(&at_reception, Action::Read, line("106")).is_ok());
    assert!(!sees_numbers(&at_reception, "106"), "without CLIP the callers' numbers are hidden");
    assert!(allowed(&at_reception, Action::Dial, pickup("106")).is_ok(), "pickup with the right");
    assert_eq!(
        allowed(&at_reception, Action::Dial, pickup("105")),
        Err(Denied::NotYours),
        "pickup without the right"
    );
    assert_eq!(
        allowed(&at_reception, Action::Dial, line("106")),
        Err(Denied::NotYours),
        "no calls from a monitored line"
    );
    assert_eq!(
        allowed(&at_reception, Action::Dial, pickup("100")),
        Err(Denied::NotYours),
        "its device is not monitored"
    );
    assert_eq!(
        allowed(&at_reception, Action::Read, line("107")),
        Err(Denied::NotYours),
        "monitoring without the right"
    );

    // A subscriber's WebCTI login has his own extension.
    let anna = r.cti.login("100", "secret-100", HERE).await.expect("subscriber");
    assert_eq!(devices_of(&r.cti.actor_for(&anna, "PC-2").await.expect("actor")), ["100"]);

    // Refused rights change nothing.
    let both = RightsForm { devices: "101".into(), hot_desking: true, ..RightsForm::default() };
    let refused = r.cti.set_rights(&a, jan, both).await;
    assert!(
        matches!(refused, Err(ServiceError::Invalid(Invalid::Rights(RightsProblem::HotDeskingWithDevices)))),
        "{refused:?}"
    );
    let unknown =
        r.cti.set_rights(&a, jan, RightsForm { monitors: "105\n999".into(), ..RightsForm::default() }).await;
    assert!(
        matches!(unknown, Err(ServiceError::Invalid(Invalid::Rights(RightsProblem::Line(2))))),
        "{unknown:?}"
    );
    let kept = r.cti.rights(&a, jan).await.expect("rights");
    assert!(kept.hot_desking && kept.monitors.len() == 2);
}

#[tokio::test]
async fn an_accounts_password_hashed_by_an_earlier_version_is_hashed_anew_at_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let r = rig(5).await;
    let (id, _) = r.cti.save(&admin(), 0, form("jan.kowal", "user", "kawa-z-mlekiem")).await.expect("user");
    // Its password as an earlier version stored it: 12 MiB, three passes.
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    let params = argon2::Params::new(12 * 1024, 3, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let old = argon.hash_password(b"kawa-z-mlekiem", &salt).expect("hash").to_string();
    assert!(r.store.set_cti_password(id, old.clone(), false).await.expect("stored"));
    let stored = || async { r.store.cti_login("jan.kowal").await.expect("read").and_then(|(_, h)| h) };

    assert!(matches!(r.cti.login("jan.kowal", "herbata", HERE).await, Err(AuthError::Failed)));
    assert_eq!(stored().await, Some(old), "a wrong password changes nothing");
    r.cti.login("jan.kowal", "kawa-z-mlekiem", HERE).await.expect("the old hash lets it in");
    let new = stored().await.expect("a password");
    assert!(new.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "hashed anew: {new}");
    r.cti.login("jan.kowal", "kawa-z-mlekiem", HERE).await.expect("the new hash lets it in");
    assert_eq!(stored().await, Some(new));
}
