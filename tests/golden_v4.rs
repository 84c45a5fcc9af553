//! Golden bytes of wire protocol version 4: what it added to version 3 (the
//! hello that offers version 4, the mailbox's commands `VoicemailAudio`,
//! `VoicemailHeard` and `VoicemailDelete`, the `Audio` reply and the
//! `NoSuchMessage` error). Every other message is encoded as in versions 1 to 3
//! and pinned by their files. These tests are never edited: a change of the
//! encoding is a new version.

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
fn to_core_hello_offers_version_4() {
    check(ToCore::Hello { version: PROTOCOL_V4, client: "webcti".into() }, "0109040677656263746900")
}

#[test]
fn command_voicemail_audio() {
    let command =
        Command::VoicemailAudio { ext: "100".into(), record_id: 70_000, offset: 16_384, len: 16_384 };
    check(ToCore::Request { id: 10, command }, "11010a0f03313030f0a20480800180800100")
}

#[test]
fn command_voicemail_heard_and_delete() {
    let heard = Command::VoicemailHeard { ext: "100".into(), record_id: 70_000 };
    check(ToCore::Request { id: 11, command: heard }, "0b010b1003313030f0a20400");
    let delete = Command::VoicemailDelete { ext: "100".into(), record_id: 70_000 };
    check(ToCore::Request { id: 12, command: delete }, "0b010c1103313030f0a20400");
}

#[test]
fn from_core_reply_audio() {
    let reply = Reply::Audio { total: 160_044, bytes: b"RIFF".to_vec() };
    check(FromCore::Reply { id: 10, result: Ok(reply) }, "03010a0a05ace209045249464600")
}

#[test]
fn from_core_no_such_message() {
    check(FromCore::Reply { id: 12, result: Err(ErrorKind::NoSuchMessage) }, "05010c010900")
}

#[test]
fn the_mailbox_needs_version_4() {
    for command in [
        Command::VoicemailAudio { ext: "100".into(), record_id: 1, offset: 0, len: 1 },
        Command::VoicemailHeard { ext: "100".into(), record_id: 1 },
        Command::VoicemailDelete { ext: "100".into(), record_id: 1 },
    ] {
        assert_eq!(command.since(), PROTOCOL_V4, "{command:?}");
    }
    assert_eq!(Command::Licences.since(), PROTOCOL_V3);
    assert_eq!(negotiate(PROTOCOL_V4, 3), Some(3));
    assert_eq!(negotiate(PROTOCOL_V4, 4), Some(4));
    assert!(MAX_AUDIO_CHUNK as usize + 64 < MAX_FRAME, "a chunk fits a frame");
}
