//! `/api/v1/tokens`: the API's own tokens, for a caller whose token has the
//! `security:write` scope (an administrator's, typically).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{parse, plain, ApiCall, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::services::tokens::{TokenRequest, TokenView};

/// A token, without its secret.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Token {
    pub id: i64,
    pub name: String,
    /// `read`, `write`, or `AREA:read` / `AREA:write`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["extensions:write", "calls:write"])))]
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_from: Option<String>,
    pub revoked_at: Option<i64>,
    pub in_force: bool,
}

impl From<TokenView> for Token {
    fn from(t: TokenView) -> Token {
        Token {
            id: t.id,
            name: t.name,
            scopes: t.scopes.iter().map(|s| s.code()).collect(),
            created_at: t.created_at,
            created_by: t.created_by,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            last_used_from: t.last_used_from,
            revoked_at: t.revoked_at,
            in_force: t.in_force,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenList {
    pub items: Vec<Token>,
}

/// A token to make.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[cfg_attr(feature = "openapi", schema(example = "billing export", min_length = 1, max_length = 64))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(example = json!(["records:read"])))]
    pub scopes: Vec<String>,
    /// Unix seconds; absent or null: it never expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// A token just made, with its secret: shown this once.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MadeToken {
    pub id: i64,
    /// `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "tokens_list", path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = TokenList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["security:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.tokens.list(&caller.actor).await {
        Ok(list) => plain(
            &caller.tr,
            StatusCode::OK,
            &TokenList { items: list.into_iter().map(Token::from).collect() },
        ),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "tokens_create", path = "/api/v1/tokens", tag = "tokens",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = NewToken,
    responses((status = 201, body = MadeToken, headers(("Location" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)),
    security(("bearer" = ["security:write"]))))]
pub async fn create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let new: NewToken = match parse(&caller.tr, headers, body) {
            Ok(n) => n,
            Err(p) => return p.into_response(),
        };
        let req = TokenRequest { name: new.name, scopes: new.scopes, expires_at: new.expires_at };
        match state.services.tokens.create(&caller.actor, &req).await {
            Ok(made) => {
                let mut r =
                    plain(&caller.tr, StatusCode::CREATED, &MadeToken { id: made.id, secret: made.secret });
                if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/tokens/{}", made.id)) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            Err(e) => Problem::from_service(&caller.tr, e).into_response(),
        }
    };
    call.once(work).await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "tokens_revoke", path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked: its next request is refused"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["security:write"]))))]
pub async fn revoke(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let id = call.param("id");
    let Ok(id) = id.parse::<i64>() else { return Problem::not_found(&caller.tr).into_response() };
    match state.services.tokens.revoke(&caller.actor, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
