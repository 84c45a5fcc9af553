//! The directory for desk phones (SPEC Y4): the extensions and the public book
//! in the remote-phonebook XML that Yealink and Snom phones read, searched by
//! name or number (`?q=`; Yealink's URL takes `q=#SEARCH`, Snom's search form
//! is `/phones/snom-search.xml`). HTTPS only. Each phone has its own
//! credential: an API token with the `phonebook:read` scope that an
//! administrator makes for it (and revokes, and sees last used), sent as the
//! password of HTTP Basic authentication (phones ask for user and password;
//! the user name is not read) or as a bearer token. Wrong secrets are throttled
//! as the API's are. Every number is given in the form the phone should dial:
//! `+` and the international number where the board's dialling plan tells it.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;

use super::session::{peer, Transport};
use super::HttpState;
use crate::domain::access::Actor;
use crate::domain::phonebook::{Entry, Source};
use crate::i18n::{visitor_language, Tr};
use crate::phonebook::NumberKind;
use crate::services::tokens::BearerError;

/// Entries in one answer at most: what a phone's list pages through comfortably.
pub const PHONE_ENTRIES: usize = 100;
/// Numbers of one contact a Yealink entry carries (its office, mobile, other).
const YEALINK_NUMBERS: usize = 3;
/// The longest search a phone may send.
const MAX_SEARCH: usize = 64;

/// A desk phone that gave a token's secret.
pub struct Phone {
    actor: Actor,
}

/// Why a phone is not answered: said in plain text, with the challenge that
/// makes a phone send its user and password.
pub struct Refused(StatusCode, String, Option<u64>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut r = (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.1).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"webcti directory\", charset=\"UTF-8\""),
            );
        }
        if let Some(secs) = self.2.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            r.headers_mut().insert(header::RETRY_AFTER, secs);
        }
        r
    }
}

/// The secret of `Authorization: Basic` (the password) or `Bearer`.
fn secret(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if !scheme.eq_ignore_ascii_case("basic") || rest.len() > 512 {
        return None;
    }
    let pair = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let pair = String::from_utf8(pair).ok()?;
    pair.split_once(':').map(|(_, password)| password.to_owned())
}

impl FromRequestParts<HttpState> for Phone {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let tr = visitor_language(&parts.headers);
        if !parts.extensions.get::<Transport>().is_some_and(|t| t.tls) {
            return Err(Refused(StatusCode::FORBIDDEN, tr.t("directory.https_required").to_owned(), None));
        }
        let unauthorized =
            || Refused(StatusCode::UNAUTHORIZED, tr.t("directory.unauthorized").to_owned(), None);
        let Some(secret) = secret(&parts.headers) else { return Err(unauthorized()) };
        match state.services.tokens.authenticate(&secret, peer(parts)).await {
            Ok(actor) => {
                tracing::Span::current().record("actor", tracing::field::display(actor.label()));
                Ok(Phone { actor })
            }
            Err(BearerError::Invalid) => Err(unauthorized()),
            Err(BearerError::Throttled(secs)) => Err(Refused(
                StatusCode::TOO_MANY_REQUESTS,
                tr.f("login.throttled", "secs", &secs.to_string()),
                Some(secs),
            )),
            Err(BearerError::Service(_)) => {
                Err(Refused(StatusCode::SERVICE_UNAVAILABLE, tr.t("error.internal").to_owned(), None))
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Search {
    /// A name or a number, or part of one; left out, the directory's first entries.
    #[serde(default)]
    q: String,
}

/// The phone makers whose directory format is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Maker {
    Yealink,
    Snom,
}

/// `GET /phones/yealink.xml?q=`
pub async fn yealink(
    state: axum::extract::State<HttpState>,
    phone: Phone,
    headers: HeaderMap,
    q: Query<Search>,
) -> Response {
    directory(&state, &phone, &headers, &q.q, Maker::Yealink).await
}

/// `GET /phones/snom.xml?q=`
pub async fn snom(
    state: axum::extract::State<HttpState>,
    phone: Phone,
    headers: HeaderMap,
    q: Query<Search>,
) -> Response {
    directory(&state, &phone, &headers, &q.q, Maker::Snom).await
}

async fn directory(state: &HttpState, phone: &Phone, headers: &HeaderMap, q: &str, maker: Maker) -> Response {
    let tr = visitor_language(headers);
    let q: String = q.chars().filter(|c| !c.is_control()).take(MAX_SEARCH).collect();
    let phonebook = &state.services.phonebook;
    match phonebook.directory(&phone.actor, &q, PHONE_ENTRIES).await {
        Ok(entries) => {
            let dial = |n: &str| phonebook.dial_form(n);
            let body = match maker {
                Maker::Yealink => yealink_xml(&entries, dial),
                Maker::Snom => snom_xml(&tr, &entries, dial),
            };
            xml(body)
        }
        Err(crate::services::ServiceError::Denied(_)) => {
            Refused(StatusCode::FORBIDDEN, tr.t("directory.forbidden").to_owned(), None).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "the directory could not be read");
            Refused(StatusCode::SERVICE_UNAVAILABLE, tr.t("error.internal").to_owned(), None).into_response()
        }
    }
}

/// `GET /phones/snom-search.xml`: the form a Snom phone shows to search, which
/// sends what is typed to `/phones/snom.xml` as `q`.
pub async fn snom_search(_phone: Phone, headers: HeaderMap) -> Response {
    let tr = visitor_language(&headers);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    // A Host of ours: a name or an address with a port, nothing to break out of the URL.
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(*c)).collect();
    xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SnomIPPhoneInput>\n<Title>{title}</Title>\n<Prompt>{prompt}</Prompt>\n\
         <URL>https://{host}/phones/snom.xml</URL>\n<InputItem>\n<DisplayName>{prompt}</DisplayName>\n\
         <QueryStringParam>q</QueryStringParam>\n<DefaultValue/>\n<InputFlags>a</InputFlags>\n</InputItem>\n</SnomIPPhoneInput>\n",
        title = escape(tr.t("directory.title")),
        prompt = escape(tr.t("directory.search")),
    ))
}

fn xml(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

/// An entry's name as a phone's list shows it.
fn name_of(e: &Entry) -> String {
    match e.source {
        Source::Extension => format!("{} {}", e.contact.first_name, e.contact.last_name).trim().to_owned(),
        Source::Book(_) | Source::Directory(_) => e.contact.display_name(),
    }
}

/// The numbers of an entry a phone can call, with their kinds.
fn voice_numbers(e: &Entry) -> impl Iterator<Item = (NumberKind, &str)> {
    e.contact.numbers.iter().filter(|n| n.kind != NumberKind::Fax).map(|n| (n.kind, n.number.as_str()))
}

/// Yealink's remote phonebook: one entry per contact with up to three numbers.
fn yealink_xml(entries: &[Entry], dial: impl Fn(&str) -> String) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<YealinkIPPhoneDirectory>\n");
    for e in entries {
        let numbers: Vec<String> = voice_numbers(e).take(YEALINK_NUMBERS).map(|(_, n)| dial(n)).collect();
        if numbers.is_empty() {
            continue;
        }
        out.push_str(&format!("<DirectoryEntry>\n<Name>{}</Name>\n", escape(&name_of(e))));
        for n in numbers {
            out.push_str(&format!("<Telephone>{}</Telephone>\n", escape(&n)));
        }
        out.push_str("</DirectoryEntry>\n");
    }
    out.push_str("</YealinkIPPhoneDirectory>\n");
    out
}

/// Snom's directory: one entry per number, the kind after the name when a
/// contact has more than one.
fn snom_xml(tr: &Tr, entries: &[Entry], dial: impl Fn(&str) -> String) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SnomIPPhoneDirectory>\n<Title>{}</Title>\n<Prompt>{}</Prompt>\n",
        escape(tr.t("directory.title")),
        escape(tr.t("directory.dial")),
    );
    for e in entries {
        let name = name_of(e);
        let numbers: Vec<(NumberKind, &str)> = voice_numbers(e).collect();
        for (kind, number) in &numbers {
            let label = match numbers.len() {
                1 => name.clone(),
                _ => format!("{name} ({})", tr.t(&format!("phonebook.kind_{}", kind.code()))),
            };
            out.push_str(&format!(
                "<DirectoryEntry>\n<Name>{}</Name>\n<Telephone>{}</Telephone>\n</DirectoryEntry>\n",
                escape(&label),
                escape(&dial(number))
            ));
        }
    }
    out.push_str("</SnomIPPhoneDirectory>\n");
    out
}

/// Text as XML character data and attribute values take it.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no control characters but tab and line breaks.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phonebook::{BookKind, Contact, Number};

    fn entry(source: Source, first: &str, last: &str, numbers: &[(NumberKind, &str)]) -> Entry {
        Entry {
            id: 1,
            source,
            contact: Contact {
                first_name: first.into(),
                last_name: last.into(),
                numbers: numbers
                    .iter()
                    .map(|(kind, n)| Number { kind: *kind, number: (*n).into() })
                    .collect(),
                ..Default::default()
            },
            vip: false,
            hide_extra: false,
        }
    }

    #[test]
    fn secrets_from_basic_and_bearer() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::AUTHORIZATION, HeaderValue::from_str(v).expect("header"));
            m
        };
        // "phone:wct_x" and a password holding a colon.
        assert_eq!(secret(&h("Basic cGhvbmU6d2N0X3g=")).as_deref(), Some("wct_x"));
        assert_eq!(secret(&h("basic OmE6Yg==")).as_deref(), Some("a:b"));
        assert_eq!(secret(&h("Bearer wct_y")).as_deref(), Some("wct_y"));
        assert_eq!(secret(&h("Basic not-base64!")), None);
        assert_eq!(secret(&h("Basic bm9jb2xvbg==")), None, "no colon: no password");
        assert_eq!(secret(&h("Digest x")), None);
        assert_eq!(secret(&HeaderMap::new()), None);
    }

    #[test]
    fn both_formats_escape_and_skip_faxes() {
        let entries = [
            entry(Source::Extension, "Anna", "Kowalska", &[(NumberKind::Work, "100")]),
            entry(
                Source::Book(BookKind::Public),
                "Tom & Jerry",
                "<Cartoons>",
                &[
                    (NumberKind::Work, "22 555 01 02"),
                    (NumberKind::Fax, "22 555 01 03"),
                    (NumberKind::Mobile, "600 100 200"),
                ],
            ),
            entry(Source::Book(BookKind::Public), "Only", "Fax", &[(NumberKind::Fax, "22 555 01 09")]),
        ];
        let dial = |n: &str| n.replace(' ', "");
        let y = yealink_xml(&entries, dial);
        assert!(
            y.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<YealinkIPPhoneDirectory>"),
            "{y}"
        );
        assert!(y.contains("<Name>Anna Kowalska</Name>\n<Telephone>100</Telephone>"), "{y}");
        assert!(
            y.contains("<Name>&lt;Cartoons&gt; Tom &amp; Jerry</Name>\n<Telephone>225550102</Telephone>\n<Telephone>600100200</Telephone>\n</DirectoryEntry>"),
            "{y}"
        );
        assert!(!y.contains("Only") && !y.contains("225550103"), "faxes are not for phones: {y}");
        let s = snom_xml(&Tr::new("en"), &entries, dial);
        assert!(s.contains("<Name>Anna Kowalska</Name>\n<Telephone>100</Telephone>"), "{s}");
        assert!(
            s.contains(
                "<Name>&lt;Cartoons&gt; Tom &amp; Jerry (Mobile)</Name>\n<Telephone>600100200</Telephone>"
            ),
            "{s}"
        );
        assert_eq!(s.matches("<DirectoryEntry>").count(), 3, "{s}");
        assert_eq!(escape("a\u{1}b\"'"), "ab&quot;&apos;");
    }
}
