//! The subscriber's change journal (SPEC Y2): who changed his settings, when,
//! from where, and what (old → new), newest first, fifty to a page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::error::{render, HttpError};
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::journal::{OFF, ON, SET};
use crate::domain::time;
use crate::services::journal::PAGE;

/// One row as shown.
struct Row {
    iso: String,
    short: String,
    who: String,
    via: String,
    what: String,
    old: String,
    new: String,
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    rows: Vec<Row>,
    /// The id to page on from, when there may be older entries.
    older: Option<i64>,
}

#[derive(Deserialize)]
pub struct Paging {
    before: Option<i64>,
}

/// The words for a field: the label its page uses.
fn field(t: Tr, field: &str) -> String {
    let keys: &[&str] = match field {
        "forward_always" => &["forwarding.to_number", "forwarding.always"],
        "forward_busy" => &["forwarding.to_number", "forwarding.busy"],
        "forward_no_answer" => &["forwarding.to_number", "forwarding.no_answer"],
        "forward_unreachable" => &["forwarding.to_number", "forwarding.unreachable"],
        "no_answer_secs" => &["forwarding.no_answer_secs"],
        "voicemail" => &["forwarding.voicemail"],
        "dnd" => &["forwarding.dnd"],
        "follow_me" => &["forwarding.follow_me"],
        "mobile_on_no_answer" => &["forwarding.on_no_answer"],
        "mobile_on_dnd" => &["forwarding.on_dnd"],
        "mobile_on_unreachable" => &["forwarding.on_unreachable"],
        "rules" => &["forwarding.rules"],
        "phone_lock" => &["services.phone_lock"],
        "clir" => &["services.clir"],
        "call_waiting" => &["services.call_waiting"],
        "call_as" => &["services.call_as"],
        "wakeup" => &["journal.wakeup"],
        "mobile" => &["forwarding.mobile_number"],
        "recall_account" => &["services.recall", "services.recall_account"],
        "recall_pin" => &["services.recall", "services.recall_pin"],
        "password" => &["journal.password"],
        "name" => &["employee.name"],
        "comment" => &["settings.comment"],
        "email" => &["settings.email"],
        "department" => &["employee.department"],
        "is_admin" => &["employee.is_admin"],
        "public_book" => &["employee.public_book"],
        "restriction" => &["employee.restriction"],
        "caller_ids" => &["employee.caller_ids"],
        _ => return field.to_owned(),
    };
    keys.iter().map(|k| t.t(k)).collect::<Vec<_>>().join(": ")
}

fn value(t: Tr, v: &str) -> String {
    match v {
        "" => "—".to_owned(),
        ON => t.t("journal.on").to_owned(),
        OFF => t.t("journal.off").to_owned(),
        SET => t.t("journal.set").to_owned(),
        other => other.to_owned(),
    }
}

/// Who, in words: an extension, with its role when it was not the subscriber's own.
fn author(t: Tr, actor: &str) -> String {
    match actor.split_once(':') {
        Some(("subscriber", ext)) => ext.to_owned(),
        Some(("admin", ext)) => format!("{ext} ({})", t.t("journal.administrator")),
        Some(("manager", ext)) => format!("{ext} ({})", t.t("journal.manager")),
        Some(("token", id)) => format!("{} {id}", t.t("journal.token")),
        _ if actor == "reset-link" => t.t("journal.reset_link").to_owned(),
        _ => t.t("journal.system").to_owned(),
    }
}

/// `GET /journal`
pub async fn journal(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<Paging>,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let entries =
        state.services.journal.page(&who.actor, who.ext(), q.before).await.map_err(|e| who.error(e))?;
    let older = (entries.len() == PAGE).then(|| entries.last().map(|e| e.id)).flatten();
    let rows = entries
        .iter()
        .map(|e| Row {
            iso: time::iso(e.at),
            short: time::short(e.at),
            who: author(t, &e.actor),
            via: t.t(&format!("journal.via_{}", e.via)).to_owned(),
            what: field(t, &e.field),
            old: value(t, &e.old),
            new: value(t, &e.new),
        })
        .collect();
    render(JournalPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        rows,
        older,
    })
}
