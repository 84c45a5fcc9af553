//! The portal's routes: pages, the health check, embedded assets, and the plain
//! HTTP router that only redirects to HTTPS.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::{forwarding, headers, live, login, phonebook, portal, reset, HttpState};

/// Form bodies larger than this are refused before they are read.
pub const MAX_FORM: usize = 64 * 1024;

/// The portal for one interface. Where WebCTI is off (the WAN by default), every
/// request gets a refusal instead.
pub fn router(state: HttpState, webcti: bool) -> Router {
    let https_only = state.https_only;
    let router = if webcti {
        Router::new()
            .route("/", get(login::root))
            .route("/login", post(login::login))
            .route("/logout", post(login::logout))
            .route("/password", get(login::password_form).post(login::set_password))
            .route("/forgot", get(reset::forgot_form).post(reset::forgot))
            .route("/reset", get(reset::reset_form).post(reset::reset))
            .route("/start", get(portal::start))
            .route("/start/panels", get(portal::panels))
            .route("/history", get(portal::history))
            .route("/voicemail", get(portal::voicemail))
            .route("/settings", get(portal::settings))
            .route("/settings/profile", post(portal::save_profile))
            .route("/settings/app", post(portal::save_app))
            .route("/call", post(portal::call))
            .route("/services", get(forwarding::services).post(forwarding::save_services))
            .route("/forwarding", get(forwarding::forwarding).post(forwarding::save_forwarding))
            .route("/keys", get(forwarding::keys))
            .route("/download/installer", get(forwarding::download))
            .route("/phonebook", get(phonebook::list))
            .route("/phonebook/selection", post(phonebook::selection))
            .route("/phonebook/group", post(phonebook::new_group))
            .route("/phonebook/contact", post(phonebook::add))
            .route("/phonebook/export", get(phonebook::export))
            .route(
                "/phonebook/import",
                post(phonebook::import)
                    .layer(axum::extract::DefaultBodyLimit::max(phonebook::MAX_IMPORT_BYTES)),
            )
            .route("/events", get(live::events))
            .route("/healthz", get(healthz))
            .route("/static/{file}", get(asset))
            .fallback(not_found)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM))
            .with_state(state)
    } else {
        Router::new().fallback(webcti_off)
    };
    router.layer(axum::middleware::map_response(
        move |r: Response| async move { headers::secure(r, https_only) },
    ))
}

/// Plain HTTP in HTTPS-only mode: everything is redirected to the same path over HTTPS.
pub fn redirect_router(https_port: u16) -> Router {
    Router::new()
        .fallback(move |h: HeaderMap, uri: Uri| async move { redirect_to_https(&h, &uri, https_port) })
        .layer(axum::middleware::map_response(|r: Response| async move { headers::secure(r, false) }))
}

fn redirect_to_https(h: &HeaderMap, uri: &Uri, https_port: u16) -> Response {
    let host =
        h.get(header::HOST).and_then(|v| v.to_str().ok()).and_then(host_without_port).unwrap_or("localhost");
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let target = match https_port {
        443 => format!("https://{host}{path}"),
        port => format!("https://{host}:{port}{path}"),
    };
    Redirect::permanent(&target).into_response()
}

/// The host part of a Host header, if it is a plain name or address (nothing that
/// could smuggle a path or a second header into the redirect).
fn host_without_port(v: &str) -> Option<&str> {
    let host = if let Some(rest) = v.strip_prefix('[') {
        let end = rest.find(']')?;
        &v[..end + 2]
    } else {
        v.split(':').next()?
    };
    let ok = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    ok.then_some(host)
}

/// Renders a page; a template error is logged and answered with 500.
pub fn render<T: Template>(t: T) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page that could not be made (the store failed): logged, answered with 500.
pub fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

async fn healthz(State(state): State<HttpState>) -> Response {
    let store = state.store.ping().await.is_ok();
    let core = state.link.is_up();
    let status = if store && core { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok| if ok { "up" } else { "down" };
    let body = serde_json::json!({ "store": word(store), "core": word(core) });
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// Assets embedded in the binary: (name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("style.css", "text/css; charset=utf-8", include_bytes!("../../web/static/style.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/static/app.js")),
];

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, ctype, bytes)) => {
            ([(header::CONTENT_TYPE, *ctype), (header::CACHE_CONTROL, "public, max-age=86400")], *bytes)
                .into_response()
        }
        None => not_found().await,
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found\n").into_response()
}

async fn webcti_off() -> Response {
    (StatusCode::FORBIDDEN, "WebCTI is not enabled on this interface.\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::host_without_port;

    #[test]
    fn host_header_is_cut_to_a_safe_host() {
        let cases = [
            ("pbx.local:8080", Some("pbx.local")),
            ("10.0.0.5", Some("10.0.0.5")),
            ("[::1]:8080", Some("[::1]")),
            ("evil.com/x", None),
            ("a b", None),
            ("", None),
        ];
        for (input, expect) in cases {
            assert_eq!(host_without_port(input), expect, "{input}");
        }
    }
}
