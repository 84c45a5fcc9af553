//! The router: every route of the portal and the handler behind it, one span per
//! request, the security headers on every response, WebCTI refused on the WAN
//! while it is off there, and the plain-HTTP router that redirects to HTTPS in
//! HTTPS-only mode.

use std::sync::Arc;

use axum::extract::MatchedPath;
use axum::http::{header, HeaderMap, Request, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::listen::Side;
use super::HttpState;
use super::{
    admin, assets, books, callbacks, costs, cti, cti_socket, features, forwarding, headers, installer,
    journal, keys, live, login, manager, phonebook, phones, portal, presence, provision, recordings, reset,
    settings, setup, tel, tokens,
};
use crate::services::exposure::Exposure;

/// Form bodies larger than this are refused before they are read.
pub const MAX_FORM: usize = 64 * 1024;

/// Who may reach a route, checked on the server by the handler's extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Visitors too: the door, the health check, the assets.
    Anyone,
    /// A logged-in subscriber with a password.
    Subscriber,
    /// A logged-in subscriber, also while a PIN login has yet to set a password.
    SubscriberOrPin,
    /// A logged-in subscriber who manages departments (refused by the
    /// services for anybody else).
    Manager,
    /// A logged-in subscriber with the administrator's rights.
    Administrator,
    /// The provisioning API: a bearer token with this scope (sessions are
    /// not accepted there).
    Token(&'static str),
    /// A desk phone: a token with `phonebook:read` given as HTTP Basic's
    /// password (or as a bearer token); a session is not accepted.
    DeskPhone,
    /// The CTI desktop protocol: a WebSocket that opens for anyone, whose
    /// first message must be a CTI account's login; a session is not
    /// accepted. Without the WebSocket handshake it is refused (400).
    CtiClient,
}

/// Every route with its method and who may reach it; `tests/routes.rs` checks
/// each against every role, and that this table and the router list the same
/// routes. A path parameter is written as an example (`/static/style.css`).
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/", Access::Anyone),
    ("GET", "/cti", Access::CtiClient),
    ("POST", "/login", Access::Anyone),
    ("GET", "/login/code", Access::Subscriber),
    ("POST", "/login/code", Access::Subscriber),
    ("POST", "/logout", Access::SubscriberOrPin),
    ("GET", "/password", Access::SubscriberOrPin),
    ("POST", "/password", Access::SubscriberOrPin),
    ("GET", "/forgot", Access::Anyone),
    ("POST", "/forgot", Access::Anyone),
    ("GET", "/reset", Access::Anyone),
    ("POST", "/reset", Access::Anyone),
    ("GET", "/setup", Access::Anyone),
    ("POST", "/setup", Access::Anyone),
    ("GET", "/start", Access::Subscriber),
    ("GET", "/start/panels", Access::Subscriber),
    ("GET", "/history", Access::Subscriber),
    ("POST", "/history/note", Access::Subscriber),
    ("GET", "/voicemail", Access::Subscriber),
    ("POST", "/voicemail", Access::Subscriber),
    ("GET", "/voicemail/audio", Access::Subscriber),
    ("GET", "/settings", Access::Subscriber),
    ("POST", "/settings/profile", Access::Subscriber),
    ("POST", "/settings/app", Access::Subscriber),
    ("POST", "/call", Access::Subscriber),
    ("POST", "/call/control", Access::Subscriber),
    ("GET", "/tel", Access::Subscriber),
    ("GET", "/costs", Access::Subscriber),
    ("GET", "/presence", Access::Subscriber),
    ("POST", "/presence", Access::Subscriber),
    ("GET", "/callbacks", Access::Subscriber),
    ("POST", "/callbacks", Access::Subscriber),
    ("GET", "/services", Access::Subscriber),
    ("POST", "/services", Access::Subscriber),
    ("GET", "/forwarding", Access::Subscriber),
    ("POST", "/forwarding", Access::Subscriber),
    ("GET", "/keys", Access::Subscriber),
    ("GET", "/journal", Access::Subscriber),
    ("GET", "/download/installer", Access::Subscriber),
    ("GET", "/phonebook", Access::Subscriber),
    ("POST", "/phonebook/selection", Access::Subscriber),
    ("POST", "/phonebook/group", Access::Subscriber),
    ("POST", "/phonebook/contact", Access::Subscriber),
    ("GET", "/phonebook/export", Access::Subscriber),
    ("POST", "/phonebook/import", Access::Subscriber),
    ("GET", "/phonebook/notes", Access::Subscriber),
    ("POST", "/phonebook/notes", Access::Subscriber),
    ("GET", "/events", Access::Subscriber),
    ("GET", "/manager", Access::Manager),
    ("POST", "/manager/take", Access::Manager),
    ("GET", "/manager/extension", Access::Manager),
    ("POST", "/manager/extension", Access::Manager),
    ("POST", "/manager/extension/password", Access::Manager),
    ("GET", "/manager/journal", Access::Manager),
    ("GET", "/manager/2fa", Access::Manager),
    ("GET", "/manager/costs", Access::Manager),
    ("POST", "/manager/2fa", Access::Manager),
    ("GET", "/admin", Access::Administrator),
    ("GET", "/admin/employees", Access::Administrator),
    ("GET", "/admin/employee", Access::Administrator),
    ("POST", "/admin/employee", Access::Administrator),
    ("POST", "/admin/employee/password", Access::Administrator),
    ("GET", "/admin/departments", Access::Administrator),
    ("GET", "/admin/journal", Access::Administrator),
    ("GET", "/admin/2fa", Access::Administrator),
    ("POST", "/admin/2fa", Access::Administrator),
    ("POST", "/admin/departments", Access::Administrator),
    ("GET", "/admin/cti", Access::Administrator),
    ("POST", "/admin/cti", Access::Administrator),
    ("GET", "/admin/presence", Access::Administrator),
    ("POST", "/admin/presence/read", Access::Administrator),
    ("GET", "/admin/costs", Access::Administrator),
    ("POST", "/admin/costs", Access::Administrator),
    ("GET", "/admin/tariff", Access::Administrator),
    ("POST", "/admin/tariff", Access::Administrator),
    ("GET", "/admin/smtp", Access::Administrator),
    ("POST", "/admin/smtp", Access::Administrator),
    ("GET", "/admin/installer", Access::Administrator),
    ("POST", "/admin/installer", Access::Administrator),
    ("POST", "/admin/installer/delete", Access::Administrator),
    ("GET", "/admin/tls", Access::Administrator),
    ("POST", "/admin/tls", Access::Administrator),
    ("GET", "/admin/tokens", Access::Administrator),
    ("POST", "/admin/tokens", Access::Administrator),
    ("GET", "/admin/books", Access::Administrator),
    ("POST", "/admin/books", Access::Administrator),
    ("POST", "/admin/books/file", Access::Administrator),
    ("GET", "/admin/provision", Access::Administrator),
    ("POST", "/admin/provision", Access::Administrator),
    ("GET", "/admin/provision/bulk.json", Access::Administrator),
    ("GET", "/admin/provision/csv", Access::Administrator),
    ("GET", "/api/v1/openapi.json", Access::Anyone),
    ("GET", "/api/v1/extensions", Access::Token("extensions:read")),
    ("GET", "/api/v1/extensions/100", Access::Token("extensions:read")),
    ("PUT", "/api/v1/extensions/100", Access::Token("extensions:write")),
    ("PATCH", "/api/v1/extensions/100", Access::Token("extensions:write")),
    ("GET", "/api/v1/extensions/100/journal", Access::Token("extensions:read")),
    ("GET", "/api/v1/extensions/100/forwarding", Access::Token("extensions:read")),
    ("PUT", "/api/v1/extensions/100/forwarding", Access::Token("extensions:write")),
    ("PATCH", "/api/v1/extensions/100/forwarding", Access::Token("extensions:write")),
    ("GET", "/api/v1/extensions/100/services", Access::Token("extensions:read")),
    ("PUT", "/api/v1/extensions/100/services", Access::Token("extensions:write")),
    ("PATCH", "/api/v1/extensions/100/services", Access::Token("extensions:write")),
    ("GET", "/api/v1/extensions/100/voicemail", Access::Token("voicemail:read")),
    ("GET", "/api/v1/extensions/100/presence", Access::Token("extensions:read")),
    ("POST", "/api/v1/extensions/100/presence", Access::Token("extensions:write")),
    ("DELETE", "/api/v1/extensions/100/presence/1", Access::Token("extensions:write")),
    ("GET", "/api/v1/extensions/100/costs", Access::Token("costs:read")),
    ("PUT", "/api/v1/extensions/100/costs", Access::Token("costs:write")),
    ("PATCH", "/api/v1/extensions/100/costs", Access::Token("costs:write")),
    ("POST", "/api/v1/extensions/100/costs/top-up", Access::Token("costs:write")),
    ("POST", "/api/v1/extensions/100/costs/reset", Access::Token("costs:write")),
    ("GET", "/api/v1/costs", Access::Token("costs:read")),
    ("GET", "/api/v1/tariff", Access::Token("costs:read")),
    ("PUT", "/api/v1/tariff", Access::Token("costs:write")),
    ("GET", "/api/v1/departments", Access::Token("departments:read")),
    ("POST", "/api/v1/departments", Access::Token("departments:write")),
    ("GET", "/api/v1/departments/1", Access::Token("departments:read")),
    ("PUT", "/api/v1/departments/1", Access::Token("departments:write")),
    ("PATCH", "/api/v1/departments/1", Access::Token("departments:write")),
    ("DELETE", "/api/v1/departments/1", Access::Token("departments:write")),
    ("GET", "/api/v1/cti/accounts", Access::Token("cti:read")),
    ("POST", "/api/v1/cti/accounts", Access::Token("cti:write")),
    ("GET", "/api/v1/cti/accounts/1", Access::Token("cti:read")),
    ("PUT", "/api/v1/cti/accounts/1", Access::Token("cti:write")),
    ("PATCH", "/api/v1/cti/accounts/1", Access::Token("cti:write")),
    ("DELETE", "/api/v1/cti/accounts/1", Access::Token("cti:write")),
    ("GET", "/api/v1/cti/accounts/1/rights", Access::Token("cti:read")),
    ("PUT", "/api/v1/cti/accounts/1/rights", Access::Token("cti:write")),
    ("PATCH", "/api/v1/cti/accounts/1/rights", Access::Token("cti:write")),
    ("GET", "/api/v1/cti/groups", Access::Token("cti:read")),
    ("POST", "/api/v1/cti/groups", Access::Token("cti:write")),
    ("GET", "/api/v1/cti/groups/1", Access::Token("cti:read")),
    ("PUT", "/api/v1/cti/groups/1", Access::Token("cti:write")),
    ("PATCH", "/api/v1/cti/groups/1", Access::Token("cti:write")),
    ("DELETE", "/api/v1/cti/groups/1", Access::Token("cti:write")),
    ("GET", "/api/v1/smtp", Access::Token("board:read")),
    ("PUT", "/api/v1/smtp", Access::Token("board:write")),
    ("PATCH", "/api/v1/smtp", Access::Token("board:write")),
    ("GET", "/api/v1/tls", Access::Token("board:read")),
    ("PUT", "/api/v1/tls", Access::Token("board:write")),
    ("PATCH", "/api/v1/tls", Access::Token("board:write")),
    ("PUT", "/api/v1/tls/certificate", Access::Token("board:write")),
    ("DELETE", "/api/v1/tls/certificate", Access::Token("board:write")),
    ("GET", "/api/v1/installer", Access::Token("board:read")),
    ("PUT", "/api/v1/installer", Access::Token("board:write")),
    ("DELETE", "/api/v1/installer", Access::Token("board:write")),
    ("GET", "/api/v1/tokens", Access::Token("security:read")),
    ("POST", "/api/v1/tokens", Access::Token("security:write")),
    ("DELETE", "/api/v1/tokens/1", Access::Token("security:write")),
    ("POST", "/api/v1/calls", Access::Token("calls:write")),
    ("GET", "/api/v1/cdrs", Access::Token("records:read")),
    ("GET", "/api/v1/lines", Access::Token("calls:read")),
    ("GET", "/api/v1/lookup", Access::Token("phonebook:read")),
    ("GET", "/api/v1/phonebook/contacts", Access::Token("phonebook:read")),
    ("POST", "/api/v1/phonebook/contacts", Access::Token("phonebook:write")),
    ("GET", "/api/v1/phonebook/contacts/1", Access::Token("phonebook:read")),
    ("PUT", "/api/v1/phonebook/contacts/1", Access::Token("phonebook:write")),
    ("PATCH", "/api/v1/phonebook/contacts/1", Access::Token("phonebook:write")),
    ("DELETE", "/api/v1/phonebook/contacts/1", Access::Token("phonebook:write")),
    ("GET", "/api/v1/phonebook/books", Access::Token("phonebook:read")),
    ("POST", "/api/v1/phonebook/books", Access::Token("phonebook:write")),
    ("GET", "/api/v1/phonebook/books/1", Access::Token("phonebook:read")),
    ("DELETE", "/api/v1/phonebook/books/1", Access::Token("phonebook:write")),
    ("POST", "/api/v1/phonebook/books/1/sync", Access::Token("phonebook:write")),
    ("GET", "/api/v1/phonebook/books/1/contacts", Access::Token("phonebook:read")),
    ("PUT", "/api/v1/phonebook/books/1/contacts", Access::Token("phonebook:write")),
    ("GET", "/api/v1/phonebook/groups", Access::Token("phonebook:read")),
    ("POST", "/api/v1/phonebook/groups", Access::Token("phonebook:write")),
    ("GET", "/api/v1/phonebook/groups/1", Access::Token("phonebook:read")),
    ("PUT", "/api/v1/phonebook/groups/1", Access::Token("phonebook:write")),
    ("PATCH", "/api/v1/phonebook/groups/1", Access::Token("phonebook:write")),
    ("DELETE", "/api/v1/phonebook/groups/1", Access::Token("phonebook:write")),
    ("GET", "/api/v1/bulk", Access::Token("read")),
    ("POST", "/api/v1/bulk", Access::Token("write")),
    ("GET", "/api/v1/bulk/extensions.csv", Access::Token("read")),
    ("GET", "/api/v1/bulk/progress", Access::Token("read")),
    ("GET", "/api/v1/bulk/csv/cti_accounts", Access::Token("read")),
    ("POST", "/api/v1/bulk/csv/cti_accounts", Access::Token("write")),
    ("GET", "/api/v1/config", Access::Token("read")),
    ("PUT", "/api/v1/config", Access::Token("write")),
    ("GET", "/phones/yealink.xml", Access::DeskPhone),
    ("GET", "/phones/snom.xml", Access::DeskPhone),
    ("GET", "/phones/snom-search.xml", Access::DeskPhone),
    ("GET", "/healthz", Access::Anyone),
    ("GET", "/static/style.css", Access::Anyone),
];

/// The scope an API route needs: its [`Access::Token`] in [`ROUTES`], found
/// by method and the router's pattern (`/api/v1/extensions/{number}`).
pub fn api_scope(method: &str, pattern: &str) -> Option<&'static str> {
    let fits = |example: &str| {
        let (p, e): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), example.split('/').collect());
        p.len() == e.len() && p.iter().zip(&e).all(|(p, e)| p == e || p.starts_with('{'))
    };
    ROUTES.iter().find_map(|(m, example, access)| match access {
        Access::Token(scope) if *m == method && fits(example) => Some(*scope),
        _ => None,
    })
}

/// The portal for one interface. While WebCTI is off on the WAN (the default),
/// every request there gets a refusal instead; the switch is read per request.
pub fn router(state: HttpState, side: Side) -> Router {
    let exposure = state.services.exposure.current();
    let portal = Router::new()
        .route("/", get(login::root))
        .route("/cti", get(cti_socket::open))
        .route("/login", post(login::login))
        .route("/login/code", get(login::code_form).post(login::code))
        .route("/logout", post(login::logout))
        .route("/password", get(login::password_form).post(login::set_password))
        .route("/forgot", get(reset::forgot_form).post(reset::forgot))
        .route("/reset", get(reset::reset_form).post(reset::reset))
        .route("/setup", get(setup::setup_form).post(setup::setup))
        .route("/start", get(portal::start))
        .route("/start/panels", get(portal::panels))
        .route("/history", get(portal::history))
        .route("/history/note", post(portal::note))
        .route("/voicemail", get(portal::voicemail).post(recordings::act))
        .route("/voicemail/audio", get(recordings::audio))
        .route("/settings", get(settings::settings))
        .route("/settings/profile", post(settings::save_profile))
        .route("/settings/app", post(settings::save_app))
        .route("/call", post(portal::call))
        .route("/call/control", post(portal::control))
        .route("/tel", get(tel::page))
        .route("/callbacks", get(callbacks::list).post(callbacks::act))
        .route("/costs", get(costs::own))
        .route("/presence", get(presence::presence).post(presence::change))
        .route("/services", get(features::services).post(features::save_services))
        .route("/forwarding", get(forwarding::forwarding).post(forwarding::save_forwarding))
        .route("/keys", get(keys::keys))
        .route("/journal", get(journal::journal))
        .route("/download/installer", get(installer::download))
        .route("/phonebook", get(phonebook::list))
        .route("/phonebook/selection", post(phonebook::selection))
        .route("/phonebook/group", post(phonebook::new_group))
        .route("/phonebook/contact", post(phonebook::add))
        .route("/phonebook/export", get(phonebook::export))
        .route("/phonebook/notes", get(phonebook::notes).post(phonebook::change_notes))
        .route(
            "/phonebook/import",
            post(phonebook::import).layer(axum::extract::DefaultBodyLimit::max(phonebook::MAX_IMPORT_BYTES)),
        )
        .route("/events", get(live::events))
        .route("/manager", get(manager::team))
        .route("/manager/take", post(manager::take))
        .route("/manager/extension", get(manager::member).post(manager::save_member))
        .route("/manager/extension/password", post(manager::temporary_password))
        .route("/manager/journal", get(journal::departments_journal))
        .route("/manager/2fa", get(admin::manager_two_factor).post(admin::change_manager_two_factor))
        .route("/manager/costs", get(costs::team))
        .route("/admin", get(admin::about))
        .route("/admin/employees", get(admin::employees))
        .route("/admin/employee", get(admin::employee).post(admin::save_employee))
        .route("/admin/employee/password", post(admin::temporary_password))
        .route("/admin/departments", get(admin::departments).post(admin::change_departments))
        .route("/admin/journal", get(journal::any_journal))
        .route("/admin/cti", get(cti::accounts).post(cti::change))
        .route("/admin/presence", get(presence::admin))
        .route("/admin/presence/read", post(presence::read_now))
        .route("/admin/costs", get(costs::accounts).post(costs::change_account))
        .route("/admin/tariff", get(costs::tariff).post(costs::save_tariff))
        .route("/admin/smtp", get(admin::smtp).post(admin::change_smtp))
        .route("/admin/tls", get(admin::tls).post(admin::change_tls))
        .route("/admin/tokens", get(tokens::tokens).post(tokens::change_tokens))
        .route("/admin/books", get(books::books).post(books::change_books))
        .route(
            "/admin/books/file",
            post(books::fill_book).layer(axum::extract::DefaultBodyLimit::max(phonebook::MAX_IMPORT_BYTES)),
        )
        .route(
            "/admin/provision",
            get(provision::show)
                .post(provision::import)
                .layer(axum::extract::DefaultBodyLimit::max(super::api::bulk::MAX_BULK + 64 * 1024)),
        )
        .route("/admin/provision/bulk.json", get(provision::export_json))
        .route("/admin/provision/csv", get(provision::export_csv))
        .route(
            "/admin/installer",
            get(admin::installer).post(admin::upload_installer).layer(axum::extract::DefaultBodyLimit::max(
                crate::services::installer::MAX_BYTES as usize + MAX_FORM,
            )),
        )
        .route("/admin/installer/delete", post(admin::delete_installer))
        .route("/admin/2fa", get(admin::two_factor).post(admin::change_two_factor))
        .route("/phones/yealink.xml", get(phones::yealink))
        .route("/phones/snom.xml", get(phones::snom))
        .route("/phones/snom-search.xml", get(phones::snom_search))
        .route("/healthz", get(assets::healthz))
        .route("/static/{file}", get(assets::asset))
        .fallback(assets::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM))
        .nest("/api/v1", super::api::router())
        .with_state(state);
    let (off, headers) = (exposure.clone(), exposure);
    portal
        .layer(axum::middleware::from_fn(move |req: Request<axum::body::Body>, next: Next| {
            let on = side == Side::Lan || off.wan_webcti();
            async move {
                match on {
                    true => next.run(req).await,
                    false => assets::webcti_off().await,
                }
            }
        }))
        .layer(axum::middleware::map_response(move |r: Response| {
            let https_only = headers.https_only();
            async move { headers::secure(r, https_only) }
        }))
        .layer(axum::middleware::from_fn(super::linger::read_rest))
        .layer(axum::middleware::from_fn(within_deadline))
        .layer(axum::middleware::from_fn(in_span))
}

/// The plain-HTTP listener: in HTTPS-only mode (read per request) every
/// request is redirected to the HTTPS port, else the portal answers.
pub fn plain_router(portal: Router, https_port: u16, exposure: Arc<Exposure>) -> Router {
    portal.layer(axum::middleware::from_fn(move |req: Request<axum::body::Body>, next: Next| {
        let https_only = exposure.https_only();
        async move {
            match https_only {
                true => headers::secure(redirect_to_https(req.headers(), req.uri(), https_port), false),
                false => next.run(req).await,
            }
        }
    }))
}

/// Answers 408 when a request is not answered within [`super::REQUEST_TIMEOUT`]:
/// a body sent slowly cannot hold its connection and its handler for long.
async fn within_deadline(req: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(super::REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::info!("request not answered in time; the client is told so");
            (axum::http::StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")]).into_response()
        }
    }
}

/// Runs a request inside its span: method and route (the pattern, never the
/// query, which may hold a reset token); the session extractor adds the actor.
async fn in_span(req: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    use tracing::Instrument;
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let span =
        tracing::info_span!("request", method = %req.method(), route = %route, actor = tracing::field::Empty);
    next.run(req).instrument(span).await
}

/// Plain HTTP in HTTPS-only mode: everything is redirected to the same path over HTTPS.
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
