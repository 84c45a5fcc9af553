//! The subscriber's start page with its panels (SPEC W3), the history (SPEC W5),
//! the voicemail list (SPEC W10) and placing calls (SPEC W4). Every handler
//! takes a [`Subscriber`] and asks the services as his actor.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;

use super::error::{exchange_code, render, Answer, HttpError};
use super::form::Posted;
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::cdr::{note_mark, Cdr, HistoryKind, HistoryQuery};
use crate::domain::dialplan::Form;
use crate::domain::number::is_dialable;
use crate::domain::time;
use crate::domain::voicemail::Voicemail;
use crate::services::calls::{CallFrom, PlaceCall, Verb};
use crate::services::voicemail::VOICEMAIL_NUMBER;
use crate::services::ServiceError;

/// Numbers the start page's search shows.
const SEARCH_ROWS: usize = 20;
const HISTORY_PAGE: u32 = 50;
const VOICEMAIL_ROWS: u32 = 500;

pub struct Row {
    pub kind: &'static str,
    pub kind_label: String,
    pub iso: String,
    pub short: String,
    pub name: String,
    pub number: String,
    pub duration: String,
    pub count: usize,
    /// What the call cost, when it cost anything.
    pub cost: String,
    /// The record's id (the core's), and the note kept with the call.
    pub id: u64,
    pub note: String,
}

pub struct VmRow {
    /// The core's id of the message (its recording's address).
    pub id: u64,
    pub iso: String,
    pub short: String,
    pub name: String,
    pub caller: String,
    pub duration: String,
    pub new: bool,
}

fn row(t: Tr, cdr: &Cdr, names: &HashMap<String, String>, count: usize) -> Row {
    let kind = cdr.kind().code();
    Row {
        kind,
        kind_label: t.t(label_key(cdr.kind())).to_owned(),
        iso: time::iso(cdr.started_at),
        short: time::short(cdr.started_at),
        name: names.get(&cdr.peer).cloned().unwrap_or_default(),
        number: cdr.peer.clone(),
        duration: cdr.shown_duration().map(time::duration).unwrap_or_default(),
        count,
        cost: String::new(),
        id: cdr.core_id,
        note: String::new(),
    }
}

/// The translation key of a kind of call's label.
fn label_key(kind: HistoryKind) -> &'static str {
    match kind {
        HistoryKind::Outgoing => "history.outgoing",
        HistoryKind::Incoming => "history.incoming",
        HistoryKind::Missed => "history.missed",
        HistoryKind::AnsweredElsewhere => "history.answered_elsewhere",
    }
}

/// A call's cost as the history shows it: empty for a free call.
fn priced(cost: i64) -> String {
    if cost == 0 {
        String::new()
    } else {
        crate::domain::tariff::money(cost)
    }
}

fn vm_row(v: &Voicemail, names: &HashMap<String, String>) -> VmRow {
    VmRow {
        id: v.core_id,
        iso: time::iso(v.received_at),
        short: time::short(v.received_at),
        name: names.get(&v.caller).cloned().unwrap_or_default(),
        caller: v.caller.clone(),
        duration: time::duration(v.duration_secs),
        new: v.heard_at.is_none(),
    }
}

#[derive(Template)]
#[template(path = "panels.html")]
struct Panels {
    t: Tr,
    missed: Vec<Row>,
    recent: Vec<Row>,
    voicemails: Vec<VmRow>,
    voicemail_number: String,
}

/// The three panels that change with calls: missed, recent, voicemail.
async fn panels_html(state: &HttpState, who: &Subscriber) -> Result<String, HttpError> {
    let p = state.services.history.panels(&who.actor, who.ext()).await.map_err(|e| who.error(e))?;
    let t = who.tr;
    let panels = Panels {
        t,
        missed: p.missed.iter().map(|(h, n)| row(t, &h.cdr, &p.names, *n)).collect(),
        recent: p.recent.iter().map(|h| row(t, &h.cdr, &p.names, 1)).collect(),
        voicemails: p.voicemails.iter().map(|v| vm_row(v, &p.names)).collect(),
        voicemail_number: VOICEMAIL_NUMBER.to_owned(),
    };
    panels.render().map_err(|e| HttpError::Internal(e.to_string()))
}

/// A member's lamp on a team panel.
struct LampView {
    label: String,
    /// Its first line (to call), or empty.
    ext: String,
    lines: String,
    /// The account it is of, whose device in use may change; or empty.
    account: String,
    /// `idle`, `ringing`, ... or `unknown`.
    state: &'static str,
    state_label: String,
    presence: String,
}

/// A group the subscriber is a member of, as a speed-dial panel (SPEC C6).
struct TeamPanel {
    id: i64,
    name: String,
    lamps: Vec<LampView>,
}

async fn team(state: &HttpState, who: &Subscriber) -> Vec<TeamPanel> {
    let t = who.tr;
    let panels = state.services.cti.lamps(&who.actor).await.unwrap_or_default();
    panels
        .into_iter()
        .map(|(panel, lamps)| TeamPanel {
            id: panel.id,
            name: panel.name,
            lamps: lamps
                .into_iter()
                .map(|l| {
                    let presence = match &l.presence {
                        Some(p) if p.status != crate::domain::presence::Status::Available => {
                            let name = t.t(p.status.label());
                            if p.info.is_empty() {
                                name.to_owned()
                            } else {
                                format!("{name}: {}", p.info)
                            }
                        }
                        _ => String::new(),
                    };
                    LampView {
                        label: l.member.label,
                        ext: l.lines.first().cloned().unwrap_or_default(),
                        lines: l.lines.join(" "),
                        account: match &l.member.member {
                            crate::domain::group::Member::Account(name) => name.clone(),
                            crate::domain::group::Member::Subscriber(_) => String::new(),
                        },
                        state: l.state.map(|s| s.code()).unwrap_or("unknown"),
                        state_label: l
                            .state
                            .map(|s| t.t(&format!("line.{}", s.code())).to_owned())
                            .unwrap_or_default(),
                        presence,
                    }
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    q: &'a str,
    found: Vec<(String, String)>,
    mode: &'a str,
    flash: String,
    panels: String,
    services: String,
    costs: String,
    team: Vec<TeamPanel>,
    /// The line states' names, for the script that updates the lamps.
    lamp_labels: String,
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    called: String,
    #[serde(default)]
    error: String,
}

/// `GET /start`
pub async fn start(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(sq): Query<StartQuery>,
) -> Result<Response, HttpError> {
    let panels = panels_html(&state, &who).await?;
    let q = sq.q.trim();
    // Extensions and both phonebooks: one row per number.
    let found: Vec<(String, String)> = if q.is_empty() {
        Vec::new()
    } else {
        let entries =
            state.services.phonebook.search(&who.actor, who.ext(), q, SEARCH_ROWS).await.unwrap_or_default();
        entries
            .into_iter()
            .flat_map(|e| {
                let name = e.contact.display_name();
                e.contact.numbers.into_iter().map(move |n| (n.number, name.clone()))
            })
            .take(SEARCH_ROWS)
            .collect()
    };
    let services = active_services(&state, &who).await;
    let flash = if !sq.called.is_empty() && is_dialable(&sq.called) {
        who.tr.f("call.placed", "number", &sq.called)
    } else if !sq.error.is_empty() {
        call_error_text(who.tr, &sq.error)
    } else {
        String::new()
    };
    let mode = who.profile.callback_choice.as_deref().unwrap_or("extension");
    render(StartPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        q,
        found,
        mode,
        flash,
        panels,
        services,
        costs: super::costs::summary(&state, &who).await,
        team: team(&state, &who).await,
        lamp_labels: lamp_labels(who.tr),
    })
}

fn lamp_labels(t: Tr) -> String {
    use crate::domain::line::LineState;
    let states = [
        LineState::Idle,
        LineState::Ringing,
        LineState::Dialling,
        LineState::Busy,
        LineState::Held,
        LineState::Unreachable,
        LineState::Dnd,
    ];
    let labels: serde_json::Map<String, serde_json::Value> =
        states.iter().map(|s| (s.code().to_owned(), t.t(&format!("line.{}", s.code())).into())).collect();
    serde_json::Value::Object(labels).to_string()
}

/// `GET /start/panels`: the live panels alone, fetched again when an event comes.
pub async fn panels(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    Ok(Html(panels_html(&state, &who).await?).into_response())
}

async fn active_services(state: &HttpState, who: &Subscriber) -> String {
    let Ok(p) = state.services.forwarding.program(&who.actor, who.ext()).await else { return String::new() };
    let mut on = Vec::new();
    // The presence state, when it is not plain availability or the DND below.
    if let Ok(s) = state.services.presence.shown(&who.actor, who.ext()).await {
        use crate::domain::presence::{Status, SET_BY_PHONE};
        if s.status != Status::Available && s.set_by != SET_BY_PHONE {
            let name = who.tr.t(s.status.label());
            on.push(if s.info.is_empty() { name.to_owned() } else { format!("{name}: {}", s.info) });
        }
    }
    if p.dnd.is_some() {
        on.push("DND".to_owned());
    }
    if let Some(to) = &p.forward_always {
        on.push(format!("→ {to}"));
    }
    if let Some(to) = &p.follow_me {
        on.push(format!("⇢ {to}"));
    }
    if p.phone_lock {
        on.push("🔒".to_owned());
    }
    if p.clir {
        on.push("CLIR".to_owned());
    }
    on.join(", ")
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The managed extension's number, or empty.
    managed: &'a str,
    types: Vec<(&'static str, String)>,
    kind: &'a str,
    from: &'a str,
    to: &'a str,
    number: &'a str,
    rows: Vec<Row>,
    /// The notes the page shows, each as its record's id and mark
    /// (`domain::cdr::note_mark`), for the notes form.
    shown: String,
    older: String,
}

#[derive(Deserialize, Default)]
pub struct HistoryParams {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    before: String,
}

/// `GET /history`: the subscriber's own calls, filtered and paged.
pub async fn history(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(p): Query<HistoryParams>,
) -> Result<Response, HttpError> {
    let kind = HistoryKind::from_code(&p.kind);
    let digits: String = p.number.chars().filter(|c| c.is_ascii_digit() || *c == '+').take(32).collect();
    let before = p.before.split_once('.').and_then(|(t, id)| Some((t.parse().ok()?, id.parse().ok()?)));
    let q = HistoryQuery {
        extension: who.subject().to_owned(),
        kind,
        from: time::parse_date(&p.from),
        // The "to" date is inclusive: up to its end.
        to: time::parse_date(&p.to).map(|t| t + 86_400),
        number: (!digits.is_empty()).then_some(digits.clone()),
        before,
        limit: HISTORY_PAGE,
    };
    let rows = state.services.history.page(&who.actor, q).await.map_err(|e| who.error(e))?;
    let from = if time::parse_date(&p.from).is_some() { p.from.as_str() } else { "" };
    let to = if time::parse_date(&p.to).is_some() { p.to.as_str() } else { "" };
    let kind_code = kind.map(HistoryKind::code).unwrap_or("");
    let older = match rows.last() {
        Some(last) if rows.len() == HISTORY_PAGE as usize => format!(
            "/history?type={kind_code}&from={from}&to={to}&number={digits}&before={}.{}{}",
            last.cdr.started_at,
            last.id,
            if who.managed.is_some() { format!("&for={}", who.subject()) } else { String::new() }
        ),
        _ => String::new(),
    };
    let numbers = rows.iter().map(|h| (h.cdr.peer.clone(), h.cdr.peer_form())).collect();
    let names = state.services.history.names(&who.actor, who.subject(), numbers).await.unwrap_or_default();
    let t = who.tr;
    let mut types = vec![("", t.t("history.all").to_owned())];
    types.extend(
        HistoryKind::ALL.iter().map(|k| (k.code(), t.t(&format!("history.{}", k.code())).to_owned())),
    );
    render(HistoryPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        managed: who.managed_ext(),
        types,
        kind: kind_code,
        from,
        to,
        number: &digits,
        rows: rows
            .iter()
            .map(|h| Row {
                cost: priced(h.cost),
                note: h.note.clone().unwrap_or_default(),
                ..row(t, &h.cdr, &names, 1)
            })
            .collect(),
        shown: rows
            .iter()
            .filter_map(|h| h.note.as_deref().map(|n| format!("{}.{}", h.cdr.core_id, note_mark(n))))
            .collect::<Vec<_>>()
            .join(" "),
        older,
    })
}

#[derive(Template)]
#[template(path = "voicemail.html")]
struct VoicemailPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    voicemails: Vec<VmRow>,
    voicemail_number: String,
}

/// `GET /voicemail`: every message, new and heard.
pub async fn voicemail(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    let list = state
        .services
        .voicemail
        .list(&who.actor, who.ext(), VOICEMAIL_ROWS)
        .await
        .map_err(|e| who.error(e))?;
    let numbers = list.iter().map(|v| (v.caller.clone(), Form::Written)).collect();
    let names = state.services.history.names(&who.actor, who.ext(), numbers).await.unwrap_or_default();
    render(VoicemailPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        voicemails: list.iter().map(|v| vm_row(v, &names)).collect(),
        voicemail_number: VOICEMAIL_NUMBER.to_owned(),
    })
}

/// `POST /history/note`: keeps the notes typed on the history's page (one
/// form for the page: `n<record>` for each call's note, `id` the call whose
/// button was pressed, `shown` the marks of the notes the page showed), or one
/// note (`id`, `note`); an empty note takes it away. Back to the history.
pub async fn note(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let invalid = || HttpError::BadRequest(t.t("history.note_invalid").to_owned());
    let chosen: Option<u64> = f.one("id").parse().ok();
    let typed: Vec<(u64, String)> =
        f.0.iter().filter_map(|(k, v)| Some((k.strip_prefix('n')?.parse().ok()?, v.clone()))).collect();
    let outcome = if typed.is_empty() {
        let id = chosen.ok_or_else(invalid)?;
        state.services.history.note(&who.actor, who.ext(), id, &f.one("note")).await.map(|()| 1)
    } else {
        let shown = f
            .one("shown")
            .split_whitespace()
            .filter_map(|m| {
                m.split_once('.').and_then(|(id, mark)| Some((id.parse().ok()?, mark.to_owned())))
            })
            .collect();
        state.services.history.notes(&who.actor, who.ext(), typed, chosen, &shown).await
    };
    match outcome {
        Ok(_) => {
            let at = chosen.map(|id| format!("#call-{id}")).unwrap_or_default();
            Ok(Redirect::to(&format!("/history{at}")).into_response())
        }
        Err(ServiceError::Invalid(_)) => Err(invalid()),
        Err(e) => Err(who.error(e)),
    }
}

/// `POST /call/control`: the popup's buttons: answer the call ringing here
/// (`action=answer`, `call`) or send it on (`action=deflect`, `call`,
/// `number`), through the service call the CTI clients' verbs use, so the
/// number passes the same restriction and lock.
pub async fn control(
    State(state): State<HttpState>,
    Posted { who, fields: f, fetch }: Posted,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let call = f.one("call").parse().map_err(|_| HttpError::BadRequest(t.t("call.unknown").to_owned()))?;
    let number = f.one("number");
    let verb = match f.one("action").as_str() {
        "answer" => Verb::Answer { call },
        "deflect" => Verb::Deflect { call, number: number.clone() },
        _ => return Err(HttpError::BadRequest(t.t("call.unknown").to_owned())),
    };
    let done = match verb {
        Verb::Answer { .. } => t.t("popup.answered").to_owned(),
        _ => t.f("popup.deflected", "number", &number),
    };
    let (ok, code, message) = match state.services.calls.control(&who.actor, who.ext(), verb).await {
        Ok(_) => (true, "", done),
        Err(ServiceError::Invalid(_)) => (false, "invalid", t.f("call.failed", "reason", "invalid")),
        Err(ServiceError::Exchange(x)) => (false, exchange_code(x), call_error_text(t, exchange_code(x))),
        Err(e) => return Err(who.error(e)),
    };
    if fetch {
        let status = if ok { Answer::Shown } else { Answer::Invalid };
        return Ok(
            (status.status(), Json(serde_json::json!({ "ok": ok, "message": message }))).into_response()
        );
    }
    let to = if ok { "/start".to_owned() } else { format!("/start?error={code}") };
    Ok(Redirect::to(&to).into_response())
}

fn call_error_text(t: Tr, code: &str) -> String {
    match code {
        "no_mobile" => t.t("call.no_mobile").to_owned(),
        "no_credit" => t.t("call.no_credit").to_owned(),
        "core" => t.t("error.core").to_owned(),
        "invalid" | "restricted" | "refused" => t.f("call.failed", "reason", code),
        _ => String::new(),
    }
}

/// `POST /call`: the exchange rings the subscriber's extension (or MobilePhone)
/// and, on answer, dials the number.
pub async fn call(
    State(state): State<HttpState>,
    Posted { who, fields: f, fetch }: Posted,
) -> Result<Response, HttpError> {
    let req = PlaceCall {
        ext: who.ext().to_owned(),
        number: f.one("number"),
        from: CallFrom::from_code(&f.one("mode")),
        remember: f.on("remember"),
    };
    let outcome = state.services.calls.place(&who.actor, req).await;
    let (ok, code, message) = match outcome {
        Ok(number) => (true, number.clone(), who.tr.f("call.placed", "number", &number)),
        Err(ServiceError::Invalid(_)) => {
            (false, "invalid".to_owned(), who.tr.f("call.failed", "reason", "invalid"))
        }
        Err(ServiceError::Exchange(x)) => {
            let code = exchange_code(x);
            (false, code.to_owned(), call_error_text(who.tr, code))
        }
        Err(
            e @ (ServiceError::Store(_)
            | ServiceError::Hash(_)
            | ServiceError::Denied(_)
            | ServiceError::NotFound
            | ServiceError::Busy(_)
            | ServiceError::Files(_)
            | ServiceError::SessionEnded),
        ) => return Err(who.error(e)),
    };
    if fetch {
        let status = if ok { Answer::Shown } else { Answer::Invalid };
        return Ok(
            (status.status(), Json(serde_json::json!({ "ok": ok, "message": message }))).into_response()
        );
    }
    let to = if ok { format!("/start?called={code}") } else { format!("/start?error={code}") };
    Ok(Redirect::to(&to).into_response())
}
