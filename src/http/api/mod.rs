//! The provisioning API, `/api/v1` (SPEC V1-V3): JSON over HTTPS for scripts,
//! a second front end over the same service calls as the portal, so the two
//! never disagree. A change takes effect when the call returns (the core is
//! programmed within it); there is no apply step. Every request but the
//! OpenAPI document needs a bearer token (`door`); what it may do is decided by
//! `domain::access` from the token's scopes, like any caller's.
//!
//! The document (`/api/v1/openapi.json`, OpenAPI 3.1) is made by utoipa from
//! the handlers' own types and annotations ([`document_text`]); `tests/api.rs`
//! checks that every route of [`router`] is in it, with its scope.

mod book;
mod books;
pub(crate) mod bulk;
mod calls;
mod config;
mod costs;
mod cti;
mod departments;
pub mod door;
mod extensions;
mod features;
mod forwarding;
mod installer;
mod lookup;
pub(crate) mod presence;
mod records;
#[cfg(feature = "openapi")]
mod schema;
pub(crate) mod sheets;
mod smtp;
mod tls;
mod tokens;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::http::i18n::visitor_language;
use crate::http::HttpState;

/// What the API keeps between requests: the answers to `Idempotency-Key`s,
/// the one bulk import that may run at a time (a 4 MiB file is read whole,
/// and that memory is bounded by there being one), and the lock a change of
/// a resource holds from reading it to writing it (`door::replace`).
pub struct ApiState {
    pub idempotency: door::Idempotency,
    /// One whole import at a time (the API's and the portal's page).
    pub bulk: std::sync::Arc<tokio::sync::Semaphore>,
    pub changes: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Default for ApiState {
    fn default() -> ApiState {
        ApiState {
            idempotency: door::Idempotency::default(),
            bulk: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            changes: std::sync::Arc::default(),
        }
    }
}

/// The API's routes, nested under `/api/v1` by the portal's router.
pub fn router() -> Router<HttpState> {
    Router::new()
        .route("/openapi.json", get(document))
        .route("/extensions", get(extensions::list))
        .route("/extensions/{number}", get(extensions::get).put(extensions::put).patch(extensions::patch))
        .route("/extensions/{number}/journal", get(extensions::journal))
        .route("/extensions/{number}/services", get(features::get).put(features::put).patch(features::patch))
        .route("/extensions/{number}/voicemail", get(records::voicemail))
        .route(
            "/extensions/{number}/forwarding",
            get(forwarding::get).put(forwarding::put).patch(forwarding::patch),
        )
        .route("/extensions/{number}/presence", get(presence::get).post(presence::set))
        .route("/extensions/{number}/presence/{id}", axum::routing::delete(presence::end))
        .route("/extensions/{number}/costs", get(costs::get).put(costs::put).patch(costs::patch))
        .route("/extensions/{number}/costs/top-up", post(costs::top_up))
        .route("/extensions/{number}/costs/reset", post(costs::reset))
        .route("/costs", get(costs::list))
        .route("/tariff", get(costs::tariff_get).put(costs::tariff_put))
        .route("/departments", get(departments::list).post(departments::create))
        .route(
            "/departments/{id}",
            get(departments::get).put(departments::put).patch(departments::patch).delete(departments::delete),
        )
        .route("/cti/accounts", get(cti::accounts).post(cti::account_create))
        .route(
            "/cti/accounts/{id}",
            get(cti::account_get).put(cti::account_put).patch(cti::account_patch).delete(cti::account_delete),
        )
        .route(
            "/cti/accounts/{id}/rights",
            get(cti::rights_get).put(cti::rights_put).patch(cti::rights_patch),
        )
        .route("/cti/groups", get(cti::list).post(cti::create))
        .route("/cti/groups/{id}", get(cti::get).put(cti::put).patch(cti::patch).delete(cti::delete))
        .route("/smtp", get(smtp::get).put(smtp::put).patch(smtp::patch))
        .route("/tls", get(tls::get).put(tls::put).patch(tls::patch))
        .route("/tls/certificate", axum::routing::put(tls::certificate_put).delete(tls::certificate_delete))
        .route(
            "/installer",
            get(installer::get)
                .put(installer::put)
                .delete(installer::delete)
                .layer(axum::extract::DefaultBodyLimit::max(crate::services::installer::MAX_BYTES as usize)),
        )
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/calls", post(calls::place))
        .route("/cdrs", get(records::list))
        .route("/lines", get(calls::lines))
        .route("/lookup", get(lookup::lookup))
        .route("/phonebook/contacts", get(book::contacts).post(book::contact_create))
        .route(
            "/phonebook/contacts/{id}",
            get(book::contact_get)
                .put(book::contact_put)
                .patch(book::contact_patch)
                .delete(book::contact_delete),
        )
        .route("/phonebook/books", get(books::list).post(books::create))
        .route("/phonebook/books/{id}", get(books::get).delete(books::delete))
        .route("/phonebook/books/{id}/sync", post(books::sync))
        .route(
            "/phonebook/books/{id}/contacts",
            // A contact file, as large as the books page takes.
            get(books::contacts).put(books::fill).layer(axum::extract::DefaultBodyLimit::max(bulk::MAX_BULK)),
        )
        .route("/phonebook/groups", get(book::groups).post(book::group_create))
        .route(
            "/phonebook/groups/{id}",
            get(book::group_get).put(book::group_put).patch(book::group_patch).delete(book::group_delete),
        )
        .route(
            "/bulk",
            get(bulk::export).post(bulk::import).layer(axum::extract::DefaultBodyLimit::max(bulk::MAX_BULK)),
        )
        .route("/bulk/extensions.csv", get(bulk::export_csv))
        .route("/bulk/progress", get(bulk::progress))
        .route(
            "/bulk/csv/{part}",
            get(sheets::export)
                .post(sheets::import)
                .layer(axum::extract::DefaultBodyLimit::max(bulk::MAX_BULK)),
        )
        .route(
            "/config",
            get(config::get).put(config::put).layer(axum::extract::DefaultBodyLimit::max(bulk::MAX_BULK)),
        )
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(door::MAX_BODY))
}

async fn not_found(headers: axum::http::HeaderMap) -> Response {
    door::Problem::not_found(&visitor_language(&headers)).into_response()
}

/// The document as served: `docs/openapi.json`, which utoipa makes from the
/// handlers' types and annotations (`cargo test --features openapi`, as
/// `make test` runs, fails while the file is not what they make; with
/// `UPDATE_OPENAPI=1` it writes it). The board's binary carries the document,
/// not the code that makes it (128 KiB of the board's binary).
/// (Packed in the binary: 40 KB as 7.)
pub fn document_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    crate::packed::once(&TEXT, crate::packed::packed!("docs/openapi.json"))
}

async fn document() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], document_text()).into_response()
}

/// The document made from the types and annotations.
#[cfg(feature = "openapi")]
pub mod openapi {
    use super::schema::Finish;
    use super::{
        book, books, bulk, calls, config, costs, cti, departments, extensions, features, forwarding,
        installer, lookup, presence, records, sheets, smtp, tls, tokens,
    };
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(
        info(
            title = "WebCTI provisioning API",
            description = "Configure the telephone exchange by script: extensions and their forwarding, departments, tokens, calls, call records, the whole configuration. \
                Changes take effect when the call returns. PATCH takes a JSON Merge Patch (RFC 7396); \
                every resource has an ETag, and If-Match makes a change conditional (412 when stale); \
                POST honours an Idempotency-Key; refusals are application/problem+json (RFC 9457) in \
                the language Accept-Language asks for (pl, en, de)."
        ),
        paths(
            extensions::list, extensions::get, extensions::put, extensions::patch, extensions::journal,
            forwarding::get, forwarding::put, forwarding::patch,
            features::get, features::put, features::patch,
            records::voicemail,
            presence::get, presence::set, presence::end,
            costs::get, costs::put, costs::patch, costs::top_up, costs::reset, costs::list,
            costs::tariff_get, costs::tariff_put,
            departments::list, departments::create, departments::get, departments::put, departments::patch,
            departments::delete,
            cti::accounts, cti::account_create, cti::account_get, cti::account_put, cti::account_patch,
            cti::account_delete, cti::rights_get, cti::rights_put, cti::rights_patch,
            cti::list, cti::create, cti::get, cti::put, cti::patch, cti::delete,
            smtp::get, smtp::put, smtp::patch,
            tls::get, tls::put, tls::patch, tls::certificate_put, tls::certificate_delete,
            installer::get, installer::put, installer::delete,
            tokens::list, tokens::create, tokens::revoke,
            calls::place, calls::lines,
            records::list,
            lookup::lookup,
            book::contacts, book::contact_create, book::contact_get, book::contact_put, book::contact_patch,
            book::contact_delete, book::groups, book::group_create, book::group_get, book::group_put,
            book::group_patch, book::group_delete,
            books::list, books::get, books::create, books::delete, books::sync, books::contacts, books::fill,
            bulk::export, bulk::export_csv, bulk::import, bulk::progress, sheets::export, sheets::import,
            config::get, config::put,
            openapi_json,
        ),
        modifiers(&Finish),
        tags(
            (name = "extensions", description = "What an administrator sets about each extension"),
            (name = "departments"),
            (name = "cti", description = "The CTI server's accounts with their rights, and its groups, shown to their members as busy-lamp panels"),
            (name = "board", description = "The board's own settings: the mail server it sends through, how the portal is reached and its certificate, and the desktop client's installer that subscribers download"),
            (name = "tokens", description = "The API's bearer tokens"),
            (name = "calls", description = "Click-to-call and the lines' states"),
            (name = "records", description = "Call records, for billing, and the voicemail index"),
            (name = "presence", description = "What each extension shows its colleagues: twelve states, timed, with calls forwarded or DND meanwhile"),
            (name = "costs", description = "Call costs: each extension's limit, top-up and credit, and the tariff"),
            (name = "phonebook", description = "The public book (Global.Phonebook): its contacts and groups; and reverse lookup: who a number is, however it is written"),
        (name = "bulk", description = "Departments, extensions, CTI accounts and CTI groups exported and imported whole"),
            (name = "config", description = "The whole configuration as one document, for a new board made the same as an old one"),
            (name = "document", description = "This document"),
        )
    )]
    struct ApiDoc;

    /// The document (no token needed).
    #[utoipa::path(get, operation_id = "document", path = "/api/v1/openapi.json", tag = "document",
        responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json")))]
    #[allow(dead_code)]
    fn openapi_json() {}

    /// The document, as `docs/openapi.json` keeps it: compact, as the board
    /// serves it (`jq . docs/openapi.json` reads it), a third of the size.
    pub fn document() -> String {
        let mut text = ApiDoc::openapi().to_json().unwrap_or_default();
        text.push('\n');
        text
    }
}
