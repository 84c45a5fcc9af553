//! What every API request passes: the bearer token (over TLS only; a session
//! cookie is never accepted here, so the API needs no CSRF defence), the
//! caller's language, bounded JSON bodies read with the path of what is wrong,
//! problem answers (RFC 9457), entity tags, JSON Merge Patch (RFC 7396), and
//! `Idempotency-Key`s.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::access::{Actor, Denied, Scope};
use crate::http::error::message;
use crate::http::i18n::{visitor_language, Tr};
use crate::http::routes::api_scope;
use crate::http::session::{peer, Transport};
use crate::http::HttpState;
use crate::services::tokens::BearerError;
use crate::services::{Busy, Exchange, Invalid, ServiceError};

/// A request body larger than this is refused before it is read.
pub const MAX_BODY: usize = 256 * 1024;
/// `Idempotency-Key`s remembered at most (the oldest is forgotten first), and
/// for how long, and the longest key accepted.
pub const IDEMPOTENCY_KEYS: usize = 1000;
pub const IDEMPOTENCY_SECS: i64 = 24 * 3600;
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// An API caller: the token's actor and the language of his answers.
pub struct Caller {
    pub actor: Actor,
    pub tr: Tr,
}

/// A refusal as `application/problem+json`.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// A short code; the problem's type is `urn:webcti:problem:<code>`.
    pub code: &'static str,
    /// What people read, in the caller's language.
    pub detail: String,
    /// The field the problem is about, as a JSON pointer (RFC 6901).
    pub pointer: Option<String>,
    pub retry_after: Option<u64>,
    /// `WWW-Authenticate` for 401.
    pub challenge: Option<&'static str>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, code, detail: detail.into(), pointer: None, retry_after: None, challenge: None }
    }

    pub fn at(mut self, pointer: impl Into<String>) -> Problem {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn not_found(tr: &Tr) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", tr.t("error.not_found"))
    }

    /// A service's refusal, with the field it is about where the rule says so.
    pub fn from_service(tr: &Tr, e: ServiceError) -> Problem {
        match e {
            ServiceError::Denied(d) => Problem::new(StatusCode::FORBIDDEN, "forbidden", forbidden(tr, d)),
            ServiceError::NotFound => Problem::not_found(tr),
            ServiceError::Invalid(i) => {
                let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message(*tr, &i));
                match pointer(&i) {
                    Some(at) => p.at(at),
                    None => p,
                }
            }
            ServiceError::Exchange(Exchange::Unreachable) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "core_unreachable", tr.t("error.core"))
            }
            ServiceError::Exchange(x) => Problem::new(
                StatusCode::CONFLICT,
                "exchange_refused",
                tr.f("call.failed", "reason", crate::http::error::exchange_code(x)),
            ),
            ServiceError::Busy(b) => {
                let key = match b {
                    Busy::Streams => "error.too_many_streams",
                    Busy::Import => "import.running",
                    Busy::Tokens => "token.too_many",
                    Busy::CtiClients => "error.too_many_cti_clients",
                };
                let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "busy", tr.t(key));
                p.retry_after = Some(10);
                p
            }
            ServiceError::SessionEnded => unauthorized(tr),
            e @ (ServiceError::Store(_) | ServiceError::Hash(_) | ServiceError::Files(_)) => {
                tracing::error!(error = %e, "API request failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", tr.t("error.internal"))
            }
        }
    }
}

/// "Not allowed", and why (`domain::access`'s reason, in English).
fn forbidden(tr: &Tr, why: Denied) -> String {
    format!("{} ({why}).", tr.t("error.forbidden").trim_end_matches('.'))
}

fn unauthorized(tr: &Tr) -> Problem {
    let mut p = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", tr.t("api.unauthorized"));
    p.challenge = Some("Bearer realm=\"webcti\", error=\"invalid_token\"");
    p
}

/// The field a rule's refusal is about, where there is one.
fn pointer(i: &Invalid) -> Option<&'static str> {
    use crate::domain::account::{DepartmentProblem, EmployeeProblem, ProfileProblem};
    use crate::domain::token::TokenProblem;
    Some(match i {
        Invalid::Employee(p) => match p {
            EmployeeProblem::NoName | EmployeeProblem::TooLong => "/name",
            EmployeeProblem::BadEmail => "/email",
            EmployeeProblem::BadMobile => "/mobile",
            EmployeeProblem::BadCallerId => "/caller_ids",
            EmployeeProblem::NoSuchDepartment => "/department",
            EmployeeProblem::LastAdministrator => "/is_admin",
            EmployeeProblem::BadChoice | EmployeeProblem::NotInPool => return None,
        },
        Invalid::Licence(_) => "/licences",
        Invalid::Department(
            DepartmentProblem::NoName | DepartmentProblem::TooLong | DepartmentProblem::Exists,
        ) => "/name",
        Invalid::Profile(ProfileProblem::BadEmail) => "/email",
        Invalid::Token(p) => match p {
            TokenProblem::BadName => "/name",
            TokenProblem::NoScope | TokenProblem::BadScope => "/scopes",
            TokenProblem::BadExpiry => "/expires_at",
        },
        Invalid::Number(_) => "/number",
        Invalid::Group(
            crate::domain::group::GroupProblem::Name | crate::domain::group::GroupProblem::Exists,
        ) => "/name",
        Invalid::Group(crate::domain::group::GroupProblem::TooManyMembers) => "/members",
        Invalid::Tariff(
            crate::domain::tariff::TariffProblem::Band(_)
            | crate::domain::tariff::TariffProblem::TooManyBands,
        ) => "/offpeak",
        Invalid::Tariff(_) => "/rates",
        Invalid::Costs(crate::domain::tariff::AccountProblem::Limit) => "/limit",
        Invalid::Costs(crate::domain::tariff::AccountProblem::TopUp) => "/top_up",
        Invalid::Costs(crate::domain::tariff::AccountProblem::Amount) => "/amount",
        Invalid::Presence(p) => {
            use crate::domain::presence::PresenceProblem as P;
            match p {
                P::BadStatus | P::AvailableIsNotAStatus => "/status",
                P::InfoTooLong => "/info",
                P::EndsBeforeStart | P::EndPassed | P::BadTime => "/end",
                P::BadForward | P::ForwardToSelf => "/forward",
                P::TooMany => return None,
            }
        }
        _ => return None,
    })
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:webcti:problem:{}", self.code),
            "title": self.code,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(at) = &self.pointer {
            body["errors"] = json!([{ "pointer": at, "detail": self.detail }]);
        }
        let mut r = (self.status, body.to_string()).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(c) = self.challenge {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
        r
    }
}

impl FromRequestParts<HttpState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let tr = visitor_language(&parts.headers);
        if !parts.extensions.get::<Transport>().is_some_and(|t| t.tls) {
            return Err(Problem::new(StatusCode::FORBIDDEN, "https_required", tr.t("api.https_required")));
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme's name is case-insensitive (RFC 9110).
            .and_then(|v| v.get(..7).filter(|s| s.eq_ignore_ascii_case("bearer ")).map(|_| &v[7..]))
            .map(str::trim);
        let Some(secret) = bearer else {
            let mut p = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", tr.t("api.unauthorized"));
            p.challenge = Some("Bearer realm=\"webcti\"");
            return Err(p);
        };
        match state.services.tokens.authenticate(secret, peer(parts)).await {
            Ok(actor) => {
                tracing::Span::current().record("actor", tracing::field::display(actor.label()));
                // The route's scope first, so that a token without it learns
                // nothing from how its body would have been read.
                let pattern = parts.extensions.get::<MatchedPath>().map(|p| p.as_str()).unwrap_or("");
                let need = api_scope(parts.method.as_str(), pattern).and_then(Scope::from_code);
                if need.is_some_and(|need| !actor.holds(need)) {
                    return Err(Problem::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        forbidden(&tr, Denied::Scope),
                    ));
                }
                Ok(Caller { actor, tr })
            }
            Err(BearerError::Invalid) => Err(unauthorized(&tr)),
            Err(BearerError::Throttled(secs)) => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    tr.f("login.throttled", "secs", &secs.to_string()),
                );
                p.retry_after = Some(secs);
                Err(p)
            }
            Err(BearerError::Service(e)) => Err(Problem::from_service(&tr, e)),
        }
    }
}

/// An API request as every handler takes it: the caller, the headers, the
/// body (bounded by the route's limit), the path's parameters and the URI.
/// One extractor for all, so that each handler is one small function and not
/// a tower of extractors of its own, which the board's binary pays for.
pub struct ApiCall {
    pub state: HttpState,
    pub caller: Caller,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub uri: axum::http::Uri,
    params: Vec<(String, String)>,
}

impl ApiCall {
    /// The state, the caller, the headers and the body.
    pub fn parts(&self) -> (&HttpState, &Caller, &HeaderMap, &Bytes) {
        (&self.state, &self.caller, &self.headers, &self.body)
    }

    /// The query string as `T`, or the refusal of a query this request does not take.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        let invalid = || {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                self.caller.tr.t("api.invalid_query"),
            )
        };
        axum::extract::Query::<T>::try_from_uri(&self.uri).map(|q| q.0).map_err(|_| invalid())
    }

    /// Does `work` once per `Idempotency-Key` of this caller ([`Idempotency::once`]).
    pub async fn once<F: std::future::Future<Output = Response>>(&self, work: F) -> Response {
        let (who, now) = (self.caller.actor.label(), self.state.services.now());
        self.state.api.idempotency.once(&self.caller.tr, &who, &self.headers, &self.body, now, work).await
    }

    /// A path parameter (`""` when the route has none by that name).
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

impl axum::extract::FromRequest<HttpState> for ApiCall {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let caller =
            Caller::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let params = axum::extract::RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map(|p| p.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
            .unwrap_or_default();
        let (headers, uri) = (parts.headers.clone(), parts.uri.clone());
        let req = axum::extract::Request::from_parts(parts, body);
        let body = match <Bytes as axum::extract::FromRequest<HttpState>>::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => {
                let status = e.status();
                let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "api.too_large"
                } else {
                    "api.invalid_body"
                };
                return Err(Problem::new(status, "unreadable_body", caller.tr.t(key)).into_response());
            }
        };
        Ok(ApiCall { state: state.clone(), caller, headers, body, uri, params })
    }
}

/// One resource of the API that `GET` reads, `PUT` replaces and `PATCH` merges
/// into, always answering with what the exchange then has and its `ETag`. The
/// body is checked first (what the schema says, then what the resource says),
/// then `If-Match` against the resource as it is, then it is written.
pub trait Resource: Serialize + DeserializeOwned + Send + Sync + Sized {
    /// What a valid body becomes for the service call that writes it.
    type Change: Send;

    /// The resource as the exchange has it now.
    fn current(
        state: &HttpState,
        caller: &Caller,
        key: &str,
    ) -> impl std::future::Future<Output = Result<Self, Problem>> + Send;

    /// Checks the body as the resource's rules say, before `If-Match`.
    fn change(self, caller: &Caller, key: &str) -> Result<Self::Change, Problem>;

    /// Writes the change through the resource's service call.
    fn write(
        state: &HttpState,
        caller: &Caller,
        key: &str,
        change: Self::Change,
    ) -> impl std::future::Future<Output = Result<(), Problem>> + Send;
}

/// The id in a resource's path (`/groups/{id}`), if it is one; not found otherwise.
pub fn id_of(caller: &Caller, key: &str) -> Result<i64, Problem> {
    key.parse::<i64>().map_err(|_| Problem::not_found(&caller.tr))
}

/// A read-only `id` given in a body must be the path's (or 0, left out).
pub fn same_id(caller: &Caller, given: i64, key: &str) -> Result<(), Problem> {
    match given == 0 || key.parse::<i64>().is_ok_and(|k| k == given) {
        true => Ok(()),
        false => {
            Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "read_only", caller.tr.t("api.read_only"))
                .at("/id"))
        }
    }
}

/// `GET` of a [`Resource`].
pub async fn read<R: Resource>(call: &ApiCall, key: &str) -> Response {
    let (state, caller, ..) = call.parts();
    match R::current(state, caller, key).await {
        Ok(r) => tagged(&caller.tr, StatusCode::OK, &r),
        Err(p) => p.into_response(),
    }
}

/// `PUT` (`merge` false) or `PATCH` (a JSON Merge Patch over the current
/// state) of a [`Resource`].
///
/// One change at a time, from reading the resource to writing it: two merge
/// patches sent at once each keep the other's fields, and of two changes made
/// from the same `ETag` only the first passes `If-Match`. (The writes go
/// through the store's one writer anyway.)
pub async fn replace<R: Resource>(call: &ApiCall, key: &str, merge: bool) -> Response {
    let (state, caller, headers, body) = call.parts();
    let _one_at_a_time = state.api.changes.lock().await;
    let old = match R::current(state, caller, key).await {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let new: Result<R, Problem> = match merge {
        true => patched(&caller.tr, headers, body, serde_json::to_value(&old).unwrap_or_default()),
        false => parse(&caller.tr, headers, body),
    };
    let written = async {
        let change = new?.change(caller, key)?;
        check_if_match(&caller.tr, headers, &etag_of(&old))?;
        R::write(state, caller, key, change).await?;
        R::current(state, caller, key).await
    };
    match written.await {
        Ok(r) => tagged(&caller.tr, StatusCode::OK, &r),
        Err(p) => p.into_response(),
    }
}

/// A JSON body read whole (bounded by the router's body limit), as `T`, with
/// the place of what is wrong in a refusal. Unknown fields are refused by the
/// types (`deny_unknown_fields`), never ignored.
pub fn parse<T: DeserializeOwned>(tr: &Tr, headers: &HeaderMap, body: &Bytes) -> Result<T, Problem> {
    json_type(tr, headers, &["application/json"])?;
    let value: Value = from_slice(tr, body)?;
    if !value.is_object() {
        return Err(
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.body_object")).at("")
        );
    }
    from_value(tr, value)
}

/// `T` from JSON bytes, or a problem naming where.
/// The text is read as JSON first (where it is not JSON, the refusal says the
/// line and column), then taken as `T`: every type is read from a JSON value
/// only, which keeps one reader per type in the board's binary.
pub fn from_slice<T: DeserializeOwned>(tr: &Tr, body: &[u8]) -> Result<T, Problem> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("{}: {e}", tr.t("api.invalid_body")),
        )
        .at("")
    })?;
    from_value(tr, value)
}

/// `T` from a JSON value, or a problem naming where.
pub fn from_value<T: DeserializeOwned>(tr: &Tr, v: Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(v).map_err(|e| bad_json(tr, e))
}

fn bad_json<E: std::fmt::Display>(tr: &Tr, e: serde_path_to_error::Error<E>) -> Problem {
    let mut at = String::new();
    for seg in e.path().iter() {
        use serde_path_to_error::Segment;
        let s = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                key.replace('~', "~0").replace('/', "~1")
            }
            Segment::Unknown => continue,
        };
        at.push('/');
        at.push_str(&s);
    }
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        format!("{}: {}", tr.t("api.invalid_body"), e.inner()),
    )
    .at(at)
}

/// The body's media type must be one of `accepted`.
pub fn json_type(tr: &Tr, headers: &HeaderMap, accepted: &[&str]) -> Result<(), Problem> {
    let given = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match accepted.contains(&essence.as_str()) {
        true => Ok(()),
        false => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            tr.f("api.media_type", "types", &accepted.join(", ")),
        )),
    }
}

/// A resource as JSON with its entity tag.
pub fn tagged<T: Serialize>(tr: &Tr, status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let tag = etag(&body);
            let mut r = (status, body).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&tag) {
                h.insert(header::ETAG, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "an API answer could not be written");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", tr.t("error.internal"))
                .into_response()
        }
    }
}

/// JSON without an entity tag (collections).
pub fn plain<T: Serialize>(tr: &Tr, status: StatusCode, value: &T) -> Response {
    let mut r = tagged(tr, status, value);
    r.headers_mut().remove(header::ETAG);
    r
}

/// The strong entity tag of a representation: its SHA-256, shortened.
pub fn etag(body: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, body);
    let hex: String = d.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The tag of `value` as [`tagged`] would send it.
pub fn etag_of<T: Serialize>(value: &T) -> String {
    etag(&serde_json::to_vec(value).unwrap_or_default())
}

/// `If-Match` against the current tag: absent or `*` passes; a list passes when
/// one of its tags is the current one (weak tags never match: RFC 9110 compares
/// strongly here).
pub fn check_if_match(tr: &Tr, headers: &HeaderMap, current: &str) -> Result<(), Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else { return Ok(()) };
    let v = v.to_str().unwrap_or("");
    if v.trim() == "*" || v.split(',').map(str::trim).any(|t| t == current) {
        return Ok(());
    }
    Err(Problem::new(StatusCode::PRECONDITION_FAILED, "stale", tr.t("api.stale")))
}

/// The body as a JSON Merge Patch (RFC 7396) applied to `base`, then taken as
/// `T`: what every `PATCH` does before its change is checked.
pub fn patched<T: DeserializeOwned>(
    tr: &Tr,
    headers: &HeaderMap,
    body: &[u8],
    mut base: Value,
) -> Result<T, Problem> {
    json_type(tr, headers, &["application/merge-patch+json", "application/json"])?;
    let patch: Value = from_slice(tr, body)?;
    if !patch.is_object() {
        return Err(
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.patch_object")).at("")
        );
    }
    merge_patch(&mut base, patch);
    from_value(tr, base)
}

/// JSON Merge Patch (RFC 7396): `patch` applied to `target`.
pub fn merge_patch(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in fields {
                    match v {
                        Value::Null => {
                            t.remove(&k);
                        }
                        v => merge_patch(t.entry(k).or_insert(Value::Null), v),
                    }
                }
            }
        }
        other => *target = other,
    }
}

/// The answers to `POST`s with an `Idempotency-Key`, per token and key, so a
/// repeated request gets the first answer and does the work once. Bounded in
/// count and age; kept in memory (a restart forgets them). A key sent again
/// while its first request is still being done is answered 409, to be
/// retried: the work is never done twice.
#[derive(Default)]
pub struct Idempotency {
    seen: Mutex<Keys>,
}

#[derive(Default)]
struct Keys {
    answers: HashMap<(String, String), Remembered>,
    order: VecDeque<(String, String)>,
    /// The keys whose first request is being done now.
    running: std::collections::HashSet<(String, String)>,
}

/// A key's first request while it runs; however it ends (an answer, or the
/// client gone), the key is free again.
struct Running<'a> {
    keys: &'a Mutex<Keys>,
    id: (String, String),
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.keys.lock().unwrap_or_else(|e| e.into_inner()).running.remove(&self.id);
    }
}

#[derive(Clone)]
struct Remembered {
    at: i64,
    /// A digest of the request body: the same key with another body is refused.
    request: String,
    status: StatusCode,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    body: Bytes,
}

/// What to do with a `POST`'s `Idempotency-Key`.
enum Replay {
    /// No key: just do it.
    None,
    /// A key seen first: do it, then [`Idempotency::remember`] the answer.
    First((String, String), String),
    /// The answer given the first time.
    Again(Response),
}

impl Idempotency {
    /// Looks the request's key up for `who` (the actor's label).
    fn check(
        &self,
        tr: &Tr,
        who: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<Replay, Problem> {
        let Some(key) = headers.get("idempotency-key") else { return Ok(Replay::None) };
        let key = key.to_str().unwrap_or("").trim();
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_idempotency_key",
                tr.t("api.idempotency_key"),
            ));
        }
        let request = etag(body);
        let id = (who.to_owned(), key.to_owned());
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.running.contains(&id) {
            let mut p = Problem::new(
                StatusCode::CONFLICT,
                "idempotency_key_running",
                tr.t("api.idempotency_running"),
            );
            p.retry_after = Some(1);
            return Err(p);
        }
        match seen.answers.get(&id) {
            Some(r) if now - r.at < IDEMPOTENCY_SECS => {
                if r.request != request {
                    return Err(Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "idempotency_key_reused",
                        tr.t("api.idempotency_reused"),
                    ));
                }
                let mut answer = (r.status, r.body.clone()).into_response();
                for (k, v) in &r.headers {
                    answer.headers_mut().insert(k.clone(), v.clone());
                }
                answer.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                Ok(Replay::Again(answer))
            }
            _ => {
                seen.running.insert(id.clone());
                Ok(Replay::First(id, request))
            }
        }
    }

    /// Does `work` once per `Idempotency-Key` of `who`: a repeated request
    /// gets the first answer; a request without a key is just done.
    pub async fn once<F>(
        &self,
        tr: &Tr,
        who: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
        work: F,
    ) -> Response
    where
        F: std::future::Future<Output = Response>,
    {
        match self.check(tr, who, headers, body, now) {
            Err(p) => p.into_response(),
            Ok(Replay::Again(answer)) => answer,
            Ok(Replay::None) => work.await,
            Ok(Replay::First(id, request)) => {
                let _running = Running { keys: &self.seen, id: id.clone() };
                let answer = work.await;
                self.remember(id, request, answer, now).await
            }
        }
    }

    /// Keeps the answer to a first request; the answer goes out as it was.
    async fn remember(&self, id: (String, String), request: String, answer: Response, now: i64) -> Response {
        let (parts, body) = answer.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
            return Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "").into_response();
        };
        // Refusals of the request as sent are kept too; our own failures are not.
        if !parts.status.is_server_error() {
            let headers = parts.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            while seen.order.len() >= IDEMPOTENCY_KEYS {
                if let Some(old) = seen.order.pop_front() {
                    seen.answers.remove(&old);
                }
            }
            let r = Remembered { at: now, request, status: parts.status, headers, body: bytes.clone() };
            if seen.answers.insert(id.clone(), r).is_none() {
                seen.order.push_back(id);
            }
        }
        Response::from_parts(parts, axum::body::Body::from(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The examples of RFC 7396, appendix A.
        for (target, patch, result) in [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (json!({"a":"b","b":"c"}), json!({"a":null}), json!({"b":"c"})),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (json!({"a":{"b":"c"}}), json!({"a":{"b":"d","c":null}}), json!({"a":{"b":"d"}})),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (json!({}), json!({"a":{"bb":{"ccc":null}}}), json!({"a":{"bb":{}}})),
        ] {
            let mut t = target.clone();
            merge_patch(&mut t, patch.clone());
            assert_eq!(t, result, "{target} patched with {patch}");
        }
    }

    #[test]
    fn if_match_compares_strongly() {
        let tr = Tr::new("en");
        let mut h = HeaderMap::new();
        assert!(check_if_match(&tr, &h, "\"abc\"").is_ok(), "no condition");
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"abc\""));
        assert!(check_if_match(&tr, &h, "\"abc\"").is_ok());
        assert_eq!(
            check_if_match(&tr, &h, "\"abd\"").map_err(|p| p.status),
            Err(StatusCode::PRECONDITION_FAILED)
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("W/\"abc\""));
        assert!(check_if_match(&tr, &h, "\"abc\"").is_err(), "a weak tag never matches");
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"x\", \"abc\""));
        assert!(check_if_match(&tr, &h, "\"abc\"").is_ok());
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert!(check_if_match(&tr, &h, "\"abc\"").is_ok());
    }
}
