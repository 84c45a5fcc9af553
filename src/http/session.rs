//! Sessions at the HTTP edge: the session cookie, the [`Subscriber`] extractor that
//! every portal page takes (so no page can forget to check), CSRF tokens and the
//! same-origin check for every state change.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::Tr;
use super::HttpState;
use crate::services::sessions::{Session, ABSOLUTE_SECS};
use crate::store::accounts::Profile;

pub const COOKIE: &str = "webcti_session";
/// The login form's double-submit token (no session exists yet to hold one).
pub const PRE_COOKIE: &str = "webcti_pre";

/// Whether the request came over TLS: cookies are `Secure` then.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub tls: bool,
}

/// A logged-in subscriber, checked on the server for every request that takes one.
pub struct Subscriber {
    pub session: Session,
    pub profile: Profile,
    pub tr: Tr,
}

pub fn now() -> i64 {
    crate::sim::wall_clock()
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure over TLS.
pub fn set_cookie(name: &str, value: &str, max_age: i64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

pub fn session_cookie(id: &str, tls: bool) -> HeaderValue {
    set_cookie(COOKIE, id, ABSOLUTE_SECS, tls)
}

pub fn clear_cookie(name: &str, tls: bool) -> HeaderValue {
    set_cookie(name, "", 0, tls)
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A state change must come from our own pages: if the browser says where the
/// request comes from (Origin, else Referer), it must be this host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let from =
        headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    match (from, host) {
        (None, _) => true,
        (Some(from), Some(host)) => {
            let rest = from.split_once("://").map(|(_, r)| r).unwrap_or("");
            let authority = rest.split('/').next().unwrap_or("");
            authority.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => false,
    }
}

/// The peer's address.
pub fn peer(parts: &Parts) -> std::net::IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
}

impl FromRequestParts<HttpState> for Subscriber {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/").into_response();
        let id = cookie(&parts.headers, COOKIE).ok_or_else(to_login)?;
        let session = state.auth.sessions.get(id, now()).ok_or_else(to_login)?;
        // A PIN login may do nothing but set a password.
        if session.must_set_password && parts.uri.path() != "/password" && parts.uri.path() != "/logout" {
            return Err(Redirect::to("/password").into_response());
        }
        let profile = match state.store.profile(&session.ext).await {
            Ok(Some(p)) => p,
            // The extension was removed: the session ends with it.
            _ => {
                state.auth.sessions.remove(&session.id);
                return Err(to_login());
            }
        };
        let tr = Tr::new(&profile.language);
        Ok(Subscriber { session, profile, tr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origins() {
        assert!(same_origin(&headers(&[("host", "pbx:8443"), ("origin", "https://pbx:8443")])));
        assert!(same_origin(&headers(&[("host", "pbx:8443"), ("referer", "https://pbx:8443/start?x=1")])));
        assert!(same_origin(&headers(&[("host", "pbx:8443")])), "old browsers send neither");
        assert!(!same_origin(&headers(&[("host", "pbx:8443"), ("origin", "https://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "pbx:8443"), ("origin", "null")])));
        assert!(!same_origin(&headers(&[("host", "pbx:8443"), ("origin", "https://pbx:8443.evil.example")])));
    }

    #[test]
    fn cookies() {
        let h = headers(&[("cookie", "a=1; webcti_session=abc"), ("cookie", "b=2")]);
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
        let v = session_cookie("abc", true);
        let v = v.to_str().expect("ascii");
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict") && v.contains("Secure"), "{v}");
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
    }
}
