//! The department's callback list page (SPEC Y5): the callers its members
//! missed, who claimed which, and who called back when. The page follows the
//! list live (the `callbacks` event); the incoming call's popup puts a caller
//! on it with "call back later" (a fetch of the same POST).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{render, Answer, HttpError};
use super::form::Posted;
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::callback::{Callback, Refused, Step};
use crate::domain::time;
use crate::services::callbacks::DepartmentCallbacks;

pub struct Entry {
    pub id: i64,
    pub name: String,
    pub number: String,
    pub calls: u32,
    pub iso: String,
    pub short: String,
    pub called: String,
    /// Who claimed it ("" while nobody has).
    pub claimed: String,
    pub mine: bool,
    /// Who reached the caller, when and how (resolved entries).
    pub by: String,
    pub how: String,
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The department's name; empty while the subscriber is in none.
    department: String,
    open: Vec<Entry>,
    done: Vec<Entry>,
    notice: String,
    error: String,
}

fn entry(t: Tr, c: &Callback, names: &HashMap<String, String>, me: &str) -> Entry {
    let (at, by) = match (c.resolved_at, &c.resolved_by) {
        (Some(at), Some(by)) => (at, by.clone()),
        _ => (c.last_at, String::new()),
    };
    Entry {
        id: c.id,
        name: names.get(&c.number).cloned().unwrap_or_default(),
        number: c.number.clone(),
        calls: c.calls,
        iso: time::iso(at),
        short: time::short(at),
        called: c.called.clone(),
        claimed: c.claimed_by.clone().unwrap_or_default(),
        mine: c.claimed_by.as_deref() == Some(me),
        by,
        how: c.resolution.map(|r| t.t(&format!("callbacks.{}", r.code())).to_owned()).unwrap_or_default(),
    }
}

async fn page(
    state: &HttpState,
    who: &Subscriber,
    status: Answer,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let list = state.services.callbacks.list(&who.actor, who.ext()).await.map_err(|e| who.error(e))?;
    let (department, open, done) = match list {
        Some(DepartmentCallbacks { name, list, names, .. }) => (
            name,
            list.open.iter().map(|c| entry(who.tr, c, &names, who.ext())).collect(),
            list.done.iter().map(|c| entry(who.tr, c, &names, who.ext())).collect(),
        ),
        None => (String::new(), Vec::new(), Vec::new()),
    };
    let page = render(CallbacksPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        department,
        open,
        done,
        notice,
        error,
    })?;
    Ok((status.status(), page).into_response())
}

/// `GET /callbacks`
pub async fn list(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    page(&state, &who, Answer::Shown, String::new(), String::new()).await
}

/// `POST /callbacks`: claim, release or resolve an entry (`id`), or put the
/// caller ringing now on the list (`later`, `number`).
pub async fn act(
    State(state): State<HttpState>,
    Posted { who, fields: f, fetch }: Posted,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let services = &state.services.callbacks;
    let outcome = match f.one("action").as_str() {
        "later" => match services.later(&who.actor, who.ext(), &f.one("number")).await {
            Ok(true) => Ok(t.t("callbacks.added").to_owned()),
            Ok(false) => Err(t.t("callbacks.full").to_owned()),
            Err(crate::services::ServiceError::NotFound) => Err(t.t("callbacks.no_department").to_owned()),
            Err(crate::services::ServiceError::Invalid(_)) => Err(t.t("callbacks.no_number").to_owned()),
            Err(e) => return Err(who.error(e)),
        },
        action => {
            let (step, done) = match action {
                "claim" => (Step::Claim, "callbacks.claimed"),
                "release" => (Step::Release, "callbacks.released"),
                "resolve" => (Step::Resolve, "callbacks.resolved"),
                _ => return Err(HttpError::BadRequest(t.t("callbacks.unknown").to_owned())),
            };
            let id = f
                .one("id")
                .parse()
                .map_err(|_| HttpError::BadRequest(t.t("callbacks.unknown").to_owned()))?;
            match services.step(&who.actor, who.ext(), id, step).await {
                Ok(Ok(())) => Ok(t.t(done).to_owned()),
                Ok(Err(Refused::Gone)) => Err(t.t("callbacks.gone").to_owned()),
                Ok(Err(Refused::ClaimedBy(other))) => Err(t.f("callbacks.claimed_by", "ext", &other)),
                Err(crate::services::ServiceError::NotFound) => {
                    Err(t.t("callbacks.no_department").to_owned())
                }
                Err(e) => return Err(who.error(e)),
            }
        }
    };
    if fetch {
        let (status, ok, message) = match outcome {
            Ok(m) => (Answer::Shown, true, m),
            Err(m) => (Answer::Invalid, false, m),
        };
        return Ok(
            (status.status(), Json(serde_json::json!({ "ok": ok, "message": message }))).into_response()
        );
    }
    match outcome {
        Ok(notice) => page(&state, &who, Answer::Shown, notice, String::new()).await,
        Err(error) => page(&state, &who, Answer::Invalid, String::new(), error).await,
    }
}
