//! `/api/v1/phonebook/books`: the shared books (SPEC C9-C11) as the
//! administrator's books page keeps them: each with its contacts' count, who
//! reads it and (a source's) its settings and last sync; a book kept here
//! made, filled from a contact file and deleted; a source's synced now; any
//! book's contacts read page by page. A source is set up on the page (its
//! settings include a directory's password); who reads a book is also set by
//! the bulk and configuration documents.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::book::{BookNumber, BookNumberKind, BookQuery};
use super::bulk::BookGrant;
use super::door::{id_of, parse, plain, ApiCall, Caller, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::directory::{LastSync, Origin, SyncReport};
use crate::domain::phonebook::LIST_LIMIT;
use crate::services::directory::BookOverview;

/// A shared book.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedBookDoc {
    pub id: i64,
    pub name: String,
    /// `kept` (kept here), `csv` (a contact file on the board) or `ldap`.
    #[cfg_attr(feature = "openapi", schema(example = "kept"))]
    pub kind: String,
    pub contacts: i64,
    /// Its contacts may be changed (by those given `write`): a kept book, or a CSV file whose edits are allowed.
    pub editable: bool,
    /// What everyone may do with it: `none`, `read` or `offline`.
    pub everyone: String,
    /// Each CTI group's access, by the group's name.
    pub groups: Vec<BookGrant>,
    /// A CSV source's file on the board.
    pub path: Option<String>,
    /// An LDAP source's address and search base (its password is never shown).
    pub url: Option<String>,
    pub base: Option<String>,
    /// A source's minutes between syncs.
    pub interval_min: Option<u32>,
    /// A source's last sync.
    pub last_sync: Option<BookSync>,
}

/// What a sync (or a kept book's filling) did, or why it failed.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookSync {
    /// When, Unix seconds (0 for a sync just made).
    pub at: i64,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Rows of a file that could not be read, by line (the first few).
    pub rejected: Vec<String>,
    /// Why the source could not be read (the server's or the file's words); null when it was.
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedBookList {
    pub items: Vec<SharedBookDoc>,
}

/// A book to keep here: read by nobody but administrators until access is given.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewBook {
    #[cfg_attr(feature = "openapi", schema(example = "Suppliers", min_length = 1, max_length = 60))]
    pub name: String,
}

/// A contact of a shared book.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedContact {
    /// Its place in the book (pass the last as `after` for the next page).
    pub id: i64,
    /// Its permanent id (the source's, or the file row's).
    pub uid: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub title: String,
    pub email: String,
    pub address: String,
    pub numbers: Vec<BookNumber>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedContactPage {
    pub items: Vec<SharedContact>,
    /// The id to pass as `after` for the next page; null on the last.
    pub next: Option<i64>,
}

fn sync_of(at: i64, outcome: Result<SyncReport, String>) -> BookSync {
    match outcome {
        Ok(r) => BookSync {
            at,
            added: r.added,
            changed: r.changed,
            removed: r.removed,
            unchanged: r.unchanged,
            rejected: r.rejected,
            error: None,
        },
        Err(why) => BookSync {
            at,
            added: 0,
            changed: 0,
            removed: 0,
            unchanged: 0,
            rejected: Vec::new(),
            error: Some(why),
        },
    }
}

fn doc_of(o: BookOverview) -> SharedBookDoc {
    let (mut path, mut url, mut base) = (None, None, None);
    let kind = match o.source.as_ref().map(|s| &s.origin) {
        Some(Origin::Csv { path: p, .. }) => {
            path = Some(p.clone());
            "csv"
        }
        Some(Origin::Ldap(l)) => {
            url = Some(l.url.clone());
            base = Some(l.base.clone());
            "ldap"
        }
        None => "kept",
    };
    SharedBookDoc {
        id: o.book.id,
        name: o.book.name,
        kind: kind.to_owned(),
        contacts: o.contacts,
        editable: o.book.editable,
        everyone: o.book.everyone.code().to_owned(),
        groups: o
            .grants
            .into_iter()
            .map(|(group, a)| BookGrant { group, access: a.code().to_owned() })
            .collect(),
        path,
        url,
        base,
        interval_min: o.source.map(|s| s.interval_min),
        last_sync: o.last.map(|LastSync { at, outcome }| sync_of(at, outcome)),
    }
}

async fn listed(call: &ApiCall) -> Result<Vec<SharedBookDoc>, Problem> {
    let (state, caller, ..) = call.parts();
    let list = state.services.directories.overview(&caller.actor).await;
    Ok(list.map_err(|e| Problem::from_service(&caller.tr, e))?.into_iter().map(doc_of).collect())
}

fn book_id(caller: &Caller, call: &ApiCall) -> Result<i64, Problem> {
    id_of(caller, call.param("id"))
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "books_list", path = "/api/v1/phonebook/books", tag = "phonebook",
    responses((status = 200, body = SharedBookList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    match listed(&call).await {
        Ok(items) => plain(&call.caller.tr, StatusCode::OK, &SharedBookList { items }),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "books_get", path = "/api/v1/phonebook/books/{id}", tag = "phonebook",
    params(("id" = i64, Path)),
    responses((status = 200, body = SharedBookDoc), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    let found = async {
        let id = book_id(&call.caller, &call)?;
        let items = listed(&call).await?;
        items.into_iter().find(|b| b.id == id).ok_or_else(|| Problem::not_found(&call.caller.tr))
    };
    match found.await {
        Ok(b) => plain(&call.caller.tr, StatusCode::OK, &b),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "books_create", path = "/api/v1/phonebook/books", tag = "phonebook",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = NewBook,
    responses((status = 201, body = SharedBookDoc, headers(("Location" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc, description = "A request with this Idempotency-Key is still being done: ask again after Retry-After seconds"), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let new: NewBook = parse(&caller.tr, headers, body)?;
        let refused = |e| Problem::from_service(&caller.tr, e).at("/name");
        let id = state.services.directories.add_kept(&caller.actor, &new.name).await.map_err(refused)?;
        let made = listed(&call).await?.into_iter().find(|b| b.id == id);
        made.ok_or_else(|| Problem::not_found(&caller.tr))
    };
    call.once(async {
        match work.await {
            Ok(b) => {
                let mut r = plain(&caller.tr, StatusCode::CREATED, &b);
                if let Ok(v) = format!("/api/v1/phonebook/books/{}", b.id).parse() {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            Err(p) => p.into_response(),
        }
    })
    .await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "books_delete", path = "/api/v1/phonebook/books/{id}", tag = "phonebook",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted: its contacts go, their notes to the trash"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn delete(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let work = async {
        let id = book_id(caller, &call)?;
        state
            .services
            .directories
            .remove(&caller.actor, id)
            .await
            .map_err(|e| Problem::from_service(&caller.tr, e))
    };
    match work.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "books_sync", path = "/api/v1/phonebook/books/{id}/sync", tag = "phonebook",
    params(("id" = i64, Path)),
    responses((status = 200, body = BookSync, description = "What the sync did, or (`error`) why the source could not be read; its book keeps what it had"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc, description = "No such source (a kept book is filled, not synced)")),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn sync(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let work = async {
        let id = book_id(caller, &call)?;
        let done = state.services.directories.sync_now(&caller.actor, id).await;
        done.map_err(|e| Problem::from_service(&caller.tr, e))
    };
    match work.await {
        Ok(outcome) => plain(&caller.tr, StatusCode::OK, &sync_of(state.services.now(), outcome)),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "books_contacts", path = "/api/v1/phonebook/books/{id}/contacts", tag = "phonebook",
    params(("id" = i64, Path), BookQuery),
    responses((status = 200, body = SharedContactPage), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn contacts(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let work = async {
        let id = book_id(caller, &call)?;
        let q: BookQuery = call.query()?;
        let limit = q.limit.unwrap_or(LIST_LIMIT);
        if !(1..=LIST_LIMIT).contains(&limit) {
            let p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                caller.tr.t("api.invalid_query"),
            );
            return Err(p.at("/limit"));
        }
        let page = state.services.directories.contacts(&caller.actor, id, q.after.unwrap_or(0), limit).await;
        let page = page.map_err(|e| Problem::from_service(&caller.tr, e))?;
        let next = (page.len() == limit).then(|| page.last().map(|e| e.id)).flatten();
        let items = page
            .into_iter()
            .map(|e| SharedContact {
                id: e.id,
                uid: e.contact.uid.unwrap_or_default(),
                first_name: e.contact.first_name,
                last_name: e.contact.last_name,
                company: e.contact.company,
                title: e.contact.title,
                email: e.contact.email,
                address: e.contact.address,
                numbers: e
                    .contact
                    .numbers
                    .into_iter()
                    .map(|n| BookNumber { kind: BookNumberKind::of(n.kind), number: n.number })
                    .collect(),
            })
            .collect();
        Ok(SharedContactPage { items, next })
    };
    match work.await {
        Ok(page) => plain(&caller.tr, StatusCode::OK, &page),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "books_fill", path = "/api/v1/phonebook/books/{id}/contacts", tag = "phonebook",
    params(("id" = i64, Path)),
    request_body(content(
        (String = "text/csv", example = "First Name,Last Name,Business Phone\nOlga,Tokarczuk,+48 22 700 00 01\n"),
        (String = "text/vcard"),
    ), description = "A contact file (CSV or vCard, as the phonebook's import reads it): the kept book becomes what it holds"),
    responses((status = 200, body = BookSync, description = "What the book's filling did: unchanged contacts (and their notes) stay"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc, description = "No such book kept here"), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc, description = "The file cannot be read; the book is as it was")),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn fill(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let id = book_id(caller, &call)?;
        super::door::json_type(&caller.tr, headers, &["text/csv", "text/vcard", "text/x-vcard"])?;
        let done = state.services.directories.fill(&caller.actor, id, body.to_vec()).await;
        match done.map_err(|e| Problem::from_service(&caller.tr, e))? {
            Ok(report) => Ok(report),
            Err(why) => Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file", why)),
        }
    };
    match work.await {
        Ok(report) => plain(&caller.tr, StatusCode::OK, &sync_of(state.services.now(), Ok(report))),
        Err(p) => p.into_response(),
    }
}
