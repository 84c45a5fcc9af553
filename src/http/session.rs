//! Sessions at the HTTP edge: the session cookie, the [`Subscriber`] extractor that
//! every portal page takes (so no page can forget to check), CSRF tokens and the
//! same-origin check for every state change.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};

use super::error::{Answer, HttpError};
use super::i18n::Tr;
use super::HttpState;
use crate::domain::access::{Actor, Channel};
use crate::domain::account::Profile;
use crate::services::sessions::{Session, ABSOLUTE_SECS};
use crate::services::ServiceError;

/// The cookies the portal sets. Over TLS their names carry the `__Host-`
/// prefix: the browser then keeps them only if they are Secure, for the whole
/// host and no domain, so no sibling host or plain-HTTP page can plant one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cookie {
    /// The login session.
    Session,
    /// The login form's double-submit token (no session exists yet to hold one).
    Pre,
}

impl Cookie {
    pub fn name(self, tls: bool) -> &'static str {
        match (self, tls) {
            (Cookie::Session, true) => "__Host-webcti_session",
            (Cookie::Session, false) => "webcti_session",
            (Cookie::Pre, true) => "__Host-webcti_pre",
            (Cookie::Pre, false) => "webcti_pre",
        }
    }
}

/// Whether the request came over TLS: cookies are `Secure` then.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub tls: bool,
}

/// A logged-in subscriber, checked on the server for every request that takes
/// one: his session, the [`Actor`] every service call is made as, his profile
/// and his language.
pub struct Subscriber {
    pub session: Session,
    pub actor: Actor,
    pub profile: Profile,
    pub tr: Tr,
    /// The extension a manager's page is about (`?for=N`), when it is not his
    /// own: read through the services, so it is one he may see.
    pub managed: Option<Profile>,
}

impl Subscriber {
    /// His own extension.
    pub fn ext(&self) -> &str {
        &self.session.ext
    }

    /// The extension the page is about: the managed one on the pages a
    /// manager opens for his people (forwarding, services, history, journal,
    /// keys), else his own.
    pub fn subject(&self) -> &str {
        self.managed.as_ref().map_or(&self.session.ext, |p| &p.number)
    }

    /// The managed extension's number, empty on his own pages: what those
    /// pages' links and forms carry (`for`) to stay on it.
    pub fn managed_ext(&self) -> &str {
        self.managed.as_ref().map_or("", |p| &p.number)
    }

    /// "100 Anna Kowalska", for the page's header; a managed extension's name
    /// says whose settings these are.
    pub fn heading(&self) -> String {
        match &self.managed {
            Some(p) => format!("{} {} · {}", p.number, p.name, self.tr.t("manager.managing")),
            None => format!("{} {}", self.profile.number, self.profile.name),
        }
    }

    /// A service's refusal, in his language.
    pub fn error(&self, e: ServiceError) -> HttpError {
        HttpError::from_service(self.tr, e)
    }

    /// Refuses a state change that is not from our own page with this session's token.
    pub fn check_post(&self, h: &HeaderMap, token: &str) -> Result<(), HttpError> {
        if same_origin(h) && same_secret(&self.session.csrf, token) {
            return Ok(());
        }
        tracing::warn!(extension = %self.session.ext, "refused a request without a valid CSRF token or origin");
        Err(HttpError::Forbidden(self.tr.t("error.forbidden").to_owned()))
    }
}

/// An administrator, checked on the server for every request of the
/// administrator's pages: the subscriber he logged in as (session, profile,
/// language) and the administrator [`Actor`] those pages call services as.
pub struct Administrator {
    pub who: Subscriber,
    pub actor: Actor,
}

impl FromRequestParts<HttpState> for Administrator {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let who = Subscriber::from_request_parts(parts, state).await?;
        let (actor, _) = state
            .services
            .accounts
            .administrator_for(&who.session, Channel::Web)
            .await
            .map_err(|e| who.error(e))?;
        tracing::Span::current().record("actor", tracing::field::display(actor.label()));
        Ok(Administrator { who, actor })
    }
}

/// A cookie's value from the request (by its name for this transport).
pub fn cookie(headers: &HeaderMap, which: Cookie, tls: bool) -> Option<&str> {
    named_cookie(headers, which.name(tls))
}

fn named_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
pub fn set_cookie(which: Cookie, value: &str, max_age: i64, tls: bool) -> HeaderValue {
    let name = which.name(tls);
    let secure = if tls { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

pub fn session_cookie(id: &str, tls: bool) -> HeaderValue {
    set_cookie(Cookie::Session, id, ABSOLUTE_SECS, tls)
}

pub fn clear_cookie(which: Cookie, tls: bool) -> HeaderValue {
    set_cookie(which, "", 0, tls)
}

/// A visitor's page (no session yet) with a fresh double-submit token for its
/// form: the token is in the page and in a cookie, and the post must bring both.
pub fn with_pre_token(
    status: Answer,
    tx: Transport,
    page: impl FnOnce(&str) -> axum::response::Response,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok(token) = crate::system::random::hex_token(16) else {
        return HttpError::Internal("no random token".into()).into_response();
    };
    let body = page(&token);
    (status.status(), [(header::SET_COOKIE, set_cookie(Cookie::Pre, &token, 3600, tx.tls))], body)
        .into_response()
}

/// Whether a visitor's post brings the token of [`with_pre_token`], from our own page.
pub fn pre_token_ok(h: &HeaderMap, tx: Transport, form_token: &str) -> bool {
    let pre = cookie(h, Cookie::Pre, tx.tls).unwrap_or("");
    same_origin(h) && !pre.is_empty() && same_secret(pre, form_token)
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    crate::system::random::same_bytes(a.as_bytes(), b.as_bytes())
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
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let services = &state.services;
        let tls = parts.extensions.get::<Transport>().is_some_and(|t| t.tls);
        let id = cookie(&parts.headers, Cookie::Session, tls).ok_or(HttpError::Login)?;
        let session = services.auth.sessions.get(id, services.now()).ok_or(HttpError::Login)?;
        // A PIN login may do nothing but set a password.
        if session.must_set_password && parts.uri.path() != "/password" && parts.uri.path() != "/logout" {
            return Err(HttpError::SetPasswordFirst);
        }
        // A password with a second factor: nothing but its code until it is given.
        if session.needs_code && parts.uri.path() != "/login/code" && parts.uri.path() != "/logout" {
            return Err(HttpError::CodeFirst);
        }
        let (actor, profile) = match services.accounts.actor_for(&session, Channel::Web).await {
            Ok(found) => found,
            // The extension was removed: its sessions and streams end with it.
            Err(ServiceError::NotFound) => {
                services.auth.sessions.end_all(&session.ext);
                return Err(HttpError::Login);
            }
            Err(e) => return Err(HttpError::Internal(e.to_string())),
        };
        tracing::Span::current().record("actor", tracing::field::display(actor.label()));
        let path = parts.uri.path();
        if session.must_enrol && !matches!(path, ADMIN_TWO_FACTOR | MANAGER_TWO_FACTOR | "/logout") {
            return Err(HttpError::EnrolFirst(if profile.is_admin {
                ADMIN_TWO_FACTOR
            } else {
                MANAGER_TWO_FACTOR
            }));
        }
        let tr = Tr::new(&profile.language);
        let managed = match managed_number(parts.uri.query()) {
            Some(ext) if ext != session.ext => {
                let p = services.accounts.profile(&actor, ext).await;
                Some(p.map_err(|e| HttpError::from_service(tr, e))?)
            }
            _ => None,
        };
        Ok(Subscriber { session, actor, profile, tr, managed })
    }
}

/// Where administrators and managers enrol their second factor.
pub const ADMIN_TWO_FACTOR: &str = "/admin/2fa";
pub const MANAGER_TWO_FACTOR: &str = "/manager/2fa";

/// The `for` of a query (`?for=101`): the extension a manager's page is about.
fn managed_number(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|kv| kv.strip_prefix("for="))
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
        let h = headers(&[("cookie", "a=1; __Host-webcti_session=abc"), ("cookie", "webcti_session=x")]);
        assert_eq!(cookie(&h, Cookie::Session, true), Some("abc"));
        assert_eq!(cookie(&h, Cookie::Session, false), Some("x"), "plain HTTP has its own");
        assert_eq!(cookie(&h, Cookie::Pre, true), None);
        let v = session_cookie("abc", true);
        let v = v.to_str().expect("ascii");
        assert!(v.starts_with("__Host-webcti_session=abc; Path=/;"), "{v}");
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict") && v.contains("Secure"), "{v}");
        assert!(!v.contains("Domain"), "{v}");
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
    }
}
