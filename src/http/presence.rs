//! The presence page (`/presence`, SPEC C7): the state a subscriber shows, the
//! stack of statuses now and to come, a new status (for a while, between two
//! times, with calls forwarded or DND meanwhile), one ended by hand; and the
//! administrator's page (`/admin/presence`, SPEC C8): every extension's state
//! and what the last read of `PrmImport.csv` did, bad lines by number.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{import_line_key, message, shown_or_refused, HttpError};
use super::form::{AdminPosted, Posted};
use super::i18n::Tr;
use super::session::{Administrator, Subscriber};
use super::HttpState;
use crate::domain::presence::{Divert, Entry, Shown, Status, SET_BY_PHONE};
use crate::domain::time;
use crate::services::presence::SetPresence;
use crate::services::ServiceError;

/// A status as a row shows it.
struct Row {
    id: i64,
    state: &'static str,
    name: String,
    info: String,
    /// `<time>` values: ISO and the short form.
    start: (String, String),
    end: Option<(String, String)>,
    set_by: String,
    forward: String,
    now: bool,
}

fn when(t: i64) -> (String, String) {
    (time::iso(t), time::short(t))
}

fn forward_text(t: Tr, d: &Option<Divert>) -> String {
    match d {
        None => String::new(),
        Some(Divert::Dnd) => t.t("presence.forward_dnd").to_owned(),
        Some(Divert::Number(n)) => t.f("presence.forward_to", "number", n),
    }
}

fn set_by_text(t: Tr, by: &str) -> String {
    if by == SET_BY_PHONE {
        t.t("presence.set_at_phone").to_owned()
    } else {
        by.to_owned()
    }
}

#[derive(Template)]
#[template(path = "presence.html")]
struct PresencePage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    managed: &'a str,
    /// The extension shown, whose changes the page follows.
    ext: &'a str,
    state: &'static str,
    name: String,
    info: String,
    until: Option<(String, String)>,
    set_by: String,
    forward: String,
    rows: Vec<Row>,
    states: Vec<(&'static str, String)>,
    time_zone: &'a str,
    notice: String,
    error: String,
}

async fn page(
    state: &HttpState,
    who: &Subscriber,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let (shown, stack) =
        state.services.presence.stack(&who.actor, who.subject()).await.map_err(|e| who.error(e))?;
    let rows = stack
        .iter()
        .map(|e: &Entry| Row {
            id: e.id,
            state: e.status.code(),
            name: t.t(e.status.label()).to_owned(),
            info: e.info.clone(),
            start: when(e.start),
            end: e.end.map(when),
            set_by: set_by_text(t, &e.set_by),
            forward: forward_text(t, &e.divert()),
            now: shown.entry == Some(e.id),
        })
        .collect();
    let Shown { status, info, end, set_by, divert, .. } = shown;
    let time_zone = state.services.presence.time_zone().to_owned();
    let p = PresencePage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        managed: who.managed_ext(),
        ext: who.subject(),
        state: status.code(),
        name: t.t(status.label()).to_owned(),
        info,
        until: end.map(when),
        set_by: set_by_text(t, &set_by),
        forward: forward_text(t, &divert),
        rows,
        states: Status::ALL.iter().map(|s| (s.code(), t.t(s.label()).to_owned())).collect(),
        time_zone: &time_zone,
        notice,
        error,
    };
    shown_or_refused(p.error.is_empty(), p)
}

/// `GET /presence`
pub async fn presence(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    page(&state, &who, String::new(), String::new()).await
}

/// `POST /presence`: a new status (`status`, `info`, `minutes` or `from` and
/// `until` in board time, `forward`), `available`, or `end` with a status's id.
pub async fn change(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let p = &state.services.presence;
    let outcome = match f.one("end").trim() {
        "" => {
            let minutes = f.one("minutes");
            let minutes = minutes.trim();
            let set = SetPresence {
                status: f.one("status"),
                info: f.one("info"),
                start_local: f.one("from"),
                end_local: f.one("until"),
                minutes: if minutes.is_empty() { None } else { minutes.parse().ok().or(Some(0)) },
                forward: match f.one("divert").as_str() {
                    "dnd" => "dnd".to_owned(),
                    "number" => f.one("number"),
                    _ => String::new(),
                },
                ..SetPresence::default()
            };
            p.set(&who.actor, who.subject(), set).await
        }
        id => match id.parse::<i64>() {
            Ok(id) => p.end(&who.actor, who.subject(), id).await,
            Err(_) => Err(ServiceError::NotFound),
        },
    };
    match outcome {
        Ok(_) => page(&state, &who, who.tr.t("presence.saved").to_owned(), String::new()).await,
        Err(ServiceError::Invalid(i)) => page(&state, &who, String::new(), message(who.tr, &i)).await,
        Err(e) => Err(who.error(e)),
    }
}

struct StateRow {
    ext: String,
    state: &'static str,
    name: String,
    info: String,
    until: Option<(String, String)>,
    set_by: String,
}

struct Problem {
    line: usize,
    what: String,
}

#[derive(Template)]
#[template(path = "admin_presence.html")]
struct AdminPresencePage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    file: String,
    read_at: Option<(String, String)>,
    applied: usize,
    passed: usize,
    bad_lines: usize,
    failure: String,
    problems: Vec<Problem>,
    states: Vec<StateRow>,
    notice: String,
}

async fn admin_page(state: &HttpState, admin: &Administrator, notice: String) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let p = &state.services.presence;
    let (file, last) = p.last_import(&admin.actor).map_err(|e| admin.who.error(e))?;
    let all = p.all(&admin.actor).await.map_err(|e| admin.who.error(e))?;
    let states = all
        .into_iter()
        .filter(|(_, s)| s.status != Status::Available)
        .map(|(ext, s)| StateRow {
            ext,
            state: s.status.code(),
            name: t.t(s.status.label()).to_owned(),
            info: s.info,
            until: s.end.map(when),
            set_by: set_by_text(t, &s.set_by),
        })
        .collect();
    let page = AdminPresencePage {
        t,
        layout: &admin.who.profile.layout,
        csrf: &admin.who.session.csrf,
        who: admin.who.heading(),
        file: file.unwrap_or_default(),
        read_at: last.as_ref().map(|r| when(r.at)),
        applied: last.as_ref().map_or(0, |r| r.applied),
        passed: last.as_ref().map_or(0, |r| r.passed),
        bad_lines: last.as_ref().map_or(0, |r| r.bad_lines),
        failure: last.as_ref().and_then(|r| r.error.clone()).unwrap_or_default(),
        problems: last
            .map(|r| {
                r.problems
                    .into_iter()
                    .map(|(line, p)| Problem { line, what: t.t(import_line_key(p)).to_owned() })
                    .collect()
            })
            .unwrap_or_default(),
        states,
        notice,
    };
    shown_or_refused(true, page)
}

/// `GET /admin/presence`
pub async fn admin(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    admin_page(&state, &admin, String::new()).await
}

/// `POST /admin/presence/read`: reads the import file now.
pub async fn read_now(
    State(state): State<HttpState>,
    AdminPosted { admin, .. }: AdminPosted,
) -> Result<Response, HttpError> {
    let notice = match state.services.presence.import_now(&admin.actor).await {
        Ok(_) => admin.who.tr.t("presence.import_read").to_owned(),
        Err(ServiceError::NotFound) => admin.who.tr.t("presence.no_import").to_owned(),
        Err(e) => return Err(admin.who.error(e)),
    };
    admin_page(&state, &admin, notice).await
}
