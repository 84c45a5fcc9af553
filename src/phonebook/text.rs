//! Bytes of a contact file to text: UTF-8 with or without a byte-order mark,
//! UTF-16 with one (Outlook's "Unicode" export), otherwise the Windows code page
//! that reads as real words: 1250 where Polish letters appear, else 1252.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1250, WINDOWS_1252};

/// Letters of 1250 that 1252 would show as symbols (ą ł ś ż ź ć ń ę, in both cases).
const POLISH: &str = "ąćęłńśźżĄĆĘŁŃŚŹŻ";

pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return text.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    // UTF-16 without a mark: every other byte zero in ASCII text.
    if bytes.len() >= 4 && bytes.len() % 2 == 0 {
        let zeros_odd = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        let zeros_even = bytes.iter().step_by(2).filter(|b| **b == 0).count();
        let half = bytes.len() / 2;
        if zeros_odd * 2 > half {
            return UTF_16LE.decode_without_bom_handling(bytes).0.into_owned();
        }
        if zeros_even * 2 > half {
            return UTF_16BE.decode_without_bom_handling(bytes).0.into_owned();
        }
    }
    let (cp1250, _) = WINDOWS_1250.decode_without_bom_handling(bytes);
    if cp1250.chars().any(|c| POLISH.contains(c)) {
        return cp1250.into_owned();
    }
    WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
}

/// UTF-8 with a byte-order mark: Outlook and Excel take the mark as the sign
/// that the file is UTF-8, so Polish and German names survive.
pub fn encode_for_outlook(text: &str) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend_from_slice(text.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_real_files_come_in() {
        assert_eq!(decode("Łódź".as_bytes()), "Łódź");
        assert_eq!(decode(b"\xEF\xBB\xBFZa\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87"), "Zażółć");
        // Windows-1250: "Zażółć gęślą"
        assert_eq!(decode(b"Za\xBF\xF3\xB3\xE6 g\xEA\x9Cl\xB9"), "Zażółć gęślą");
        // Windows-1252: "Müller, Straße"
        assert_eq!(decode(b"M\xFCller, Stra\xDFe"), "Müller, Straße");
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("Jörg".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16), "Jörg");
    }
}
