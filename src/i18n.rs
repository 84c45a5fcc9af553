//! Translations: Polish, English and German, embedded (packed) from `web/i18n/*.toml`. Each
//! file is a flat table of keys; a test checks that every language has every key
//! and that every key the templates use exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::packed::packed;

/// The languages, each with its file (packed).
pub const LANGUAGES: &[(&str, &[u8])] = &[
    ("pl", packed!("web/i18n/pl.toml")),
    ("en", packed!("web/i18n/en.toml")),
    ("de", packed!("web/i18n/de.toml")),
];
pub const DEFAULT: &str = "en";

type Table = HashMap<String, String>;

fn tables() -> &'static HashMap<&'static str, Table> {
    static TABLES: OnceLock<HashMap<&'static str, Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        LANGUAGES
            .iter()
            .map(|(code, packed)| {
                // The files are ours and checked by tests; a broken one shows keys.
                let table: Table = toml::from_str(&crate::packed::text(packed)).unwrap_or_default();
                (*code, table)
            })
            .collect()
    })
}

/// The translations of one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: &'static str,
}

impl Tr {
    /// The language with this code, or English.
    pub fn new(code: &str) -> Tr {
        let lang = LANGUAGES.iter().map(|(c, _)| *c).find(|c| *c == code).unwrap_or(DEFAULT);
        Tr { lang }
    }

    /// The text for `key`; the key itself if it is missing (tests make sure none is).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match tables().get(self.lang).and_then(|t| t.get(key)) {
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
    let mut k: Vec<String> = tables().get(code).map(|t| t.keys().cloned().collect()).unwrap_or_default();
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
