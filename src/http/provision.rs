//! The administrator's provisioning page (`/admin/provision`, SPEC V2): the
//! whole exchange exported as the bulk document (JSON) or each part of it as
//! CSV (`api::sheets`), and a bulk file imported, as a dry run first, with the same parsing
//! and service call as `/api/v1/bulk`. A file done within a few seconds is
//! answered with its report; a longer one runs on while the page shows how
//! far it is (refreshed each second), then its report. An import a script
//! makes through the API shows here too. One import at a time, the
//! API's and the page's alike.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::api::bulk::{bulk_of, document_of, progress_of, BulkProgress};
use super::api::sheets::{csv_of, read, Part};
use super::error::HttpError;
use super::form::AdminUploaded;
use super::i18n::Tr;
use super::session::Administrator;
use super::HttpState;
use crate::domain::time;
use crate::services::provision::Outcome;
use crate::services::ServiceError;

/// How long the page waits for an import before it shows its progress.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Rows of the last report shown, besides the unchanged ones (counted).
const SHOWN_ROWS: usize = 500;

struct Row {
    row: usize,
    kind: String,
    key: String,
    outcome: String,
    /// The fields that change, or why the row is refused.
    what: String,
    refused: bool,
}

struct Last {
    summary: String,
    by: String,
    at: String,
    at_iso: String,
    rows: Vec<Row>,
    /// Rows past [`SHOWN_ROWS`] left out.
    more: usize,
}

#[derive(Template)]
#[template(path = "admin_provision.html")]
struct ProvisionPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    running: bool,
    phase: String,
    done: usize,
    total: usize,
    last: Option<Last>,
    error: String,
}

fn last_of(t: Tr, p: BulkProgress) -> Option<Last> {
    let l = p.last?;
    let r = l.report;
    let counts = [
        ("created", r.created),
        ("changed", r.changed),
        ("unchanged", r.unchanged),
        ("removed", r.removed),
        ("refused", r.refused),
    ];
    let counts: Vec<String> =
        counts.iter().map(|(word, n)| format!("{} {n}", t.t(&format!("provision.outcome_{word}")))).collect();
    let done = match (r.dry_run, r.applied) {
        (true, _) => "provision.dry_run_done",
        (false, true) => "provision.applied",
        (false, false) => "provision.not_applied",
    };
    let summary = format!("{} {}", t.t(done), counts.join(", "));
    let shown: Vec<_> = r.rows.into_iter().filter(|row| row.outcome != "unchanged").collect();
    let more = shown.len().saturating_sub(SHOWN_ROWS);
    let rows = shown
        .into_iter()
        .take(SHOWN_ROWS)
        .map(|row| Row {
            refused: row.outcome == "refused",
            what: row.reason.unwrap_or_else(|| row.fields.join(", ")),
            kind: t.t(&format!("provision.kind_{}", row.kind)).to_owned(),
            outcome: t.t(&format!("provision.outcome_{}", row.outcome)).to_owned(),
            row: row.row,
            key: row.key,
        })
        .collect();
    Some(Last {
        summary,
        by: format!("{} ({})", l.by, l.via),
        at: time::short(l.at),
        at_iso: time::iso(l.at),
        rows,
        more,
    })
}

fn page(state: &HttpState, admin: &Administrator, error: String) -> Result<Response, HttpError> {
    let who = &admin.who;
    let (now, last) = state.services.provision.progress(&admin.actor).map_err(|e| who.error(e))?;
    let p = progress_of(who.tr, now, last.as_deref());
    let running = p.phase != "idle";
    let page = ProvisionPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        running,
        phase: who.tr.t(&format!("provision.phase_{}", p.phase)).to_owned(),
        done: p.done,
        total: p.total,
        last: last_of(who.tr, p),
        error,
    };
    // A refusal shows the page with its reason, answered as refused.
    super::error::shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/provision`
pub async fn show(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    page(&state, &admin, String::new())
}

/// `POST /admin/provision`: a bulk file (the JSON document, or extensions
/// as CSV) and `dry_run`. It is read and checked against the document here;
/// the import then runs on, and the page shows it.
pub async fn import(
    State(state): State<HttpState>,
    AdminUploaded { admin, fields, file }: AdminUploaded,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let dry_run = fields.one("dry_run") == "1";
    let text = file.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&file);
    let json = text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let part = Part::from_code(&fields.one("part")).unwrap_or(Part::Extensions);
    let bulk = match json {
        true => bulk_of(t, false, text),
        false => read(t, part, text),
    };
    let bulk = match bulk {
        Ok(b) => b,
        Err(p) => {
            let at = p.pointer.map(|at| format!(" ({at})")).unwrap_or_default();
            return page(&state, &admin, format!("{}{at}", p.detail));
        }
    };
    let Ok(one) = state.api.bulk.clone().try_acquire_owned() else {
        return page(&state, &admin, t.t("api.bulk_running").to_owned());
    };
    // A real import takes its turn with the API's changes.
    let changes = match dry_run {
        true => None,
        false => Some(state.api.changes.clone().lock_owned().await),
    };
    let provision = state.services.provision.clone();
    let actor = admin.actor.clone();
    let running = tokio::spawn(async move {
        let done = provision.import(&actor, &bulk, dry_run).await;
        drop((one, changes));
        done
    });
    // A file that is done soon is answered with its report; a longer one
    // runs on, and the page shows how far it is.
    match tokio::time::timeout(ANSWER_WITHIN, running).await {
        Ok(Ok(Ok(report))) if report.refused() && !dry_run => {
            let refused = report.rows.iter().filter(|r| matches!(r.outcome, Outcome::Refused(_))).count();
            page(&state, &admin, t.f("api.rows_refused", "count", &refused.to_string()))
        }
        Ok(Ok(Ok(_))) => page(&state, &admin, String::new()),
        Ok(Ok(Err(e))) => Err(admin.who.error(e)),
        Ok(Err(e)) => Err(HttpError::Internal(e.to_string())),
        Err(_) => Ok(Redirect::to("/admin/provision").into_response()),
    }
}

/// `GET /admin/provision/bulk.json`: the whole exchange as the bulk document.
pub async fn export_json(
    State(state): State<HttpState>,
    admin: Administrator,
) -> Result<Response, HttpError> {
    let bulk = state.services.provision.export(&admin.actor).await.map_err(|e| admin.who.error(e))?;
    let body =
        serde_json::to_vec_pretty(&document_of(bulk)).map_err(|e| HttpError::Internal(e.to_string()))?;
    let disposition = "attachment; filename=\"exchange.json\"".to_owned();
    Ok((
        [(header::CONTENT_TYPE, "application/json".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct PartQuery {
    part: Option<String>,
}

/// `GET /admin/provision/csv?part=`: one part of the exchange (the
/// extensions unless another is named), one object a row.
pub async fn export_csv(
    State(state): State<HttpState>,
    admin: Administrator,
    Query(q): Query<PartQuery>,
) -> Result<Response, HttpError> {
    let part = match q.part.as_deref() {
        None => Part::Extensions,
        Some(p) => Part::from_code(p).ok_or_else(|| admin.who.error(ServiceError::NotFound))?,
    };
    let bulk = state.services.provision.export(&admin.actor).await.map_err(|e| admin.who.error(e))?;
    let body = csv_of(part, bulk).ok_or_else(|| HttpError::Internal("CSV".into()))?;
    let name = format!("{}.csv", part.code());
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
