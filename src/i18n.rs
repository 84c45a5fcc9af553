//! Translations: Polish, English and German, embedded (packed) from `web/i18n/*.toml`. Each
//! file is a flat table of keys; a test checks that every language has every key
//! and that every key the templates use exists.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::packed::packed;

/// The languages, each with its file (packed).
pub const LANGUAGES: &[(&str, &[u8])] = &[
    ("pl", packed!("web/i18n/pl.toml")),
    ("en", packed!("web/i18n/en.toml")),
    ("de", packed!("web/i18n/de.toml")),
];
pub const DEFAULT: &str = "en";

/// One language's texts by key. Looked up many times a page (each history
/// row's kind, each number's button), by keys of our own: FNV-1a hashes a short
/// key in a few nanoseconds, where the standard hasher (SipHash, which guards a
/// table against keys an attacker picks) took a twentieth of the history page.
type Table = HashMap<String, String, BuildHasherDefault<Fnv>>;

/// FNV-1a, 64 bits.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Each language's table, in the order of [`LANGUAGES`].
fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        LANGUAGES
            .iter()
            .map(|(_, packed)| {
                // The files are ours and checked by tests; a broken one shows keys.
                toml::from_str(&crate::packed::text(packed)).unwrap_or_default()
            })
            .collect()
    })
}

/// The translations of one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: &'static str,
    /// Where `lang` is in [`LANGUAGES`].
    table: usize,
}

impl Tr {
    /// The language with this code, or English.
    pub fn new(code: &str) -> Tr {
        let table = LANGUAGES
            .iter()
            .position(|(c, _)| *c == code)
            .or_else(|| LANGUAGES.iter().position(|(c, _)| *c == DEFAULT))
            .unwrap_or(0);
        Tr { lang: LANGUAGES[table].0, table }
    }

    /// The text for `key`; the key itself if it is missing (tests make sure none is).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match tables().get(self.table).and_then(|t| t.get(key)) {
            Some(v) => v.as_str(),
            None => key,
        }
    }

    /// The text for `key` with `{name}` replaced by `value`.
    pub fn f(&self, key: &str, name: &str, value: &str) -> String {
        self.fill(key, &[(name, value)])
    }

    /// The text for `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.t(key).to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }
}

/// The keys of one language, for tests.
pub fn keys(code: &str) -> Vec<String> {
    let table = LANGUAGES.iter().position(|(c, _)| *c == code).and_then(|i| tables().get(i));
    let mut k: Vec<String> = table.map(|t| t.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

/// The language of a visitor who has not logged in: the browser's first choice we have.
pub fn visitor_language(h: &axum::http::HeaderMap) -> Tr {
    let accept = h.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let code = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim().get(..2).unwrap_or(""))
        .find(|c| LANGUAGES.iter().any(|(l, _)| l == c))
        .unwrap_or(DEFAULT);
    Tr::new(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_is_complete() {
        let english = keys("en");
        assert!(english.len() > 50, "the English file parses");
        for (code, _) in LANGUAGES {
            let k = keys(code);
            let missing: Vec<_> = english.iter().filter(|e| !k.contains(e)).collect();
            let extra: Vec<_> = k.iter().filter(|e| !english.contains(e)).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{code}: missing {missing:?}, extra {extra:?}");
            for key in &k {
                assert!(!Tr::new(code).t(key).trim().is_empty(), "{code}: {key} is empty");
            }
        }
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let english = keys("en");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web/templates");
        let mut used = Vec::new();
        for entry in std::fs::read_dir(dir).expect("templates").flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("template");
            for part in text.split("t.t(\"").skip(1).chain(text.split("t.f(\"").skip(1)) {
                if let Some(end) = part.find('"') {
                    used.push(part[..end].to_owned());
                }
            }
        }
        assert!(!used.is_empty());
        let missing: Vec<_> = used.iter().filter(|k| !english.contains(k)).collect();
        assert!(missing.is_empty(), "keys used but not translated: {missing:?}");
    }

    #[test]
    fn languages_differ_and_fall_back_to_english() {
        assert_eq!(Tr::new("de").t("nav.history"), "Verlauf");
        assert_eq!(Tr::new("pl").t("nav.history"), "Historia");
        assert_eq!(Tr::new("xx").t("nav.history"), "History");
        assert_eq!(Tr::new("en").f("history.times", "count", "3"), "3 times");
    }
}
