//! The recordings of the simulated mailbox: what a caller "said", as a RIFF
//! WAVE file (8 kHz, 8-bit PCM, mono, the telephone's rate) made from the
//! message's id and length whenever a piece of it is asked for, so the
//! simulator keeps no audio in memory. Each message has a tone of its own.

/// Samples a second.
const RATE: u32 = 8000;
/// The header's length: the data follow it.
const HEADER: u32 = 44;

/// The file's whole length for a message of `secs` seconds.
pub fn length(secs: u32) -> u32 {
    HEADER + RATE * secs
}

/// Bytes `offset..offset + len` of message `record_id`'s file (`secs` long),
/// cut at its end.
pub fn bytes(record_id: u64, secs: u32, offset: u32, len: u32) -> Vec<u8> {
    let total = length(secs);
    let end = offset.saturating_add(len).min(total);
    let header = header(secs);
    // A tone between 300 and 1000 Hz, by message.
    let hz = 300.0 + (record_id % 8) as f64 * 100.0;
    (offset..end)
        .map(|i| match header.get(i as usize) {
            Some(b) => *b,
            None => {
                let t = f64::from(i - HEADER) / f64::from(RATE);
                (128.0 + 90.0 * (std::f64::consts::TAU * hz * t).sin()) as u8
            }
        })
        .collect()
}

fn header(secs: u32) -> Vec<u8> {
    let data = RATE * secs;
    let mut h = Vec::with_capacity(HEADER as usize);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(HEADER - 8 + data).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&RATE.to_le_bytes());
    h.extend_from_slice(&RATE.to_le_bytes()); // bytes a second
    h.extend_from_slice(&1u16.to_le_bytes()); // bytes a sample
    h.extend_from_slice(&8u16.to_le_bytes()); // bits a sample
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wave_file_in_pieces() {
        let whole = bytes(7, 2, 0, u32::MAX);
        assert_eq!(whole.len() as u32, length(2));
        assert_eq!(&whole[..4], b"RIFF");
        assert_eq!(&whole[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes([whole[40], whole[41], whole[42], whole[43]]), 16_000);
        // Any piece is the same bytes as the whole file has there.
        for (offset, len) in [(0, 10), (40, 10), (44, 100), (15_990, 100), (16_044, 5)] {
            let end = ((offset + len) as usize).min(whole.len());
            assert_eq!(bytes(7, 2, offset, len), whole[offset as usize..end], "{offset}+{len}");
        }
        assert_ne!(bytes(7, 2, 1000, 100), bytes(8, 2, 1000, 100), "each message its own tone");
    }
}
