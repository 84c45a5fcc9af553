//! Security headers on every response, and no version banner. Nothing is kept
//! in a browser's or proxy's cache unless the handler says so (only the static
//! assets do): pages hold a subscriber's calls and contacts.

use axum::http::{header, HeaderValue, Response};

/// Content Security Policy: our own scripts and styles only, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'";
/// HSTS in HTTPS-only mode: a year.
pub const HSTS: &str = "max-age=31536000";

/// Adds the security headers to a response; HSTS only in HTTPS-only mode.
pub fn secure<B>(mut resp: Response<B>, https_only: bool) -> Response<B> {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), geolocation=(), microphone=(self)"));
    if https_only {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.remove(header::SERVER);
    resp
}
