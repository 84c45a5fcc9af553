//! `/api/v1/bulk/csv/{part}`: each part of the bulk document as CSV, one
//! object a row, with the columns of [`Part::columns`] (the first is needed,
//! any other may be left out and keeps its value): the extensions (as
//! `/api/v1/bulk/extensions.csv`), the departments, the CTI accounts with
//! their rights, the CTI groups, and the shared books with who reads them.
//! Lists in a cell: words separated by spaces (caller ids, licences, devices,
//! monitored lines; a device's and a line's flags after `:`, as
//! `100:main 102:softphone`, `105:clip:pickup`), names by `|` (managed
//! departments, a group's members, a book's grants as `group:access`). An
//! export imported again changes nothing.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::bulk::{answer, report_of, Whole};
use super::door::{ApiCall, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::cti::{Device, Monitor};
use crate::http::i18n::Tr;
use crate::services::provision::{AccountRow, BookRow, Bulk, ExtensionRow, GroupRow, MAX_ROWS};

/// A part of the bulk document, as a CSV file holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Extensions,
    Departments,
    CtiAccounts,
    CtiGroups,
    Books,
}

/// The extensions' columns, in the order an export writes them.
pub const EXTENSION_COLUMNS: [&str; 13] = [
    "number",
    "name",
    "comment",
    "email",
    "department",
    "is_admin",
    "public_book",
    "mobile",
    "restriction",
    "caller_ids",
    "manages",
    "recordings",
    "licences",
];

const ACCOUNT_COLUMNS: [&str; 15] = [
    "name",
    "kind",
    "first_name",
    "last_name",
    "phone",
    "email",
    "sip_user",
    "department_note",
    "hand_over",
    "devices",
    "monitors",
    "offline_journal",
    "server_journal",
    "hot_desking",
    "blf",
];

impl Part {
    pub const ALL: [Part; 5] =
        [Part::Extensions, Part::Departments, Part::CtiAccounts, Part::CtiGroups, Part::Books];

    pub fn code(self) -> &'static str {
        match self {
            Part::Extensions => "extensions",
            Part::Departments => "departments",
            Part::CtiAccounts => "cti_accounts",
            Part::CtiGroups => "cti_groups",
            Part::Books => "books",
        }
    }

    pub fn from_code(code: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Its columns, in the order an export writes them; the first is needed.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Part::Extensions => &EXTENSION_COLUMNS,
            Part::Departments => &["name"],
            Part::CtiAccounts => &ACCOUNT_COLUMNS,
            Part::CtiGroups => &["name", "show_numbers", "members"],
            Part::Books => &["name", "kind", "everyone", "groups"],
        }
    }
}

/// Words separated by `sep`, without the empty ones.
fn words(cell: &str, sep: char) -> Vec<String> {
    cell.split(sep).map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// A device or monitored line as a cell writes it: the extension, then its flags after `:`.
fn with_flags(ext: &str, flags: &[(bool, &str)]) -> String {
    let mut out = ext.to_owned();
    for (on, word) in flags {
        if *on {
            out.push(':');
            out.push_str(word);
        }
    }
    out
}

/// A device or monitored line as [`with_flags`] writes it: the extension
/// and which of the two `names` follow it; `None` for another word.
fn flagged(word: &str, names: [&str; 2]) -> Option<(String, [bool; 2])> {
    let mut parts = word.split(':');
    let ext = parts.next().unwrap_or_default().to_owned();
    let mut on = [false; 2];
    for f in parts {
        on[names.iter().position(|n| *n == f)?] = true;
    }
    Some((ext, on))
}

/// The rows of `part` of an export, with the header first.
fn rows_of(part: Part, bulk: Bulk) -> Vec<Vec<String>> {
    let list = |l: Option<Vec<String>>, sep: &str| l.unwrap_or_default().join(sep);
    let flag = |b: Option<bool>| b.unwrap_or_default().to_string();
    let text = |s: Option<String>| s.unwrap_or_default();
    let header = part.columns().iter().map(|c| (*c).to_owned()).collect();
    let rows: Vec<Vec<String>> = match part {
        Part::Extensions => bulk
            .extensions
            .into_iter()
            .map(|e| {
                vec![
                    e.number,
                    text(e.name),
                    text(e.comment),
                    text(e.email),
                    e.department.flatten().unwrap_or_default(),
                    flag(e.is_admin),
                    text(e.public_book),
                    text(e.mobile),
                    text(e.restriction),
                    list(e.caller_ids, " "),
                    list(e.manages, "|"),
                    flag(e.recordings),
                    list(e.licences, " "),
                ]
            })
            .collect(),
        Part::Departments => bulk.departments.into_iter().map(|d| vec![d]).collect(),
        Part::CtiAccounts => bulk
            .accounts
            .into_iter()
            .map(|a| {
                let devices = a
                    .devices
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| with_flags(&d.ext, &[(d.main, "main"), (d.softphone, "softphone")]));
                let monitors = a
                    .monitors
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| with_flags(&m.ext, &[(m.clip, "clip"), (m.pickup, "pickup")]));
                vec![
                    a.name,
                    text(a.kind),
                    text(a.first_name),
                    text(a.last_name),
                    text(a.phone),
                    text(a.email),
                    text(a.sip_user),
                    text(a.department_note),
                    flag(a.hand_over),
                    devices.collect::<Vec<_>>().join(" "),
                    monitors.collect::<Vec<_>>().join(" "),
                    flag(a.offline_journal),
                    flag(a.server_journal),
                    flag(a.hot_desking),
                    text(a.blf),
                ]
            })
            .collect(),
        Part::CtiGroups => bulk
            .groups
            .into_iter()
            .map(|g| vec![g.name, flag(g.show_numbers), list(g.members, "|")])
            .collect(),
        Part::Books => bulk
            .books
            .into_iter()
            .map(|b| {
                let grants = b.groups.unwrap_or_default().into_iter().map(|(g, a)| format!("{g}:{a}"));
                vec![b.name, text(b.kind), text(b.everyone), grants.collect::<Vec<_>>().join("|")]
            })
            .collect(),
    };
    std::iter::once(header).chain(rows).collect()
}

/// `part` of an export as CSV.
pub(crate) fn csv_of(part: Part, bulk: Bulk) -> Option<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    rows_of(part, bulk).iter().try_for_each(|r| out.write_record(r)).ok()?;
    out.into_inner().ok()
}

/// A CSV file of `part`: a header row naming some of its columns (the first
/// needed), then one object a row, separated by `,` or `;` (as the header
/// is); UTF-8, UTF-16 or a Windows code page.
pub(crate) fn read(tr: Tr, part: Part, body: &[u8]) -> Result<Bulk, Problem> {
    let columns = part.columns();
    let text = crate::phonebook::text::decode(body);
    let header_line = text.lines().next().unwrap_or("");
    let delimiter =
        if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(text.as_bytes());
    let bad = |line: u64, what: String| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            format!("{} {line}: {what}", tr.t("api.csv_line")),
        )
        .at(format!("/{line}"))
    };
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let mut at: Vec<(usize, &str)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_ascii_lowercase();
        match columns.iter().find(|c| **c == h) {
            Some(c) if !at.iter().any(|(_, seen)| seen == c) => at.push((i, c)),
            _ => return Err(bad(1, format!("{}: {h:?}", tr.t("api.csv_column")))),
        }
    }
    if !at.iter().any(|(_, c)| *c == columns[0]) {
        return Err(bad(1, format!("{}: {:?}", tr.t("api.csv_missing"), columns[0])));
    }
    let mut bulk = Bulk::default();
    for (rows, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.position().map(|p| p.line()).unwrap_or(0), e.to_string()))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if rows == MAX_ROWS {
            return Err(bad(line, tr.t("api.too_many_rows").to_owned()));
        }
        let cells: Vec<(&str, String)> =
            at.iter().map(|(i, c)| (*c, record.get(*i).unwrap_or("").trim().to_owned())).collect();
        let flag = |column: &str, cell: &str| match cell.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            _ => Err(bad(line, format!("{column}: {}", tr.t("api.csv_flag")))),
        };
        let row = line as usize;
        match part {
            Part::Extensions => {
                let mut e = ExtensionRow { row, ..ExtensionRow::default() };
                for (column, cell) in cells {
                    match column {
                        "number" => e.number = cell,
                        "name" => e.name = Some(cell),
                        "comment" => e.comment = Some(cell),
                        "email" => e.email = Some(cell),
                        "department" => e.department = Some(Some(cell).filter(|c| !c.is_empty())),
                        "is_admin" => e.is_admin = Some(flag(column, &cell)?),
                        "public_book" => e.public_book = Some(cell),
                        "mobile" => e.mobile = Some(cell),
                        "restriction" => e.restriction = Some(cell),
                        "caller_ids" => e.caller_ids = Some(words(&cell, ' ')),
                        "manages" => e.manages = Some(words(&cell, '|')),
                        "recordings" => e.recordings = Some(flag(column, &cell)?),
                        _ => e.licences = Some(words(&cell, ' ')),
                    }
                }
                bulk.extensions.push(e);
            }
            Part::Departments => bulk.departments.extend(cells.into_iter().map(|(_, cell)| cell)),
            Part::CtiAccounts => {
                let mut a = AccountRow { row, ..AccountRow::default() };
                for (column, cell) in cells {
                    let given = || Some(cell.clone());
                    match column {
                        "name" => a.name = cell,
                        "kind" => a.kind = Some(cell).filter(|k| !k.is_empty()),
                        "first_name" => a.first_name = given(),
                        "last_name" => a.last_name = given(),
                        "phone" => a.phone = given(),
                        "email" => a.email = given(),
                        "sip_user" => a.sip_user = given(),
                        "department_note" => a.department_note = given(),
                        "hand_over" => a.hand_over = Some(flag(column, &cell)?),
                        "devices" => {
                            let list = words(&cell, ' ').into_iter().map(|w| {
                                match flagged(&w, ["main", "softphone"]) {
                                    Some((ext, [main, softphone])) => Ok(Device { ext, main, softphone }),
                                    None => Err(bad(line, format!("devices: {w:?}"))),
                                }
                            });
                            a.devices = Some(list.collect::<Result<_, _>>()?);
                        }
                        "monitors" => {
                            let list = words(&cell, ' ').into_iter().map(|w| {
                                match flagged(&w, ["clip", "pickup"]) {
                                    Some((ext, [clip, pickup])) => Ok(Monitor { ext, clip, pickup }),
                                    None => Err(bad(line, format!("monitors: {w:?}"))),
                                }
                            });
                            a.monitors = Some(list.collect::<Result<_, _>>()?);
                        }
                        "offline_journal" => a.offline_journal = Some(flag(column, &cell)?),
                        "server_journal" => a.server_journal = Some(flag(column, &cell)?),
                        "hot_desking" => a.hot_desking = Some(flag(column, &cell)?),
                        _ => a.blf = Some(cell).filter(|b| !b.is_empty()),
                    }
                }
                bulk.accounts.push(a);
            }
            Part::CtiGroups => {
                let mut g = GroupRow { row, ..GroupRow::default() };
                for (column, cell) in cells {
                    match column {
                        "name" => g.name = cell,
                        "show_numbers" => g.show_numbers = Some(flag(column, &cell)?),
                        _ => g.members = Some(words(&cell, '|')),
                    }
                }
                bulk.groups.push(g);
            }
            Part::Books => {
                let mut b = BookRow { row, ..BookRow::default() };
                for (column, cell) in cells {
                    match column {
                        "name" => b.name = cell,
                        "kind" => b.kind = Some(cell).filter(|k| !k.is_empty()),
                        "everyone" => b.everyone = Some(cell).filter(|e| !e.is_empty()),
                        _ => {
                            let grants = words(&cell, '|').into_iter().map(|w| match w.rsplit_once(':') {
                                Some((g, a)) => Ok((g.trim().to_owned(), a.trim().to_owned())),
                                None => Err(bad(line, format!("groups: {w:?}"))),
                            });
                            b.groups = Some(grants.collect::<Result<_, _>>()?);
                        }
                    }
                }
                bulk.books.push(b);
            }
        }
    }
    Ok(bulk)
}

fn part_of(call: &ApiCall) -> Result<Part, Problem> {
    Part::from_code(call.param("part")).ok_or_else(|| Problem::not_found(&call.caller.tr))
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "bulk_export_part_csv", path = "/api/v1/bulk/csv/{part}", tag = "bulk",
    params(("part" = inline(Part), Path, description = "`extensions`, `departments`, `cti_accounts`, `cti_groups` or `books`")),
    responses((status = 200, content_type = "text/csv", body = String, description = "One object a row; the first row names the columns"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["read"]))))]
pub async fn export(call: ApiCall) -> Response {
    let part = match part_of(&call) {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    let (state, caller, ..) = call.parts();
    let bulk = match state.services.provision.export(&caller.actor).await {
        Ok(b) => b,
        Err(e) => return Problem::from_service(&caller.tr, e).into_response(),
    };
    match csv_of(part, bulk) {
        Some(bytes) => {
            let mut r = (StatusCode::OK, bytes).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            r
        }
        None => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", caller.tr.t("error.internal"))
            .into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "bulk_import_part_csv", path = "/api/v1/bulk/csv/{part}", tag = "bulk",
    params(("part" = inline(Part), Path, description = "`extensions`, `departments`, `cti_accounts`, `cti_groups` or `books`"), super::bulk::ImportQuery),
    request_body(content((String = "text/csv", example = "name,kind,first_name,devices\ndesk,user,Ewa,100:main\n")), description = "One object a row, the columns of the part (the first needed)"),
    responses((status = 200, body = super::bulk::BulkReport, description = "Applied, or the dry run's report"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc, description = "A row is refused (the report is in `rows`) and nothing was written; or the file cannot be read")),
    security(("bearer" = ["write"]))))]
pub async fn import(call: ApiCall) -> Response {
    let part = match part_of(&call) {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    let whole = match Whole::begin(&call).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let dry_run = whole.dry_run;
    let (state, caller, headers, body) = call.parts();
    if let Err(p) = super::door::json_type(&caller.tr, headers, &["text/csv"]) {
        return p.into_response();
    }
    let bulk = match read(caller.tr, part, body) {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    match state.services.provision.import(&caller.actor, &bulk, dry_run).await {
        Ok(report) => {
            let refused = report.refused();
            answer(caller, report_of(caller.tr, report, dry_run), refused && !dry_run)
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
