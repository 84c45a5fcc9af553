//! `/api/v1/bulk`: the exchange's departments, extensions, CTI accounts, CTI
//! groups and shared books (who may read them) exported and imported whole, as JSON (a versioned document) or, for the
//! extensions, as CSV (one extension a row, the columns of [`super::sheets::EXTENSION_COLUMNS`]). `dry_run=true` reports what each row
//! would do without writing; otherwise the whole file goes in, or nothing
//! does. A field (or column) a file leaves out keeps its value.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};

use super::door::{from_slice, json_type, plain, ApiCall, Caller, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::group::MAX_GROUPS;
use crate::http::error::message;
use crate::http::i18n::Tr;
use crate::services::provision::{
    AccountRow, BookRow, Bulk, ExtensionRow, GroupRow, ImportReport, Outcome, Refusal, RowKind, MAX_BOOKS,
    MAX_ROWS,
};

/// The largest bulk file taken.
pub const MAX_BULK: usize = 4 * 1024 * 1024;
/// The document's version, which an export writes: 3, which adds
/// `cti_accounts` and `books` to version 2, which added `cti_groups` to version 1. All
/// three are read; another is refused.
pub const VERSION: u32 = 3;
/// What a shared book is: kept here, or a source's.
pub const BOOK_KINDS: [&str; 3] = ["kept", "csv", "ldap"];
/// What everyone may do with a shared book: at most keep a copy.
pub const EVERYONE_ACCESS: [&str; 3] = ["none", "read", "offline"];

/// A bulk file as JSON.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkDocument {
    /// 3 (2: the same without `cti_accounts` and `books`; 1: without `cti_groups` too).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub version: u32,
    #[serde(default)]
    pub departments: Vec<BulkDepartment>,
    #[serde(default)]
    pub extensions: Vec<BulkExtension>,
    /// The CTI server's groups, by name (version 2).
    #[serde(default)]
    pub cti_groups: Vec<BulkCtiGroup>,
    /// The CTI server's accounts, by name (version 3), written before the
    /// groups (a group may name an account the file makes).
    #[serde(default)]
    pub cti_accounts: Vec<BulkCtiAccount>,
    /// The shared books and who may read them, by name (version 3).
    #[serde(default)]
    pub books: Vec<BulkBook>,
}

/// A shared book in a bulk file, by its name (in any case), with who may
/// read it: a book kept here is made when missing; a source's book (a CSV
/// file, an LDAP directory) must be set up on the books page first, as its
/// settings and password do not travel. A field left out keeps its value.
/// Its contacts are not in the file: a kept book is filled from a contact
/// file on its page.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkBook {
    #[cfg_attr(feature = "openapi", schema(example = "Suppliers", min_length = 1, max_length = 60))]
    pub name: String,
    /// `kept` (a book kept here), `csv` or `ldap` (a source's); left out: kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::book_kind_or_null))]
    pub kind: Option<String>,
    /// What everyone may do with it: `none`, `read` or `offline` (keep a copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::everyone_access_or_null))]
    pub everyone: Option<String>,
    /// What each CTI group's members may do with it, the list whole: a group
    /// it leaves out reads nothing (`write` only where its contacts may be changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<BookGrant>>,
}

/// A CTI group's access to a shared book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookGrant {
    /// The group's name.
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub group: String,
    /// `none`, `read`, `offline` (keep a copy) or `write` (change its contacts).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::group_access))]
    pub access: String,
}

/// A book's row as a file gives it.
pub(super) fn book_row(b: BulkBook, row: usize) -> BookRow {
    BookRow {
        row,
        name: b.name,
        kind: b.kind,
        everyone: b.everyone,
        groups: b.groups.map(|l| l.into_iter().map(|g| (g.group, g.access)).collect()),
    }
}

/// A book as an export gives it.
pub(super) fn book_doc(b: BookRow) -> BulkBook {
    BulkBook {
        name: b.name,
        kind: b.kind,
        everyone: b.everyone,
        groups: b.groups.map(|l| l.into_iter().map(|(group, access)| BookGrant { group, access }).collect()),
    }
}

/// A CTI account in a bulk file, by its name (in any case): made when
/// missing; a field left out keeps its value. No password travels: an
/// account that logs in and has none (a new one) is handed one at its first
/// login.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkCtiAccount {
    #[cfg_attr(feature = "openapi", schema(example = "desk", min_length = 1, max_length = 64))]
    pub name: String,
    /// `computer`, `user` or `nologin`; needed for a new account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::cti_kind_or_null))]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_note: Option<String>,
    /// True: its next login is handed a new password. False takes no mark away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_over: Option<bool>,
    /// Its rights, whole; left out, they stay (a new account: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<super::cti::CtiRights>,
}

/// A CTI group in a bulk file, by its name: made when missing; a field left
/// out keeps its value.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkCtiGroup {
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: String,
    /// Calls on the panel show the callers' numbers (a new group: no).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_numbers: Option<bool>,
    /// Its members: CTI accounts by name, subscribers by extension (in any
    /// order: the panel shows accounts, then subscribers, each by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = json!(["desk", "101"]), max_items = 100))]
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkDepartment {
    pub name: String,
}

fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An extension in a bulk file; a field left out keeps its value.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkExtension {
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The department's name; null (or "") for the pool.
    #[serde(default, deserialize_with = "given", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub department: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::public_right_or_null))]
    pub public_book: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::restriction_or_null))]
    pub restriction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_ids: Option<Vec<String>>,
    /// The names of the departments he manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordings: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licences: Option<Vec<String>>,
}

/// What an import did, or would do, row by row.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkReport {
    /// The file went in (never on a dry run, never with a refused row).
    pub applied: bool,
    pub dry_run: bool,
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub refused: usize,
    /// Departments, CTI accounts, CTI groups and kept books a configuration document does not name, which go.
    pub removed: usize,
    pub rows: Vec<BulkRow>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkRow {
    /// The row in the file: the line of a CSV file, the place in its list for JSON (from 1).
    pub row: usize,
    /// `department`, `extension`, `cti_account`, `cti_group` or `book`; in a configuration document also `forwarding` and `board`.
    pub kind: String,
    /// The extension's number, or the department's, account's, group's or book's name.
    pub key: String,
    /// `created`, `changed`, `unchanged`, `refused`, or (a department a configuration document does not name) `removed`.
    pub outcome: String,
    /// What changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Why it is refused, in the caller's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An import under way, and the last one's report.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkProgress {
    /// `idle`, `checking` (each row against the rules), `writing` (the whole
    /// file, in one store job) or `programming` (the core, each changed extension).
    #[cfg_attr(feature = "openapi", schema(example = "checking"))]
    pub phase: String,
    /// Rows (or extensions) done in this phase, of `total`.
    pub done: usize,
    pub total: usize,
    /// The last import (a bulk file's or a configuration's), whoever made it.
    pub last: Option<BulkLastImport>,
}

/// An import that has ended.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkLastImport {
    /// Who made it, and through what (`web`, `api`).
    pub by: String,
    pub via: String,
    /// When it ended, Unix seconds.
    pub at: i64,
    pub report: BulkReport,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "bulk_progress", path = "/api/v1/bulk/progress", tag = "bulk",
    responses((status = 200, body = BulkProgress, description = "How far the import under way is (from the API or the portal), and the last import's report"), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["read"]))))]
pub async fn progress(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.provision.progress(&caller.actor) {
        Ok((now, last)) => plain(&caller.tr, StatusCode::OK, &progress_of(caller.tr, now, last.as_deref())),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

/// The progress as the API and the page give it.
pub(crate) fn progress_of(
    tr: crate::http::i18n::Tr,
    now: crate::services::provision::Progress,
    last: Option<&crate::services::provision::LastImport>,
) -> BulkProgress {
    BulkProgress {
        phase: now.phase.code().to_owned(),
        done: now.done,
        total: now.total,
        last: last.map(|l| BulkLastImport {
            by: l.by.clone(),
            via: l.via.to_owned(),
            at: l.at,
            report: report_of(tr, l.report.clone(), l.dry_run),
        }),
    }
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Report what each row would do, and write nothing.
    pub dry_run: Option<bool>,
}

fn row_of(e: BulkExtension, row: usize) -> ExtensionRow {
    ExtensionRow {
        row,
        number: e.number,
        name: e.name,
        comment: e.comment,
        email: e.email,
        // "" is the pool, as an empty CSV cell is (TOML has no null).
        department: e.department.map(|d| d.filter(|n| !n.trim().is_empty())),
        is_admin: e.is_admin,
        public_book: e.public_book,
        mobile: e.mobile,
        restriction: e.restriction,
        caller_ids: e.caller_ids,
        manages: e.manages,
        recordings: e.recordings,
        licences: e.licences,
    }
}

/// An account's row as a file gives it.
pub(super) fn account_row(a: BulkCtiAccount, row: usize) -> AccountRow {
    let rights = a.rights.map(super::cti::rights_of);
    AccountRow {
        row,
        name: a.name,
        kind: a.kind,
        first_name: a.first_name,
        last_name: a.last_name,
        phone: a.phone,
        email: a.email,
        sip_user: a.sip_user,
        department_note: a.department_note,
        hand_over: a.hand_over,
        devices: rights.as_ref().map(|r| r.devices.clone()),
        monitors: rights.as_ref().map(|r| r.monitors.clone()),
        offline_journal: rights.as_ref().map(|r| r.offline_journal),
        server_journal: rights.as_ref().map(|r| r.server_journal),
        hot_desking: rights.as_ref().map(|r| r.hot_desking),
        blf: rights.map(|r| r.blf.code().to_owned()),
    }
}

/// An account as an export gives it (every field).
pub(super) fn account_doc(a: AccountRow) -> BulkCtiAccount {
    let rights = crate::domain::cti::Rights {
        devices: a.devices.unwrap_or_default(),
        monitors: a.monitors.unwrap_or_default(),
        offline_journal: a.offline_journal.unwrap_or_default(),
        server_journal: a.server_journal.unwrap_or_default(),
        hot_desking: a.hot_desking.unwrap_or_default(),
        blf: a.blf.as_deref().and_then(crate::domain::cti::BlfSource::from_code).unwrap_or_default(),
    };
    BulkCtiAccount {
        name: a.name,
        kind: a.kind,
        first_name: a.first_name,
        last_name: a.last_name,
        phone: a.phone,
        email: a.email,
        sip_user: a.sip_user,
        department_note: a.department_note,
        hand_over: a.hand_over,
        rights: Some(super::cti::rights_doc(rights)),
    }
}

pub(crate) fn document_of(bulk: Bulk) -> BulkDocument {
    BulkDocument {
        version: VERSION,
        cti_accounts: bulk.accounts.into_iter().map(account_doc).collect(),
        books: bulk.books.into_iter().map(book_doc).collect(),
        departments: bulk.departments.into_iter().map(|name| BulkDepartment { name }).collect(),
        extensions: bulk
            .extensions
            .into_iter()
            .map(|e| BulkExtension {
                number: e.number,
                name: e.name,
                comment: e.comment,
                email: e.email,
                department: e.department,
                is_admin: e.is_admin,
                public_book: e.public_book,
                mobile: e.mobile,
                restriction: e.restriction,
                caller_ids: e.caller_ids,
                manages: e.manages,
                recordings: e.recordings,
                licences: e.licences,
            })
            .collect(),
        cti_groups: bulk
            .groups
            .into_iter()
            .map(|g| BulkCtiGroup { name: g.name, show_numbers: g.show_numbers, members: g.members })
            .collect(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "bulk_export", path = "/api/v1/bulk", tag = "bulk",
    responses((status = 200, body = BulkDocument, description = "Every department, extension, CTI account and CTI group; imported again, it changes nothing"), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["read"]))))]
pub async fn export(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.provision.export(&caller.actor).await {
        Ok(bulk) => plain(&caller.tr, StatusCode::OK, &document_of(bulk)),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "bulk_export_csv", path = "/api/v1/bulk/extensions.csv", tag = "bulk",
    responses((status = 200, content_type = "text/csv", body = String, description = "One extension a row; the first row names the columns"), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["read"]))))]
pub async fn export_csv(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let bulk = match state.services.provision.export(&caller.actor).await {
        Ok(b) => b,
        Err(e) => return Problem::from_service(&caller.tr, e).into_response(),
    };
    match csv_of(bulk) {
        Some(bytes) => {
            let mut r = (StatusCode::OK, bytes).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            r
        }
        None => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", caller.tr.t("error.internal"))
            .into_response(),
    }
}

/// The extensions of an export as CSV, the columns of [`super::sheets::EXTENSION_COLUMNS`].
pub(crate) fn csv_of(bulk: Bulk) -> Option<Vec<u8>> {
    super::sheets::csv_of(super::sheets::Part::Extensions, bulk)
}

/// The extensions of a CSV file ([`super::sheets::read`]).
fn parse_csv(tr: Tr, body: &[u8]) -> Result<Bulk, Problem> {
    super::sheets::read(tr, super::sheets::Part::Extensions, body)
}

/// A bulk file as the API and the portal's page take it: CSV (extensions)
/// or the JSON document, checked against the document's schema and version.
pub(crate) fn bulk_of(tr: Tr, csv: bool, body: &[u8]) -> Result<Bulk, Problem> {
    if csv {
        return parse_csv(tr, body);
    }
    from_slice::<BulkDocument>(&tr, body).and_then(|doc| conforms(tr, &doc).map(|()| doc)).and_then(|doc| {
        match doc.version {
            _ if doc.extensions.len().max(doc.departments.len()).max(doc.cti_accounts.len()) > MAX_ROWS
                || doc.cti_groups.len() > MAX_GROUPS
                || doc.books.len() > MAX_BOOKS =>
            {
                Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.too_many_rows")))
            }
            1 if !doc.cti_groups.is_empty() => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_version",
                tr.t("api.groups_need_version_2"),
            )
            .at("/cti_groups")),
            1 | 2 if !doc.cti_accounts.is_empty() || !doc.books.is_empty() => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_version",
                tr.t("api.accounts_need_version_3"),
            )
            .at(if doc.cti_accounts.is_empty() { "/books" } else { "/cti_accounts" })),
            1 | 2 | VERSION => Ok(Bulk {
                departments: doc.departments.into_iter().map(|d| d.name).collect(),
                extensions: doc.extensions.into_iter().enumerate().map(|(i, e)| row_of(e, i + 1)).collect(),
                groups: doc
                    .cti_groups
                    .into_iter()
                    .enumerate()
                    .map(|(i, g)| GroupRow {
                        row: i + 1,
                        name: g.name,
                        show_numbers: g.show_numbers,
                        members: g.members,
                    })
                    .collect(),
                accounts: doc
                    .cti_accounts
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| account_row(a, i + 1))
                    .collect(),
                books: doc.books.into_iter().enumerate().map(|(i, b)| book_row(b, i + 1)).collect(),
                groups_whole: false,
                accounts_whole: false,
                books_whole: false,
            }),
            other => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_version",
                tr.f("api.bulk_version", "version", &other.to_string()),
            )
            .at("/version")),
        }
    })
}

/// What the document's schema says of a JSON file's values (the words a
/// field takes, a group name's length), checked before any row: a file that
/// breaks it is refused whole, a dry run too, as the document promises. The
/// exchange's own rules are then each row's.
fn conforms(tr: Tr, doc: &BulkDocument) -> Result<(), Problem> {
    for (i, e) in doc.extensions.iter().enumerate() {
        let (r, p, l) = (e.restriction.as_deref(), e.public_book.as_deref(), e.licences.as_deref());
        extension_conforms(tr, i, r, p, l)?;
    }
    for (i, g) in doc.cti_groups.iter().enumerate() {
        group_conforms(tr, i, &g.name, g.members.as_ref().map_or(0, Vec::len))?;
    }
    for (i, a) in doc.cti_accounts.iter().enumerate() {
        account_conforms(tr, i, &a.name, a.kind.as_deref(), a.rights.as_ref())?;
    }
    for (i, b) in doc.books.iter().enumerate() {
        book_conforms(tr, i, b)?;
    }
    Ok(())
}

/// Book `i`'s name and words as the document's schema lists them.
pub(super) fn book_conforms(tr: Tr, i: usize, b: &BulkBook) -> Result<(), Problem> {
    let invalid = |at: String| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.invalid_body"))
            .at(format!("/books/{i}/{at}"))
    };
    if b.name.is_empty() || b.name.chars().count() > 60 {
        return Err(invalid("name".into()));
    }
    if b.kind.as_deref().is_some_and(|k| !BOOK_KINDS.contains(&k)) {
        return Err(invalid("kind".into()));
    }
    if b.everyone.as_deref().is_some_and(|e| !EVERYONE_ACCESS.contains(&e)) {
        return Err(invalid("everyone".into()));
    }
    for (j, g) in b.groups.iter().flatten().enumerate() {
        if g.group.is_empty() || g.group.chars().count() > crate::domain::group::MAX_NAME {
            return Err(invalid(format!("groups/{j}/group")));
        }
        if crate::domain::phonebook::BookAccess::from_code(&g.access).is_none() {
            return Err(invalid(format!("groups/{j}/access")));
        }
    }
    Ok(())
}

/// CTI account `i`'s name, kind and rights as the document's schema bounds them.
pub(super) fn account_conforms(
    tr: Tr,
    i: usize,
    name: &str,
    kind: Option<&str>,
    rights: Option<&super::cti::CtiRights>,
) -> Result<(), Problem> {
    let invalid = |at: &str| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.invalid_body"))
            .at(format!("/cti_accounts/{i}/{at}"))
    };
    if name.is_empty() || name.chars().count() > crate::domain::cti::MAX_NAME {
        return Err(invalid("name"));
    }
    if kind.is_some_and(|k| crate::domain::cti::Kind::from_code(k).is_none()) {
        return Err(invalid("kind"));
    }
    if let Some(r) = rights {
        super::cti::rights_shape(&tr, r).map_err(|mut p| {
            p.pointer = p.pointer.map(|at| format!("/cti_accounts/{i}/rights{at}"));
            p
        })?;
    }
    Ok(())
}

/// Extension `i`'s words (given ones) as the document's schema lists them.
pub(super) fn extension_conforms(
    tr: Tr,
    i: usize,
    restriction: Option<&str>,
    public_book: Option<&str>,
    licences: Option<&[String]>,
) -> Result<(), Problem> {
    use crate::domain::licence::CtiFunction;
    use crate::domain::phonebook::PublicRight;
    use crate::domain::program::Restriction;
    let invalid = |at: &str| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.invalid_body"))
            .at(format!("/extensions/{i}/{at}"))
    };
    if restriction.is_some_and(|r| !Restriction::ALL.iter().any(|k| k.code() == r)) {
        return Err(invalid("restriction"));
    }
    if public_book.is_some_and(|p| !PublicRight::ALL.iter().any(|k| k.code() == p)) {
        return Err(invalid("public_book"));
    }
    if let Some(licences) = licences {
        let known = |l: &String| CtiFunction::ALL.iter().any(|f| f.code() == l);
        let twice = licences.iter().enumerate().any(|(j, l)| licences[..j].contains(l));
        if twice || !licences.iter().all(known) {
            return Err(invalid("licences"));
        }
    }
    Ok(())
}

/// CTI group `i`'s name and number of members as the document's schema bounds them.
pub(super) fn group_conforms(tr: Tr, i: usize, name: &str, members: usize) -> Result<(), Problem> {
    let at = if name.is_empty() || name.chars().count() > crate::domain::group::MAX_NAME {
        "name"
    } else if members > crate::domain::group::MAX_MEMBERS {
        "members"
    } else {
        return Ok(());
    };
    let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", tr.t("api.invalid_body"));
    Err(p.at(format!("/cti_groups/{i}/{at}")))
}

pub(crate) fn report_of(tr: crate::http::i18n::Tr, r: ImportReport, dry_run: bool) -> BulkReport {
    let count = |f: fn(&Outcome) -> bool| r.rows.iter().filter(|row| f(&row.outcome)).count();
    BulkReport {
        applied: r.applied,
        dry_run,
        created: count(|o| matches!(o, Outcome::Created)),
        changed: count(|o| matches!(o, Outcome::Changed(_))),
        unchanged: count(|o| matches!(o, Outcome::Unchanged)),
        refused: count(|o| matches!(o, Outcome::Refused(_))),
        removed: count(|o| matches!(o, Outcome::Removed)),
        rows: r
            .rows
            .into_iter()
            .map(|row| {
                let (outcome, fields, reason) = match row.outcome {
                    Outcome::Created => ("created", Vec::new(), None),
                    Outcome::Changed(f) => ("changed", f.into_iter().map(str::to_owned).collect(), None),
                    Outcome::Unchanged => ("unchanged", Vec::new(), None),
                    Outcome::Removed => ("removed", Vec::new(), None),
                    Outcome::Refused(why) => {
                        let reason = match why {
                            Refusal::Rule(i) => message(tr, &i),
                            Refusal::NoSuchExtension => tr.t("error.not_found").to_owned(),
                            Refusal::Twice => tr.t("api.twice").to_owned(),
                        };
                        ("refused", Vec::new(), Some(reason))
                    }
                };
                let kind = match row.kind {
                    RowKind::Department => "department",
                    RowKind::Extension => "extension",
                    RowKind::CtiGroup => "cti_group",
                    RowKind::CtiAccount => "cti_account",
                    RowKind::Book => "book",
                    RowKind::Forwarding => "forwarding",
                    RowKind::Board => "board",
                };
                BulkRow {
                    row: row.row,
                    kind: kind.to_owned(),
                    key: row.key,
                    outcome: outcome.to_owned(),
                    fields,
                    reason,
                }
            })
            .collect(),
    }
}

/// A whole file's import under way (a bulk file, a configuration): one at a
/// time (the file is read whole, and its memory is bounded by there being
/// one), and unless a dry run, read and written under the API's change lock
/// (`door::replace`).
pub(super) struct Whole<'a> {
    pub dry_run: bool,
    _one_at_a_time: tokio::sync::SemaphorePermit<'a>,
    _changes: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl<'a> Whole<'a> {
    /// Its `dry_run`, or the refusal: a query it does not take, another import running.
    pub(super) async fn begin(call: &'a ApiCall) -> Result<Whole<'a>, Response> {
        let (state, caller) = (&call.state, &call.caller);
        let q: ImportQuery = call.query().map_err(IntoResponse::into_response)?;
        let dry_run = q.dry_run.unwrap_or(false);
        let Ok(one) = state.api.bulk.try_acquire() else {
            let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "busy", caller.tr.t("api.bulk_running"));
            p.retry_after = Some(10);
            return Err(p.into_response());
        };
        let changes = match dry_run {
            true => None,
            false => Some(state.api.changes.lock().await),
        };
        Ok(Whole { dry_run, _one_at_a_time: one, _changes: changes })
    }
}

/// The report, or (`refused`) the problem that carries its rows.
pub(super) fn answer(caller: &Caller, report: BulkReport, refused: bool) -> Response {
    if !refused {
        return plain(&caller.tr, StatusCode::OK, &report);
    }
    let mut body = serde_json::json!({
        "type": "urn:webcti:problem:rows_refused",
        "title": "rows_refused",
        "status": 422,
        "detail": caller.tr.f("api.rows_refused", "count", &report.refused.to_string()),
    });
    body["rows"] = serde_json::to_value(&report.rows).unwrap_or_default();
    let mut r = (StatusCode::UNPROCESSABLE_ENTITY, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "bulk_import", path = "/api/v1/bulk", tag = "bulk",
    params(ImportQuery),
    request_body(content(
        (BulkDocument = "application/json"),
        (String = "text/csv", example = "number,email\n100,anna@example.com\n"),
    ), description = "The JSON document, or extensions as CSV (columns: number, name, comment, email, department, is_admin, public_book, mobile, restriction, caller_ids, manages, recordings, licences)"),
    responses((status = 200, body = BulkReport, description = "Applied, or the dry run's report"), (status = 403, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc, description = "A row is refused (the report is in `rows`) and nothing was written; or the file cannot be read")),
    security(("bearer" = ["write"]))))]
pub async fn import(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let whole = match Whole::begin(&call).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let dry_run = whole.dry_run;
    let csv = json_type(&caller.tr, headers, &["text/csv"]).is_ok();
    let bulk = match csv {
        true => bulk_of(caller.tr, true, body),
        false => json_type(&caller.tr, headers, &["application/json", "text/csv"])
            .and_then(|()| bulk_of(caller.tr, false, body)),
    };
    let bulk = match bulk {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    match state.services.provision.import(&caller.actor, &bulk, dry_run).await {
        Ok(report) => {
            let refused = report.refused();
            let report = report_of(caller.tr, report, dry_run);
            answer(caller, report, refused && !dry_run)
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
