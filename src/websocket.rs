//! WebSocket (RFC 6455), the part the CTI protocol needs: the opening
//! handshake's accept key, and messages read and written over any async byte
//! stream, for the server (`/cti`) and the reference client (`webcti cti`).
//! Text, binary, ping, pong and close; fragmented messages are joined; a
//! message larger than the reader's bound, an unmasked frame from a client or
//! a masked one from a server, a reserved bit or opcode are protocol errors.
//! No extensions (no compression): JSON lines of a few hundred bytes do not
//! need them. SHA-1 and base64 are already in the binary (ring, base64), so
//! this is a few KB, where axum's `ws` (tungstenite) made the stripped aarch64
//! binary 69,632 bytes larger with only an echo handler, and no client half.

use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Appended to the client's key before hashing (RFC 6455, 1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The largest control frame's payload.
const MAX_CONTROL: usize = 125;

/// The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut input = key.trim().as_bytes().to_vec();
    input.extend_from_slice(GUID.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// A key a client offers: 16 random bytes, base64.
pub fn client_key(random: [u8; 16]) -> String {
    base64::engine::general_purpose::STANDARD.encode(random)
}

/// A whole message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// A close frame, with its status code if it gave one.
    Close(Option<u16>),
}

#[derive(Debug, thiserror::Error)]
pub enum WsError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
    #[error("WebSocket protocol error: {0}")]
    Protocol(&'static str),
}

impl WsError {
    /// The close code that tells the peer why (RFC 6455, 7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            WsError::Io(_) => 1006,
            WsError::TooLarge(_) => 1009,
            WsError::Protocol("text is not UTF-8") => 1007,
            WsError::Protocol(_) => 1002,
        }
    }
}

/// Which end reads: a server reads masked frames, a client unmasked ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

/// Reads messages, at most `max` bytes each.
pub struct Reader<R> {
    inner: R,
    side: Side,
    max: usize,
    /// A fragmented message's opcode and the bytes read so far.
    partial: Option<(u8, Vec<u8>)>,
}

struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub fn new(inner: R, side: Side, max: usize) -> Reader<R> {
        Reader { inner, side, max, partial: None }
    }

    /// The next message; control frames between a message's fragments come
    /// first, as they arrive.
    pub async fn next(&mut self) -> Result<Message, WsError> {
        loop {
            let frame = self.frame(self.partial.as_ref().map_or(0, |p| p.1.len())).await?;
            match frame.opcode {
                0x8 => {
                    let code = (frame.payload.len() >= 2)
                        .then(|| u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
                    return Ok(Message::Close(code));
                }
                0x9 => return Ok(Message::Ping(frame.payload)),
                0xA => return Ok(Message::Pong(frame.payload)),
                0x0 => {
                    let (opcode, mut data) =
                        self.partial.take().ok_or(WsError::Protocol("continuation without a start"))?;
                    data.extend_from_slice(&frame.payload);
                    if frame.fin {
                        return whole(opcode, data);
                    }
                    self.partial = Some((opcode, data));
                }
                0x1 | 0x2 if self.partial.is_some() => {
                    return Err(WsError::Protocol("new message inside a fragmented one"))
                }
                0x1 | 0x2 if frame.fin => return whole(frame.opcode, frame.payload),
                0x1 | 0x2 => self.partial = Some((frame.opcode, frame.payload)),
                _ => return Err(WsError::Protocol("reserved opcode")),
            }
        }
    }

    /// One frame; `so_far` bytes of its message were read before it.
    async fn frame(&mut self, so_far: usize) -> Result<Frame, WsError> {
        let mut head = [0u8; 2];
        self.inner.read_exact(&mut head).await?;
        let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0F);
        if head[0] & 0x70 != 0 {
            return Err(WsError::Protocol("reserved bits set"));
        }
        let masked = head[1] & 0x80 != 0;
        if masked != (self.side == Side::Server) {
            return Err(WsError::Protocol(match self.side {
                Side::Server => "a client's frame must be masked",
                Side::Client => "a server's frame must not be masked",
            }));
        }
        let len = match head[1] & 0x7F {
            126 => {
                let mut b = [0u8; 2];
                self.inner.read_exact(&mut b).await?;
                u16::from_be_bytes(b) as u64
            }
            127 => {
                let mut b = [0u8; 8];
                self.inner.read_exact(&mut b).await?;
                u64::from_be_bytes(b)
            }
            n => n as u64,
        };
        let control = opcode & 0x8 != 0;
        if control && (!fin || len > MAX_CONTROL as u64) {
            return Err(WsError::Protocol("control frame fragmented or longer than 125 bytes"));
        }
        if !control && len.saturating_add(so_far as u64) > self.max as u64 {
            return Err(WsError::TooLarge(self.max));
        }
        let mut mask = [0u8; 4];
        if masked {
            self.inner.read_exact(&mut mask).await?;
        }
        let mut payload = vec![0u8; len as usize];
        self.inner.read_exact(&mut payload).await?;
        if masked {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
        Ok(Frame { fin, opcode, payload })
    }
}

fn whole(opcode: u8, data: Vec<u8>) -> Result<Message, WsError> {
    match opcode {
        0x1 => String::from_utf8(data).map(Message::Text).map_err(|_| WsError::Protocol("text is not UTF-8")),
        _ => Ok(Message::Binary(data)),
    }
}

/// A message as one frame; a client masks it with `mask` (RFC 6455, 5.3).
pub fn encode(message: &Message, mask: Option<[u8; 4]>) -> Vec<u8> {
    let (opcode, payload): (u8, std::borrow::Cow<[u8]>) = match message {
        Message::Text(t) => (0x1, t.as_bytes().into()),
        Message::Binary(b) => (0x2, b.as_slice().into()),
        Message::Ping(b) => (0x9, b[..b.len().min(MAX_CONTROL)].into()),
        Message::Pong(b) => (0xA, b[..b.len().min(MAX_CONTROL)].into()),
        Message::Close(code) => (0x8, code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default().into()),
    };
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | opcode);
    let bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(bit | n as u8),
        n if n <= u16::MAX as usize => {
            out.push(bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(m) => {
            out.extend_from_slice(&m);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ m[i % 4]));
        }
        None => out.extend_from_slice(&payload),
    }
    out
}

/// Writes a message as one frame and flushes it.
pub async fn send<W: AsyncWrite + Unpin>(
    w: &mut W,
    message: &Message,
    mask: Option<[u8; 4]>,
) -> Result<(), WsError> {
    w.write_all(&encode(message, mask)).await?;
    w.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_key() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    async fn read(bytes: Vec<u8>, side: Side, max: usize) -> Result<Message, WsError> {
        Reader::new(&bytes[..], side, max).next().await
    }

    #[tokio::test]
    async fn messages_round_trip_in_every_length_class() {
        for len in [0, 5, 125, 126, 65_535, 65_536, 70_000] {
            let text = "x".repeat(len);
            let masked = encode(&Message::Text(text.clone()), Some([1, 2, 3, 4]));
            assert_eq!(read(masked, Side::Server, 100_000).await.expect("read"), Message::Text(text.clone()));
            let plain = encode(&Message::Text(text.clone()), None);
            assert_eq!(read(plain, Side::Client, 100_000).await.expect("read"), Message::Text(text));
        }
    }

    #[tokio::test]
    async fn the_rfc_fragmented_example_is_joined_around_a_ping() {
        // "Hel" + ping + "lo", unmasked, as a client reads it.
        let mut bytes = vec![0x01, 0x03, b'H', b'e', b'l'];
        bytes.extend([0x89, 0x01, b'!']);
        bytes.extend([0x80, 0x02, b'l', b'o']);
        let mut r = Reader::new(&bytes[..], Side::Client, 100);
        assert_eq!(r.next().await.expect("ping"), Message::Ping(b"!".to_vec()));
        assert_eq!(r.next().await.expect("text"), Message::Text("Hello".into()));
    }

    #[tokio::test]
    async fn bad_frames_are_refused() {
        let big = encode(&Message::Text("y".repeat(2000)), Some([9, 9, 9, 9]));
        assert!(matches!(read(big, Side::Server, 1000).await, Err(WsError::TooLarge(1000))));
        let unmasked = encode(&Message::Text("hi".into()), None);
        assert!(matches!(read(unmasked, Side::Server, 1000).await, Err(WsError::Protocol(_))));
        let masked = encode(&Message::Text("hi".into()), Some([1, 1, 1, 1]));
        assert!(matches!(read(masked, Side::Client, 1000).await, Err(WsError::Protocol(_))));
        let reserved = vec![0x83, 0x80, 0, 0, 0, 0];
        assert!(matches!(read(reserved, Side::Server, 1000).await, Err(WsError::Protocol(_))));
        let rsv = vec![0xC1, 0x80, 0, 0, 0, 0];
        assert!(matches!(read(rsv, Side::Server, 1000).await, Err(WsError::Protocol(_))));
        let latin1 = encode(&Message::Text(String::new()), None);
        let mut bad = latin1;
        bad[1] = 1;
        bad.push(0xE9);
        let e = read(bad, Side::Client, 1000).await.expect_err("not UTF-8");
        assert_eq!(e.close_code(), 1007);
        let truncated = vec![0x81, 0x05, b'a'];
        assert!(matches!(read(truncated, Side::Client, 1000).await, Err(WsError::Io(_))));
        // A length claiming more than a u64 of memory is refused before anything is allocated.
        let mut huge = vec![0x82, 0xFF];
        huge.extend(u64::MAX.to_be_bytes());
        huge.extend([0, 0, 0, 0]);
        assert!(matches!(read(huge, Side::Server, 1000).await, Err(WsError::TooLarge(1000))));
    }

    #[tokio::test]
    async fn close_carries_its_code() {
        let bytes = encode(&Message::Close(Some(1000)), Some([5, 6, 7, 8]));
        assert_eq!(read(bytes, Side::Server, 10).await.expect("close"), Message::Close(Some(1000)));
    }
}
