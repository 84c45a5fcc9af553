//! Golden bytes of wire protocol version 5: what it added to version 4 (the
//! hello that offers version 5, the `Tariff` and `Credit` commands, the
//! `CreditLow` and `CreditCleared` events, and the `NoCredit` error). Every
//! other message is encoded as in versions 1 to 4 and pinned by their files.
//! These tests are never edited: a change of the encoding is a new version.

use webcti::hal::frame::{encode, Decoder};
use webcti::hal::proto::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check<T>(msg: T, golden: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode(&msg).expect("encode");
    assert_eq!(hex(&bytes), golden, "encoding of {msg:?}");
    let raw: Vec<u8> = (0..golden.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&golden[i..i + 2], 16).expect("hex"))
        .collect();
    let decoded: Vec<T> = Decoder::new().push::<T>(&raw).into_iter().map(|r| r.expect("decode")).collect();
    assert_eq!(decoded, vec![msg]);
}

#[test]
fn to_core_hello_offers_version_5() {
    check(ToCore::Hello { version: PROTOCOL_V5, client: "webcti".into() }, "0109050677656263746900")
}

#[test]
fn command_tariff() {
    let tariff = Tariff {
        zone: "Europe/Warsaw".into(),
        outside_prefix: "0".into(),
        emergency: vec!["112".into()],
        offpeak: vec![Band { days: 0x1f, from: 1320, to: 360 }],
        rates: vec![
            Rate { prefix: String::new(), setup: 0, peak: 30, offpeak: 15, first_secs: 60, step_secs: 60 },
            Rate { prefix: "00".into(), setup: 5, peak: 300, offpeak: 200, first_secs: 30, step_secs: 6 },
        ],
    };
    check(
        ToCore::Request { id: 20, command: Command::Tariff { tariff: Box::new(tariff) } },
        "200114120d4575726f70652f57617273617701300103313132011fa80ae80202010f3c1e3c3c0230300ad80490031e0600",
    )
}

#[test]
fn command_credit() {
    let limited = Command::Credit { ext: "100".into(), credit: Some(-150), as_of: 70_000 };
    check(ToCore::Request { id: 21, command: limited }, "0e0115130331303001ab02f0a20400");
    let unlimited = Command::Credit { ext: "100".into(), credit: None, as_of: 0 };
    check(ToCore::Request { id: 22, command: unlimited }, "0801161303313030010100");
}

#[test]
fn events_credit_low_and_cleared() {
    check(
        FromCore::Event { seq: 9, event: Event::CreditLow { ext: "100".into(), call: 7, credit: 25 } },
        "0a02090603313030073200",
    );
    check(
        FromCore::Event { seq: 10, event: Event::CreditCleared { ext: "100".into(), call: 7 } },
        "09020a07033130300700",
    );
}

#[test]
fn from_core_no_credit() {
    check(FromCore::Reply { id: 23, result: Err(ErrorKind::NoCredit) }, "050117010a00")
}

#[test]
fn costs_need_version_5() {
    let tariff = Tariff {
        zone: "UTC".into(),
        outside_prefix: "0".into(),
        emergency: vec![],
        offpeak: vec![],
        rates: vec![],
    };
    for command in [
        Command::Tariff { tariff: Box::new(tariff) },
        Command::Credit { ext: "100".into(), credit: Some(1), as_of: 1 },
    ] {
        assert_eq!(command.since(), PROTOCOL_V5, "{command:?}");
    }
    assert_eq!(Event::CreditCleared { ext: "100".into(), call: 1 }.since(), PROTOCOL_V5);
    assert_eq!(NEWEST_VERSION, PROTOCOL_V5);
    assert_eq!(negotiate(PROTOCOL_V5, 4), Some(4));
}

#[test]
fn the_largest_tariff_fits_a_frame() {
    let rate = |i: usize| Rate {
        prefix: format!("{i:016}"),
        setup: 1_000_000,
        peak: 1_000_000,
        offpeak: 1_000_000,
        first_secs: 3600,
        step_secs: 3600,
    };
    let tariff = Tariff {
        zone: "America/Argentina/ComodRivadavia".into(),
        outside_prefix: "9".repeat(8),
        emergency: vec!["9".repeat(16); webcti::domain::tariff::MAX_EMERGENCY],
        offpeak: vec![Band { days: 0x7f, from: 1440, to: 1440 }; webcti::domain::tariff::MAX_BANDS],
        rates: (0..webcti::domain::tariff::MAX_RATES).map(rate).collect(),
    };
    let bytes =
        encode(&ToCore::Request { id: u32::MAX, command: Command::Tariff { tariff: Box::new(tariff) } })
            .expect("encode");
    assert!(bytes.len() <= MAX_FRAME, "{} bytes", bytes.len());
}
