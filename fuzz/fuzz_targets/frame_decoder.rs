//! The frame decoder takes whatever the core's byte stream carries: it must never
//! panic, never hold more than one frame, and whatever it decodes must encode and
//! decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webcti::hal::frame::{encode, Decoder};
use webcti::hal::proto::{FromCore, ToCore, MAX_FRAME};

fn roundtrip<T>(msgs: Vec<Result<T, webcti::hal::frame::FrameError>>)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    for msg in msgs.into_iter().flatten() {
        if let Ok(bytes) = encode(&msg) {
            let again: Vec<T> = Decoder::new().push::<T>(&bytes).into_iter().flatten().collect();
            assert_eq!(again, vec![msg]);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte says where to split the input, as reads would.
    let (split, data) = match data.split_first() {
        Some((s, rest)) => ((*s as usize).min(rest.len()), rest),
        None => return,
    };
    let mut from = Decoder::new();
    let mut got = from.push::<FromCore>(&data[..split]);
    got.extend(from.push::<FromCore>(&data[split..]));
    roundtrip(got);
    let mut to = Decoder::new();
    roundtrip(to.push::<ToCore>(data));
    let _ = MAX_FRAME;
});
