//! The forwarding page (SPEC W9) and the "why would my phone ring?" preview
//! (SPEC Y1): the form, sent whole, and a call described in the query.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::error::{message, saved_notice, shown_or_refused, HttpError};
use super::form::{Fields, Posted};
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::line::LineState;
use crate::domain::program::{ExtensionProgram, ForwardRule, RuleWhen};
use crate::domain::routing::{Decision, LineCondition};
use crate::domain::settings::{RuleDraft, MAX_RULES};
use crate::services::forwarding::{ForwardingChange, PreviewCall, PreviewOutcome};
use crate::services::ServiceError;

pub struct RuleRow {
    pub index: usize,
    pub active: bool,
    pub when: &'static str,
    pub calls: &'static str,
    pub presentation: &'static str,
    pub kind: &'static str,
    pub target: String,
}

fn rule_row(index: usize, r: &ForwardRule) -> RuleRow {
    RuleRow {
        index,
        active: r.active,
        when: r.when.code(),
        calls: r.calls.code(),
        presentation: r.presentation.code(),
        kind: r.target.kind(),
        target: r.target.number().unwrap_or_default().to_owned(),
    }
}

#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    caller: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    withheld: String,
    #[serde(default)]
    line: String,
}

/// The preview's answer: codes for machines, words for people.
pub struct Preview {
    pub arrival: String,
    pub arrival_text: String,
    pub no_answer: String,
    pub no_answer_text: String,
    pub line_text: String,
}

#[derive(Template)]
#[template(path = "forwarding.html")]
struct ForwardingPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The managed extension's number, or empty.
    managed: &'a str,
    p: ExtensionProgram,
    mobile: String,
    announcements: Vec<(u16, String)>,
    rules: Vec<RuleRow>,
    new_index: usize,
    whens: Vec<(&'static str, String)>,
    q: PreviewQuery,
    preview: Option<Preview>,
    notice: String,
    error: String,
}

async fn forwarding_page(
    state: &HttpState,
    who: &Subscriber,
    q: PreviewQuery,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let fwd = &state.services.forwarding;
    let p = fwd.program(&who.actor, who.subject()).await.map_err(|e| who.error(e))?;
    let t = who.tr;
    let preview = if q.caller.is_empty() {
        None
    } else {
        let call = PreviewCall {
            internal: q.caller == "internal",
            number: q.number.clone(),
            withheld: q.withheld == "1",
            line: match q.line.as_str() {
                "busy" => Some(LineCondition::Busy),
                "unreachable" => Some(LineCondition::Unreachable),
                "free" => Some(LineCondition::Free),
                _ => None,
            },
        };
        let outcome = fwd.preview(&who.actor, who.subject(), call).await.map_err(|e| who.error(e))?;
        Some(preview(t, &outcome))
    };
    let page = ForwardingPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        managed: who.managed_ext(),
        mobile: p.mobile.clone().unwrap_or_default(),
        announcements: fwd.announcements(p.dnd).await,
        rules: p.rules.iter().enumerate().map(|(i, r)| rule_row(i, r)).collect(),
        new_index: p.rules.len(),
        whens: RuleWhen::ALL
            .iter()
            .map(|w| (w.code(), t.t(&format!("forwarding.when_{}", w.code())).to_owned()))
            .collect(),
        p,
        q,
        preview,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /forwarding` (with a call described in the query: the preview).
pub async fn forwarding(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, HttpError> {
    forwarding_page(&state, &who, q, String::new(), String::new()).await
}

/// The rules as the form sends them, in the order of its rows: deleted and empty
/// rows left out, and a move button's two rows swapped.
fn rule_drafts(f: &Fields) -> Vec<RuleDraft> {
    let count = f.one("rules").parse::<usize>().unwrap_or(0).min(MAX_RULES + 1);
    let mut rules = Vec::new();
    for i in 0..=count {
        let key = |k: &str| format!("rule_{i}_{k}");
        if f.on(&key("delete")) || f.one(&key("kind")).is_empty() {
            continue;
        }
        rules.push(RuleDraft {
            active: f.on(&key("active")),
            when: f.one(&key("when")),
            calls: f.one(&key("calls")),
            presentation: f.one(&key("presentation")),
            kind: f.one(&key("kind")),
            target: f.one(&key("target")),
        });
    }
    if let Some((dir, i)) = f.one("move").split_once(':') {
        if let Ok(i) = i.parse::<usize>() {
            match dir {
                "up" if i > 0 && i < rules.len() => rules.swap(i, i - 1),
                "down" if i + 1 < rules.len() => rules.swap(i, i + 1),
                _ => {}
            }
        }
    }
    rules
}

/// `POST /forwarding`: the whole page at once, checked before anything is stored.
pub async fn save_forwarding(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let change = ForwardingChange {
        forward_always: f.one("forward_always"),
        forward_busy: f.one("forward_busy"),
        forward_no_answer: f.one("forward_no_answer"),
        forward_unreachable: f.one("forward_unreachable"),
        no_answer_secs: f.one("no_answer_secs"),
        voicemail: f.on("voicemail"),
        follow_me: f.one("follow_me"),
        dnd: f.on("dnd").then(|| f.one("announcement")),
        mobile_on_no_answer: f.on("mobile_on_no_answer"),
        mobile_on_dnd: f.on("mobile_on_dnd"),
        mobile_on_unreachable: f.on("mobile_on_unreachable"),
        rules: rule_drafts(&f),
    };
    let q = PreviewQuery::default();
    match state.services.forwarding.save(&who.actor, who.subject(), change).await {
        Ok(p) => forwarding_page(&state, &who, q, saved_notice(who.tr, p), String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            forwarding_page(&state, &who, q, String::new(), message(who.tr, &i)).await
        }
        Err(e) => Err(who.error(e)),
    }
}

fn decision(t: Tr, d: &Decision, secs: u16) -> (String, String) {
    match d {
        Decision::Ring => ("ring".into(), t.f("preview.ring", "secs", &secs.to_string())),
        Decision::FollowMe(e) => (format!("follow:{e}"), t.f("preview.follow", "number", e)),
        Decision::Forward(n) => (format!("forward:{n}"), t.f("preview.forward", "number", n)),
        Decision::Voicemail => ("voicemail".into(), t.t("preview.voicemail").to_owned()),
        Decision::FaxToMail => ("fax_to_mail".into(), t.t("preview.fax_to_mail").to_owned()),
        Decision::Announcement(a) => {
            (format!("announcement:{a}"), t.f("preview.announcement", "id", &a.to_string()))
        }
        Decision::BusyTone => ("busy".into(), t.t("preview.busy").to_owned()),
        Decision::Missed => ("missed".into(), t.t("preview.missed").to_owned()),
    }
}

fn preview(t: Tr, o: &PreviewOutcome) -> Preview {
    let line_text = match (o.asked_core, o.line_now, o.line) {
        (false, _, LineCondition::Busy) => t.t("preview.line_busy"),
        (false, _, LineCondition::Unreachable) => t.t("preview.line_unreachable"),
        (false, _, LineCondition::Free) => t.t("preview.line_free"),
        (true, Some(LineState::Unreachable), _) => t.t("preview.now_unreachable"),
        (true, Some(LineState::Idle | LineState::Dnd), _) => t.t("preview.now_free"),
        (true, Some(_), _) => t.t("preview.now_busy"),
        (true, None, _) => t.t("preview.now_unknown"),
    };
    let (arrival, arrival_text) = decision(t, &o.arrival, o.no_answer_secs);
    let (no_answer, no_answer_text) = match &o.no_answer {
        Some(d) => decision(t, d, o.no_answer_secs),
        None => (String::new(), String::new()),
    };
    Preview { arrival, arrival_text, no_answer, no_answer_text, line_text: line_text.to_owned() }
}
