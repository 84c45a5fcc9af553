//! What every visitor may fetch: the health check, the embedded static assets,
//! and the answers for unknown paths and interfaces where WebCTI is off.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use std::sync::OnceLock;

use super::HttpState;
use crate::packed::packed;

/// `GET /healthz`: 200 only when the store answers, was not found damaged, and
/// the core link is up.
pub async fn healthz(State(state): State<HttpState>) -> Response {
    let h = state.services.health().await;
    let healthy = h.store && !h.damaged && h.core;
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok| if ok { "up" } else { "down" };
    let store = if h.damaged { "damaged" } else { word(h.store) };
    let body = serde_json::json!({ "store": store, "core": word(h.core) });
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// Assets embedded in the binary (packed): (name, content type, bytes, the text once unpacked).
type Asset = (&'static str, &'static str, &'static [u8], OnceLock<String>);
static ASSETS: [Asset; 3] = [
    ("style.css", "text/css; charset=utf-8", packed!("web/static/style.css"), OnceLock::new()),
    ("app.js", "text/javascript; charset=utf-8", packed!("web/static/app.js"), OnceLock::new()),
    // The shared worker that holds the one live stream of a browser's pages.
    ("live.js", "text/javascript; charset=utf-8", packed!("web/static/live.js"), OnceLock::new()),
];

/// `GET /static/{file}`
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        Some((_, ctype, bytes, text)) => {
            let text = crate::packed::once(text, bytes);
            ([(header::CONTENT_TYPE, *ctype), (header::CACHE_CONTROL, "public, max-age=86400")], text)
                .into_response()
        }
        None => not_found().await,
    }
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found\n").into_response()
}

pub async fn webcti_off() -> Response {
    (StatusCode::FORBIDDEN, "WebCTI is not enabled on this interface.\n").into_response()
}
