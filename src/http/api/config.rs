//! `/api/v1/config`: the exchange's whole configuration as one versioned
//! document (SPEC S4), the CTI groups included since version 2, and the CTI
//! accounts with their rights and the shared books with who may read them
//! since version 3. `GET` gives it with its `ETag`; `PUT` of it makes an
//! exchange the same (`dry_run=true` reports what would change), refusing a
//! document of a version this exchange does not read. Secrets never travel:
//! passwords, PINs, keys and the mail server's password stay on each board
//! (a `PUT` keeps the mail password the board has); nor does the Security
//! area (tokens, the two-factor policy), which needs scopes of its own.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bulk::{
    account_conforms, account_doc, account_row, answer, book_conforms, book_row, extension_conforms,
    group_conforms, report_of, BookGrant, BulkBook, BulkCtiAccount, BulkDepartment, Whole,
};
use super::door::{check_if_match, etag_of, from_value, json_type, tagged, ApiCall, Caller, Problem};
use super::forwarding::Forwarding;
#[cfg(feature = "openapi")]
use super::schema::{self, ProblemDoc};
use crate::domain::group::MAX_GROUPS;
use crate::services::config::{BoardSettings, Desired, Exported};
use crate::services::exposure::Switches;
use crate::services::provision::{Bulk, ExtensionRow, GroupRow, MAX_BOOKS, MAX_ROWS};
use crate::services::smtp::SmtpChange;

/// The document's version, which `GET` gives: 3, which adds the CTI
/// accounts and the shared books to version 2, which added the CTI groups to version 1. All are
/// taken (a version 1 document leaves the groups and accounts as they are,
/// a version 2 the accounts); another is refused.
pub const VERSION: u32 = 3;

/// The configuration of an exchange.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    /// 3 (2: the same without `cti_accounts` and `books`; 1: without `cti_groups` too).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub version: u32,
    /// Every department; one the exchange has and the document does not name goes.
    pub departments: Vec<BulkDepartment>,
    /// The extensions, each whole.
    pub extensions: Vec<ConfigExtension>,
    pub board: ConfigBoard,
    /// Every CTI group, whole (version 2); one the exchange has and the
    /// document does not name goes.
    #[serde(default)]
    pub cti_groups: Vec<ConfigCtiGroup>,
    /// Every CTI account, whole, with its rights (version 3); one the
    /// exchange has and the document does not name goes. No password
    /// travels: an account that logs in and has none is handed one at its
    /// first login.
    #[serde(default)]
    pub cti_accounts: Vec<ConfigCtiAccount>,
    /// Every shared book with who may read it (version 3): a book kept here
    /// that the document does not name goes (its notes to the trash); a
    /// source's book stays, and one the document names must be set up on the
    /// books page first. The books' contacts are not in it.
    #[serde(default)]
    pub books: Vec<ConfigBook>,
}

/// A shared book and who may read it, whole.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigBook {
    #[cfg_attr(feature = "openapi", schema(example = "Suppliers", min_length = 1, max_length = 60))]
    pub name: String,
    /// `kept`, `csv` or `ldap`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::book_kind))]
    pub kind: String,
    /// `none`, `read` or `offline`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::everyone_access))]
    pub everyone: String,
    /// Each CTI group's access; a group left out reads nothing.
    pub groups: Vec<BookGrant>,
}

/// A CTI account, whole.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigCtiAccount {
    #[cfg_attr(feature = "openapi", schema(example = "desk", min_length = 1, max_length = 64))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::cti_kind))]
    pub kind: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: String,
    pub sip_user: String,
    pub department_note: String,
    /// Its next login is handed a new password (false takes no mark away).
    pub hand_over: bool,
    pub rights: super::cti::CtiRights,
}

/// A CTI group, whole.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigCtiGroup {
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: String,
    pub show_numbers: bool,
    /// CTI accounts by name, subscribers by extension (in any order).
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub members: Vec<String>,
}

/// An extension, whole: what an administrator sets about it and its forwarding.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigExtension {
    pub number: String,
    pub name: String,
    pub comment: String,
    pub email: String,
    /// The department's name; null for the pool.
    pub department: Option<String>,
    pub is_admin: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::public_right))]
    pub public_book: String,
    pub mobile: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::restriction))]
    pub restriction: String,
    pub caller_ids: Vec<String>,
    /// The names of the departments he manages.
    pub manages: Vec<String>,
    pub recordings: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::licences))]
    pub licences: Vec<String>,
    pub forwarding: Forwarding,
}

/// The board-wide settings.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigBoard {
    /// The portal answers over HTTPS only.
    pub https_only: bool,
    /// The portal answers on the WAN.
    pub wan_webcti: bool,
    /// The mail server; null when none is set (a document without one leaves the board's).
    pub smtp: Option<ConfigSmtp>,
}

/// The mail server, but for its password, which stays on the board.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigSmtp {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub tls: String,
    pub username: String,
    pub from: String,
    /// A CA certificate (PEM) the server's is checked against; empty for the board's.
    pub ca: String,
}

fn document_of(e: Exported) -> ConfigDocument {
    let board = e.board;
    ConfigDocument {
        version: VERSION,
        cti_accounts: e
            .bulk
            .accounts
            .into_iter()
            .map(|a| {
                let a = account_doc(a);
                ConfigCtiAccount {
                    name: a.name,
                    kind: a.kind.unwrap_or_default(),
                    first_name: a.first_name.unwrap_or_default(),
                    last_name: a.last_name.unwrap_or_default(),
                    phone: a.phone.unwrap_or_default(),
                    email: a.email.unwrap_or_default(),
                    sip_user: a.sip_user.unwrap_or_default(),
                    department_note: a.department_note.unwrap_or_default(),
                    hand_over: a.hand_over.unwrap_or_default(),
                    rights: a.rights.unwrap_or_else(|| super::cti::rights_doc(Default::default())),
                }
            })
            .collect(),
        books: e
            .bulk
            .books
            .into_iter()
            .map(|b| ConfigBook {
                name: b.name,
                kind: b.kind.unwrap_or_default(),
                everyone: b.everyone.unwrap_or_default(),
                groups: b
                    .groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(group, access)| BookGrant { group, access })
                    .collect(),
            })
            .collect(),
        cti_groups: e
            .bulk
            .groups
            .into_iter()
            .map(|g| ConfigCtiGroup {
                name: g.name,
                show_numbers: g.show_numbers.unwrap_or_default(),
                members: g.members.unwrap_or_default(),
            })
            .collect(),
        departments: e.bulk.departments.into_iter().map(|name| BulkDepartment { name }).collect(),
        extensions: e
            .bulk
            .extensions
            .into_iter()
            .zip(&e.programs)
            .map(|(x, p)| ConfigExtension {
                number: x.number,
                name: x.name.unwrap_or_default(),
                comment: x.comment.unwrap_or_default(),
                email: x.email.unwrap_or_default(),
                department: x.department.flatten(),
                is_admin: x.is_admin.unwrap_or_default(),
                public_book: x.public_book.unwrap_or_default(),
                mobile: x.mobile.unwrap_or_default(),
                restriction: x.restriction.unwrap_or_default(),
                caller_ids: x.caller_ids.unwrap_or_default(),
                manages: x.manages.unwrap_or_default(),
                recordings: x.recordings.unwrap_or_default(),
                licences: x.licences.unwrap_or_default(),
                forwarding: Forwarding::of(p),
            })
            .collect(),
        board: ConfigBoard {
            https_only: board.switches.https_only,
            wan_webcti: board.switches.wan_webcti,
            smtp: board.smtp.map(|s| ConfigSmtp {
                host: s.host,
                port: s.port,
                tls: s.tls,
                username: s.username,
                from: s.from,
                ca: s.ca,
            }),
        },
    }
}

/// What the document asks for, or where it is wrong.
fn desired_of(caller: &Caller, doc: ConfigDocument) -> Result<Desired, Problem> {
    if doc.extensions.len().max(doc.departments.len()).max(doc.cti_accounts.len()) > MAX_ROWS
        || doc.cti_groups.len() > MAX_GROUPS
    {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            caller.tr.t("api.too_many_rows"),
        ));
    }
    if doc.version == 1 && !doc.cti_groups.is_empty() {
        let p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_version",
            caller.tr.t("api.config_groups_need_version_2"),
        );
        return Err(p.at("/cti_groups"));
    }
    if doc.version < 3 && !(doc.cti_accounts.is_empty() && doc.books.is_empty()) {
        let p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_version",
            caller.tr.t("api.config_accounts_need_version_3"),
        );
        return Err(p.at(if doc.cti_accounts.is_empty() { "/books" } else { "/cti_accounts" }));
    }
    if doc.books.len() > MAX_BOOKS {
        let p =
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", caller.tr.t("api.too_many_rows"));
        return Err(p.at("/books"));
    }
    let books: Vec<BulkBook> = doc
        .books
        .into_iter()
        .map(|b| BulkBook {
            name: b.name,
            kind: Some(b.kind),
            everyone: Some(b.everyone),
            groups: Some(b.groups),
        })
        .collect();
    for (i, b) in books.iter().enumerate() {
        book_conforms(caller.tr, i, b)?;
    }
    let books_whole = doc.version >= 3;
    let books = books.into_iter().enumerate().map(|(i, b)| book_row(b, i + 1)).collect();
    for (i, g) in doc.cti_groups.iter().enumerate() {
        group_conforms(caller.tr, i, &g.name, g.members.len())?;
    }
    for (i, a) in doc.cti_accounts.iter().enumerate() {
        account_conforms(caller.tr, i, &a.name, Some(&a.kind), Some(&a.rights))?;
    }
    let accounts_whole = doc.version >= 3;
    let accounts = doc
        .cti_accounts
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let whole = BulkCtiAccount {
                name: a.name,
                kind: Some(a.kind),
                first_name: Some(a.first_name),
                last_name: Some(a.last_name),
                phone: Some(a.phone),
                email: Some(a.email),
                sip_user: Some(a.sip_user),
                department_note: Some(a.department_note),
                hand_over: Some(a.hand_over),
                rights: Some(a.rights),
            };
            account_row(whole, i + 1)
        })
        .collect();
    for (i, x) in doc.extensions.iter().enumerate() {
        extension_conforms(caller.tr, i, Some(&x.restriction), Some(&x.public_book), Some(&x.licences))?;
    }
    let groups_whole = doc.version >= 2;
    let groups = doc
        .cti_groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| GroupRow {
            row: i + 1,
            name: g.name,
            show_numbers: Some(g.show_numbers),
            members: Some(g.members),
        })
        .collect();
    let mut extensions = Vec::with_capacity(doc.extensions.len());
    let mut forwarding = Vec::with_capacity(doc.extensions.len());
    for (i, x) in doc.extensions.into_iter().enumerate() {
        x.forwarding.check_form(caller).map_err(|mut p| {
            p.pointer = p.pointer.map(|at| format!("/extensions/{i}/forwarding{at}"));
            p
        })?;
        forwarding.push(Some(x.forwarding.into_change()));
        extensions.push(ExtensionRow {
            row: i + 1,
            number: x.number,
            name: Some(x.name),
            comment: Some(x.comment),
            email: Some(x.email),
            department: Some(x.department.filter(|d| !d.trim().is_empty())),
            is_admin: Some(x.is_admin),
            public_book: Some(x.public_book),
            mobile: Some(x.mobile),
            restriction: Some(x.restriction),
            caller_ids: Some(x.caller_ids),
            manages: Some(x.manages),
            recordings: Some(x.recordings),
            licences: Some(x.licences),
        });
    }
    let b = doc.board;
    Ok(Desired {
        // Version 1 does not carry the CTI groups: they stay as they are.
        bulk: Bulk {
            departments: doc.departments.into_iter().map(|d| d.name).collect(),
            extensions,
            groups,
            groups_whole,
            accounts,
            accounts_whole,
            books,
            books_whole,
        },
        forwarding,
        board: BoardSettings {
            switches: Switches { https_only: b.https_only, wan_webcti: b.wan_webcti },
            smtp: b.smtp.map(|s| SmtpChange {
                host: s.host,
                port: s.port.to_string(),
                tls: s.tls,
                username: s.username,
                password: String::new(),
                forget_password: false,
                from: s.from,
                ca: s.ca,
            }),
        },
    })
}

async fn current(call: &ApiCall) -> Result<ConfigDocument, Problem> {
    let (state, caller, ..) = call.parts();
    let exported = state.services.config.export(&caller.actor).await;
    exported.map(document_of).map_err(|e| Problem::from_service(&caller.tr, e))
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "config_get", path = "/api/v1/config", tag = "config",
    responses((status = 200, body = ConfigDocument, headers(("ETag" = String)), description = "The whole configuration; PUT back, it changes nothing"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["read"]))))]
pub async fn get(call: ApiCall) -> Response {
    match current(&call).await {
        Ok(doc) => tagged(&call.caller.tr, StatusCode::OK, &doc),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "config_put", path = "/api/v1/config", tag = "config",
    params(super::bulk::ImportQuery, ("If-Match" = Option<String>, Header, description = "The ETag of the configuration the document was made from")),
    request_body(content = ConfigDocument, description = "The configuration the exchange is to have"),
    responses((status = 200, body = super::bulk::BulkReport, description = "Applied, or the dry run's report: a row for each department, extension, forwarding, board setting, CTI account, CTI group and book"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc, description = "A part is refused (the report is in `rows`) and nothing was written; or the document is not one of versions 1 to 3"), (status = 429, body = ProblemDoc)),
    security(("bearer" = ["write"]))))]
pub async fn put(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    // If-Match, the checks and the writes under the API's change lock.
    let whole = match Whole::begin(&call).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let dry_run = whole.dry_run;
    let desired = async {
        json_type(&caller.tr, headers, &["application/json"])?;
        let value: Value = super::door::from_slice(&caller.tr, body)?;
        // The version first: a later one may have fields this one does not know.
        match value.get("version").and_then(Value::as_u64) {
            Some(v) if (1..=u64::from(VERSION)).contains(&v) => {}
            v => {
                let given = v.map_or_else(|| "?".to_owned(), |v| v.to_string());
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_version",
                    caller.tr.f("api.config_version", "version", &given),
                )
                .at("/version"));
            }
        }
        let doc = desired_of(caller, from_value(&caller.tr, value)?)?;
        if headers.contains_key(axum::http::header::IF_MATCH) {
            check_if_match(&caller.tr, headers, &etag_of(&current(&call).await?))?;
        }
        Ok(doc)
    };
    let desired = match desired.await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    match state.services.config.apply(&caller.actor, &desired, dry_run).await {
        Ok(report) => {
            let refused = report.refused() && !dry_run;
            answer(caller, report_of(caller.tr, report, dry_run), refused)
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
