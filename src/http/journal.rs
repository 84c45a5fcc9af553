//! The subscriber's change journal (SPEC Y2): who changed his settings, when,
//! from where, and what (old → new), newest first, fifty to a page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{render, HttpError};
use super::i18n::Tr;
use super::session::{Administrator, Subscriber};
use super::HttpState;
use crate::domain::access::Actor;
use crate::domain::journal::{Topic, OFF, ON, SET};
use crate::domain::time;
use crate::services::journal::PAGE;

/// One row as shown.
struct Row {
    /// Whose settings: shown on the manager's page of all his departments.
    ext: String,
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
    /// Whose journal this is.
    subject: String,
    /// Many extensions' entries: each row names its extension.
    many: bool,
    /// The filter form: where it goes, the parameter that keeps whose journal
    /// it is (`for` or `ext`, with its value), the topics and the one chosen.
    action: &'a str,
    keep: Option<(&'static str, String)>,
    topics: Vec<(&'static str, String)>,
    topic: &'a str,
    rows: Vec<Row>,
    /// The link to older entries, when there may be some.
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct Paging {
    before: Option<i64>,
    /// Whose journal, on the administrator's page.
    #[serde(default)]
    ext: String,
    /// Only this topic's entries (`forwarding`, `services`, ...).
    #[serde(default)]
    topic: String,
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
        "two_factor" => &["two_factor.title"],
        "name" => &["employee.name"],
        "comment" => &["settings.comment"],
        "email" => &["settings.email"],
        "department" => &["employee.department"],
        "is_admin" => &["employee.is_admin"],
        "public_book" => &["employee.public_book"],
        "restriction" => &["employee.restriction"],
        "caller_ids" => &["employee.caller_ids"],
        "manages" => &["employee.manages"],
        "recordings" => &["employee.recordings"],
        "description" => &["settings.description"],
        "notify_answered" => &["manager.notify_answered"],
        "notify_missed" => &["manager.notify_missed"],
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

/// `GET /journal`: the subscriber's own.
pub async fn journal(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<Paging>,
) -> Result<Response, HttpError> {
    let ext = who.subject().to_owned();
    let keep = who.managed.as_ref().map(|_| ("for", ext.clone()));
    page(&state, &who, &who.actor, &ext, &q, "/journal", keep).await
}

/// `GET /admin/journal?ext=N`: any extension's, for an administrator.
pub async fn any_journal(
    State(state): State<HttpState>,
    admin: Administrator,
    Query(q): Query<Paging>,
) -> Result<Response, HttpError> {
    if q.ext.is_empty() {
        return Ok(axum::response::Redirect::to("/admin/employees").into_response());
    }
    if !crate::domain::account::is_extension(&q.ext) {
        return Err(HttpError::NotFound(admin.who.tr.t("error.not_found").to_owned()));
    }
    let keep = Some(("ext", q.ext.clone()));
    page(&state, &admin.who, &admin.actor, &q.ext, &q, "/admin/journal", keep).await
}

async fn page(
    state: &HttpState,
    who: &Subscriber,
    actor: &Actor,
    ext: &str,
    q: &Paging,
    action: &str,
    keep: Option<(&'static str, String)>,
) -> Result<Response, HttpError> {
    let topic = Topic::from_code(&q.topic);
    let entries = state.services.journal.page(actor, ext, q.before, topic).await.map_err(|e| who.error(e))?;
    shown(who, entries, ext.to_owned(), false, topic, action, keep)
}

/// `GET /manager/journal`: every extension of the manager's departments.
pub async fn departments_journal(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<Paging>,
) -> Result<Response, HttpError> {
    let topic = Topic::from_code(&q.topic);
    let entries = state.services.team.journal(&who.actor, q.before, topic).await.map_err(|e| who.error(e))?;
    let subject = who.tr.t("manager.title").to_owned();
    shown(&who, entries, subject, true, topic, "/manager/journal", None)
}

fn shown(
    who: &Subscriber,
    entries: Vec<crate::domain::journal::JournalEntry>,
    subject: String,
    many: bool,
    topic: Option<Topic>,
    action: &str,
    keep: Option<(&'static str, String)>,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let topic_code = topic.map(Topic::code).unwrap_or("");
    let mut more = format!("{action}?topic={topic_code}&");
    if let Some((k, v)) = &keep {
        more.push_str(&format!("{k}={v}&"));
    }
    let mut topics = vec![("", t.t("history.all").to_owned())];
    topics.extend(
        Topic::ALL.iter().map(|k| (k.code(), t.t(&format!("journal.topic_{}", k.code())).to_owned())),
    );
    let older = (entries.len() == PAGE).then(|| entries.last().map(|e| e.id)).flatten();
    let rows = entries
        .iter()
        .map(|e| Row {
            ext: e.extension.clone(),
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
        subject,
        many,
        action,
        keep,
        topics,
        topic: topic_code,
        rows,
        older: older.map(|id| format!("{more}before={id}")),
    })
}
