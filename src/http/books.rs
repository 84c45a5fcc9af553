//! The administrator's page of shared phonebooks (`/admin/books`, SPEC
//! C10-C12): the CSV files and LDAP directories mirrored into read-only
//! books, each with what its last sync did or why it failed; a new source,
//! "update now", deletion; the books administrators keep, filled from a
//! contact file (`/admin/books/file`); who reads each book (everyone, and
//! each CTI group: read, keep a copy, change); and the trash of deleted
//! books' notes, restored or emptied.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{message, shown_or_refused, HttpError};
use super::form::{AdminPosted, AdminUploaded, Fields};
use super::i18n::Tr;
use super::session::Administrator;
use super::HttpState;
use crate::domain::directory::{parse_attributes, Ldap, Origin, Schema, Source, SourceProblem, SyncReport};
use crate::domain::phonebook::BookAccess;
use crate::domain::time;
use crate::services::ServiceError;

/// The interval a new source is synced at unless the form says otherwise.
const DEFAULT_INTERVAL: u32 = 60;

struct Row {
    id: i64,
    name: String,
    kind: &'static str,
    /// A CSV source: whether its file may be edited; none for a directory.
    editable: Option<bool>,
    /// The file, or the directory's address and base.
    origin: String,
    contacts: i64,
    interval: u32,
    /// When the last sync was, and what it did or why it failed.
    last_at: String,
    last: String,
    failed: bool,
}

/// A book administrators keep.
struct KeptRow {
    id: i64,
    name: String,
    contacts: i64,
}

/// Who reads a shared book: everyone's access and each group's.
struct AccessRow {
    id: i64,
    name: String,
    editable: bool,
    everyone: &'static str,
    /// (group id, its name, its access's code)
    groups: Vec<(i64, String, &'static str)>,
}

struct TrashRow {
    book: String,
    notes: i64,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_books.html")]
struct BooksPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    rows: Vec<Row>,
    kept: Vec<KeptRow>,
    access: Vec<AccessRow>,
    trash: Vec<TrashRow>,
    notice: String,
    error: String,
}

/// A sync's outcome in words.
pub fn said(t: Tr, outcome: &Result<SyncReport, String>) -> String {
    match outcome {
        Ok(r) => {
            let mut text = t.fill(
                "books.synced",
                &[
                    ("added", &r.added.to_string()),
                    ("changed", &r.changed.to_string()),
                    ("removed", &r.removed.to_string()),
                    ("unchanged", &r.unchanged.to_string()),
                ],
            );
            for line in &r.rejected {
                text.push_str("; ");
                text.push_str(line);
            }
            text
        }
        Err(why) => t.f("books.failed", "why", why),
    }
}

async fn page(
    state: &HttpState,
    admin: &Administrator,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let t = who.tr;
    let dirs = &state.services.directories;
    let books = dirs.list(&admin.actor).await.map_err(|e| who.error(e))?;
    let trash = dirs.trash(&admin.actor).await.map_err(|e| who.error(e))?;
    let rows = books
        .into_iter()
        .map(|b| {
            let (kind, origin) = match &b.source.origin {
                Origin::Csv { path, .. } => ("CSV", path.clone()),
                Origin::Ldap(l) => {
                    ("LDAP", format!("{} {}{}", l.url, l.base, if l.starttls { " (StartTLS)" } else { "" }))
                }
            };
            Row {
                id: b.id,
                name: b.name,
                kind,
                editable: match &b.source.origin {
                    Origin::Csv { editable, .. } => Some(*editable),
                    Origin::Ldap(_) => None,
                },
                origin,
                contacts: b.contacts,
                interval: b.source.interval_min,
                last_at: b.last.as_ref().map(|l| time::short(l.at)).unwrap_or_default(),
                failed: b.last.as_ref().is_some_and(|l| l.outcome.is_err()),
                last: b.last.as_ref().map(|l| said(t, &l.outcome)).unwrap_or_default(),
            }
        })
        .collect();
    let trash = trash
        .into_iter()
        .map(|n| TrashRow { book: n.book, notes: n.notes, at: time::short(n.trashed_at) })
        .collect();
    let shared = dirs.shared(&admin.actor).await.map_err(|e| who.error(e))?;
    let groups = state.services.cti.groups(&admin.actor).await.map_err(|e| who.error(e))?;
    let kept = shared
        .iter()
        .filter(|(b, _)| b.kept)
        .map(|(b, n)| KeptRow { id: b.id, name: b.name.clone(), contacts: *n })
        .collect();
    let access = shared
        .into_iter()
        .map(|(b, _)| AccessRow {
            id: b.id,
            editable: b.editable,
            everyone: b.everyone.code(),
            groups: groups
                .iter()
                .map(|g| {
                    let given =
                        b.grants.iter().find(|(id, _)| *id == g.id).map_or(BookAccess::None, |(_, a)| *a);
                    (g.id, g.name.clone(), given.code())
                })
                .collect(),
            name: b.name,
        })
        .collect();
    let page = BooksPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        rows,
        kept,
        access,
        trash,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/books`
pub async fn books(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    page(&state, &admin, String::new(), String::new()).await
}

/// The source the form describes.
fn source_of(f: &Fields) -> Result<Source, SourceProblem> {
    let interval_min = f.one("interval").trim().parse().unwrap_or(DEFAULT_INTERVAL);
    let origin = match f.one("kind").as_str() {
        "csv" => Origin::Csv { path: f.one("path").trim().to_owned(), editable: f.one("editable") == "on" },
        _ => Origin::Ldap(Ldap {
            url: f.one("url").trim().to_owned(),
            starttls: f.one("starttls") == "on",
            ca_pem: f.one("ca_pem"),
            bind_dn: f.one("bind_dn").trim().to_owned(),
            password: f.one("password"),
            base: f.one("base").trim().to_owned(),
            filter: match f.one("filter").trim() {
                "" => "(objectClass=*)".to_owned(),
                filter => filter.to_owned(),
            },
            schema: if f.one("schema") == "ad" { Schema::Ad } else { Schema::Openldap },
            attributes: parse_attributes(&f.one("attributes"))?,
        }),
    };
    Ok(Source { origin, interval_min })
}

/// `POST /admin/books/file` (multipart): a contact file that a kept book's
/// contacts become.
pub async fn fill_book(
    State(state): State<HttpState>,
    AdminUploaded { admin, fields: f, file }: AdminUploaded,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let Ok(id) = f.one("id").parse::<i64>() else { return Err(admin.who.error(ServiceError::NotFound)) };
    match state.services.directories.fill(&admin.actor, id, file).await {
        Ok(Ok(report)) => page(&state, &admin, said(t, &Ok(report)), String::new()).await,
        Ok(Err(why)) => page(&state, &admin, String::new(), t.f("books.file_refused", "why", &why)).await,
        Err(e) => Err(admin.who.error(e)),
    }
}

/// `POST /admin/books`: `action` add, add_kept, access, sync, editable,
/// read_only, delete, restore or empty.
pub async fn change_books(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let dirs = &state.services.directories;
    let id = || f.one("id").parse::<i64>().map_err(|_| ServiceError::NotFound);
    let outcome = match f.one("action").as_str() {
        "add" => match source_of(&f) {
            Ok(source) => {
                dirs.add(&admin.actor, &f.one("name"), source).await.map(|(_, o)| (said(t, &o), o.is_err()))
            }
            Err(p) => Err(ServiceError::Invalid(crate::services::Invalid::Source(p))),
        },
        "sync" => match id() {
            Ok(id) => dirs.sync_now(&admin.actor, id).await.map(|o| (said(t, &o), o.is_err())),
            Err(e) => Err(e),
        },
        action @ ("editable" | "read_only") => match id() {
            Ok(id) => {
                let editable = action == "editable";
                let said = if editable { "books.editable_on" } else { "books.editable_off" };
                dirs.set_editable(&admin.actor, id, editable).await.map(|()| (t.t(said).to_owned(), false))
            }
            Err(e) => Err(e),
        },
        "add_kept" => dirs
            .add_kept(&admin.actor, &f.one("name"))
            .await
            .map(|_| (t.t("books.kept_added").to_owned(), false)),
        "access" => match id() {
            Ok(id) => {
                let everyone = BookAccess::from_code(&f.one("everyone")).unwrap_or_default();
                // One field a group: `group-<id>` = its access.
                let grants =
                    f.0.iter()
                        .filter_map(|(k, v)| {
                            let group = k.strip_prefix("group-")?.parse().ok()?;
                            Some((group, BookAccess::from_code(v)?))
                        })
                        .collect();
                dirs.set_access(&admin.actor, id, everyone, grants)
                    .await
                    .map(|()| (t.t("books.access_saved").to_owned(), false))
            }
            Err(e) => Err(e),
        },
        "delete" => match id() {
            Ok(id) => dirs.remove(&admin.actor, id).await.map(|()| (t.t("books.deleted").to_owned(), false)),
            Err(e) => Err(e),
        },
        action @ ("restore" | "empty") => {
            dirs.empty_or_restore(&admin.actor, &f.one("book"), action == "restore").await.map(|n| {
                (
                    t.f(
                        if action == "restore" { "books.restored" } else { "books.emptied" },
                        "n",
                        &n.to_string(),
                    ),
                    false,
                )
            })
        }
        _ => return Err(HttpError::BadRequest(t.t("error.forbidden").to_owned())),
    };
    match outcome {
        Ok((text, false)) => page(&state, &admin, text, String::new()).await,
        // The book is kept; the page says why its source could not be read.
        Ok((text, true)) => page(&state, &admin, String::new(), text).await,
        Err(ServiceError::Invalid(i)) => page(&state, &admin, String::new(), message(t, &i)).await,
        Err(e) => Err(admin.who.error(e)),
    }
}
