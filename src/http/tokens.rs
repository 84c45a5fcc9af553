//! The administrator's Tokens page (`/admin/tokens`): the provisioning API's
//! tokens, made (the secret shown this once) and revoked through the same
//! service as the API and `webcti token`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{message, shown_or_refused, HttpError};
use super::form::AdminPosted;
use super::i18n::Tr;
use super::session::Administrator;
use super::HttpState;
use crate::domain::access::{Area, Level, Scope};
use crate::domain::time;
use crate::services::tokens::{TokenRequest, TokenView};
use crate::services::ServiceError;

/// One token as its row shows it.
struct Row {
    id: i64,
    name: String,
    scopes: String,
    made: String,
    made_iso: String,
    by: String,
    expires: String,
    last_used: String,
    in_force: bool,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    rows: Vec<Row>,
    /// Every scope a token can be given, with what it means.
    scopes: Vec<(String, String)>,
    /// The secret of the token just made.
    secret: Option<String>,
    notice: String,
    error: String,
}

/// Every scope, in the order the page offers them, with its words.
fn scopes(t: Tr) -> Vec<(String, String)> {
    let level = |l: Level| t.t(if l == Level::Read { "token.read" } else { "token.write" });
    let mut all = vec![
        (Scope::READ.code(), t.t("token.all_read").to_owned()),
        (Scope::WRITE.code(), t.t("token.all_write").to_owned()),
    ];
    for area in Area::ALL {
        for l in [Level::Read, Level::Write] {
            // The voicemail index is only ever read.
            if *area == Area::Voicemail && l == Level::Write {
                continue;
            }
            let label = format!("{}: {}", t.t(&format!("token.area_{}", area.code())), level(l));
            all.push((Scope::of(*area, l).code(), label));
        }
    }
    all
}

fn row(t: Tr, v: TokenView) -> Row {
    let never = t.t("token.never");
    Row {
        id: v.id,
        scopes: v.scopes.iter().map(|s| s.code()).collect::<Vec<_>>().join(" "),
        made: time::short(v.created_at),
        made_iso: time::iso(v.created_at),
        by: v.created_by,
        expires: v.expires_at.map(time::short).unwrap_or_else(|| never.to_owned()),
        last_used: match (v.last_used_at, v.last_used_from) {
            (Some(at), Some(from)) => format!("{} ({from})", time::short(at)),
            (Some(at), None) => time::short(at),
            _ => never.to_owned(),
        },
        in_force: v.in_force,
        state: match v.revoked_at {
            Some(_) => t.t("token.revoked"),
            None => t.t("token.expired"),
        },
        name: v.name,
    }
}

async fn page(
    state: &HttpState,
    admin: &Administrator,
    secret: Option<String>,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let list = state.services.tokens.list(&admin.actor).await.map_err(|e| who.error(e))?;
    let page = TokensPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        rows: list.into_iter().map(|v| row(who.tr, v)).collect(),
        scopes: scopes(who.tr),
        secret,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/tokens`
pub async fn tokens(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    page(&state, &admin, None, String::new(), String::new()).await
}

/// `POST /admin/tokens`: make a token, or revoke one.
pub async fn change_tokens(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let tr = admin.who.tr;
    let tokens = &state.services.tokens;
    let outcome = match f.one("action").as_str() {
        "create" => {
            let days = match f.one("days").as_str() {
                "" => None,
                d => match d.parse::<i64>() {
                    Ok(d) if (1..=3660).contains(&d) => Some(d),
                    _ => {
                        return page(&state, &admin, None, String::new(), tr.t("token.bad_expiry").to_owned())
                            .await
                    }
                },
            };
            let req = TokenRequest {
                name: f.one("name"),
                scopes: f.all("scope"),
                expires_at: days.map(|d| state.services.now() + d * 86_400),
            };
            tokens.create(&admin.actor, &req).await.map(|made| (Some(made.secret), tr.t("token.made_notice")))
        }
        "revoke" => match f.one("id").parse::<i64>() {
            Ok(id) => tokens.revoke(&admin.actor, id).await.map(|()| (None, tr.t("token.revoked_notice"))),
            Err(_) => Err(ServiceError::NotFound),
        },
        _ => return Err(HttpError::BadRequest(tr.t("error.forbidden").to_owned())),
    };
    match outcome {
        Ok((secret, notice)) => page(&state, &admin, secret, notice.to_owned(), String::new()).await,
        Err(ServiceError::Invalid(i)) => page(&state, &admin, None, String::new(), message(tr, &i)).await,
        Err(e) => Err(admin.who.error(e)),
    }
}
