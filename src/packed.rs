//! Text the binary carries deflated (build.rs packs it): the translations, the
//! OpenAPI document, the static assets and the schema migrations, 156,676
//! bytes in 44,373. Each is inflated where it is first used and kept there
//! (the translations as their tables; the document and the assets once, in
//! memory, a few tens of KiB).

/// The packed bytes of a file of the source tree, by its path.
macro_rules! packed {
    ($path:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $path, ".z"))
    };
}
pub(crate) use packed;

/// The largest text unpacked: more than any packed file holds.
const MAX_UNPACKED: usize = 1 << 20;

/// The text of packed bytes. The bytes are the build's own, so they always
/// inflate; were they ever damaged, the text is empty (a test would show it
/// first: every packed file is read by one).
pub fn text(packed: &[u8]) -> String {
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_UNPACKED).unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The text of packed bytes, unpacked once for the life of the program.
pub fn once(cell: &'static std::sync::OnceLock<String>, packed: &[u8]) -> &'static str {
    cell.get_or_init(|| text(packed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_packed_file_is_the_file() {
        let kept = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/static/app.js"))
            .expect("app.js");
        assert_eq!(super::text(packed!("web/static/app.js")), kept);
        assert_eq!(super::text(b"not deflate at all"), "");
    }
}
