//! Framing: postcard-encoded messages in COBS frames, each ended by a zero byte.
//!
//! The decoder takes bytes as they come, in pieces of any size, and yields one
//! result per frame: a message, or a [`FrameError`] for a frame that did not
//! decode or grew past [`MAX_FRAME`](super::proto::MAX_FRAME). A bad frame costs
//! only itself: decoding resumes after its zero byte. Nothing here panics on
//! any input.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::proto::MAX_FRAME;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame longer than {MAX_FRAME} bytes")]
    Oversized,
    #[error("frame does not decode: {0}")]
    Malformed(String),
    #[error("message does not fit in a frame")]
    TooBig,
}

/// Encodes one message as a frame, zero byte included.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    let bytes = postcard::to_stdvec_cobs(msg).map_err(|e| FrameError::Malformed(e.to_string()))?;
    if bytes.len() > MAX_FRAME + 1 {
        return Err(FrameError::TooBig);
    }
    Ok(bytes)
}

/// Splits a byte stream into frames and decodes them.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Inside an oversized frame: skip to its end.
    skipping: bool,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Feeds bytes; returns the frames they completed, in order.
    pub fn push<T: DeserializeOwned>(&mut self, mut bytes: &[u8]) -> Vec<Result<T, FrameError>> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            match bytes.iter().position(|b| *b == 0) {
                None => {
                    self.take(bytes);
                    if !self.skipping && self.buf.len() > MAX_FRAME {
                        self.buf.clear();
                        self.skipping = true;
                        out.push(Err(FrameError::Oversized));
                    }
                    break;
                }
                Some(end) => {
                    self.take(&bytes[..end]);
                    bytes = &bytes[end + 1..];
                    if self.skipping {
                        self.skipping = false;
                        self.buf.clear();
                        continue;
                    }
                    if self.buf.is_empty() {
                        continue; // Stray zero bytes between frames are line noise, not frames.
                    }
                    if self.buf.len() > MAX_FRAME {
                        out.push(Err(FrameError::Oversized));
                    } else {
                        out.push(decode(&mut self.buf));
                    }
                    self.buf.clear();
                }
            }
        }
        out
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        // Never hold more than one frame's worth; the rest is counted as oversized.
        let room = (MAX_FRAME + 1).saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

fn decode<T: DeserializeOwned>(frame: &mut [u8]) -> Result<T, FrameError> {
    postcard::from_bytes_cobs(frame).map_err(|e| FrameError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hal::proto::{FromCore, ToCore};

    #[test]
    fn frames_split_anywhere_decode_the_same() {
        let msgs = vec![ToCore::Heartbeat { seq: 7 }, ToCore::AckCdrs { record_ids: vec![1, 2, 300] }];
        let mut wire = Vec::new();
        for m in &msgs {
            wire.extend(encode(m).expect("encode"));
        }
        for split in 0..wire.len() {
            let mut d = Decoder::new();
            let mut got: Vec<ToCore> =
                d.push::<ToCore>(&wire[..split]).into_iter().map(|r| r.expect("ok")).collect();
            got.extend(d.push::<ToCore>(&wire[split..]).into_iter().map(|r| r.expect("ok")));
            assert_eq!(got, msgs, "split at {split}");
        }
    }

    #[test]
    fn garbage_and_oversized_frames_cost_only_themselves() {
        let good = encode(&FromCore::Heartbeat { seq: 1 }).expect("encode");
        let mut wire = Vec::new();
        wire.extend(&good);
        wire.extend([0xff, 0xfe, 0x13, 0x00]); // garbage
        wire.extend(vec![0x01u8; MAX_FRAME * 3]); // oversized
        wire.push(0);
        wire.extend(&good[..good.len() / 2]); // truncated: its tail never comes...
        wire.push(0); // ...a zero ends it
        wire.extend(&good);
        let mut d = Decoder::new();
        let results = d.push::<FromCore>(&wire);
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let oversized = results.iter().filter(|r| matches!(r, Err(FrameError::Oversized))).count();
        assert_eq!(ok, 2, "{results:?}");
        assert_eq!(oversized, 1, "{results:?}");
        assert_eq!(results.len(), 5, "{results:?}");
        assert!(d.buf.len() <= MAX_FRAME + 1);
    }
}
