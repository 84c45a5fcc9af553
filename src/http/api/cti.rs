//! `/api/v1/cti/...`: the CTI server's accounts (SPEC C1-C3), their rights
//! (C4, C5) and its groups (C6), shown as busy-lamp panels to their members,
//! through the same service calls as the administrator's page. A change
//! reaches every connected client at once.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{
    check_if_match, etag_of, id_of, parse, plain, read, replace, same_id, tagged, ApiCall, Caller, Problem,
    Resource,
};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::group::{GroupProblem, MAX_MEMBERS};
use crate::http::HttpState;
use crate::services::cti::GroupForm;
use crate::services::{Invalid, ServiceError};

/// A CTI group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiGroup {
    /// Read only; given, it must be the path's.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: String,
    /// Calls on the panel show the callers' numbers.
    pub show_numbers: bool,
    /// Its members: CTI accounts by name, subscribers by extension number.
    #[cfg_attr(feature = "openapi", schema(example = json!(["desk", "101"]), max_items = 100))]
    pub members: Vec<String>,
}

/// A JSON Merge Patch of a group (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiGroupPatch {
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: Option<String>,
    pub show_numbers: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CtiGroupList {
    pub items: Vec<CtiGroup>,
}

async fn all(state: &HttpState, caller: &Caller) -> Result<Vec<CtiGroup>, Problem> {
    match state.services.cti.groups(&caller.actor).await {
        Ok(list) => Ok(list
            .into_iter()
            .map(|g| CtiGroup {
                id: g.id,
                name: g.name,
                show_numbers: g.show_numbers,
                members: g.members.iter().map(|m| m.name().to_owned()).collect(),
            })
            .collect()),
        Err(e) => Err(Problem::from_service(&caller.tr, e)),
    }
}

async fn one(state: &HttpState, caller: &Caller, id: i64) -> Result<CtiGroup, Problem> {
    all(state, caller).await?.into_iter().find(|g| g.id == id).ok_or_else(|| Problem::not_found(&caller.tr))
}

/// What a group's fields break of the rules that need no lookup: its
/// name, and members that are none or would read as two in the page's form.
fn checked_group(tr: &crate::http::i18n::Tr, f: &CtiGroup) -> Result<(), Problem> {
    let invalid =
        |p: GroupProblem, at: String| Problem::from_service(tr, ServiceError::Invalid(p.into())).at(at);
    if let Err(p) = crate::domain::group::check_name(f.name.trim()) {
        return Err(invalid(p, "/name".into()));
    }
    if f.members.len() > MAX_MEMBERS {
        return Err(invalid(GroupProblem::TooManyMembers, "/members".into()));
    }
    if let Some(i) = f.members.iter().position(|m| {
        let m = m.trim();
        m.is_empty() || m.contains(['\n', '\r', ',', ';']) || m.chars().any(char::is_control)
    }) {
        return Err(invalid(GroupProblem::Member(i + 1), format!("/members/{i}")));
    }
    Ok(())
}

/// Saves a group checked by [`checked_group`] (`id` 0: a new one) as the
/// page's form would; a refused member is named by its place in `members`.
async fn save(state: &HttpState, caller: &Caller, id: i64, f: CtiGroup) -> Result<i64, Problem> {
    let tr = &caller.tr;
    let invalid =
        |p: GroupProblem, at: String| Problem::from_service(tr, ServiceError::Invalid(p.into())).at(at);
    let form = GroupForm { name: f.name, show_numbers: f.show_numbers, members: f.members.join("\n") };
    state.services.cti.save_group(&caller.actor, id, form).await.map_err(|e| match e {
        ServiceError::Invalid(Invalid::Group(GroupProblem::Member(line))) => {
            invalid(GroupProblem::Member(line), format!("/members/{}", line.saturating_sub(1)))
        }
        e => Problem::from_service(tr, e),
    })
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_groups_list", path = "/api/v1/cti/groups", tag = "cti",
    responses((status = 200, body = CtiGroupList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match all(state, caller).await {
        Ok(items) => plain(&caller.tr, StatusCode::OK, &CtiGroupList { items }),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "cti_groups_create", path = "/api/v1/cti/groups", tag = "cti",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = CtiGroup,
    responses((status = 201, body = CtiGroup, headers(("Location" = String), ("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let fields: CtiGroup = parse(&caller.tr, headers, body)?;
        let id = save(state, caller, 0, fields.change(caller, "0")?).await?;
        let made = one(state, caller, id).await?;
        let mut r = tagged(&caller.tr, StatusCode::CREATED, &made);
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/cti/groups/{id}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Ok::<_, Problem>(r)
    };
    let work = async { work.await.unwrap_or_else(IntoResponse::into_response) };
    call.once(work).await
}

impl Resource for CtiGroup {
    type Change = CtiGroup;

    async fn current(state: &HttpState, caller: &Caller, key: &str) -> Result<CtiGroup, Problem> {
        one(state, caller, id_of(caller, key)?).await
    }

    fn change(self, caller: &Caller, key: &str) -> Result<CtiGroup, Problem> {
        same_id(caller, self.id, key)?;
        checked_group(&caller.tr, &self)?;
        Ok(self)
    }

    async fn write(state: &HttpState, caller: &Caller, key: &str, g: CtiGroup) -> Result<(), Problem> {
        save(state, caller, id_of(caller, key)?, g).await.map(|_| ())
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_groups_get", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path)),
    responses((status = 200, body = CtiGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<CtiGroup>(&call, call.param("id")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "cti_groups_put", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = CtiGroup,
    responses((status = 200, body = CtiGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<CtiGroup>(&call, call.param("id"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "cti_groups_patch", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = CtiGroupPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = CtiGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<CtiGroup>(&call, call.param("id"), true).await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "cti_groups_delete", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn delete(call: ApiCall) -> Response {
    let (state, caller, headers, ..) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    let old = match one(state, caller, id).await {
        Ok(g) => g,
        Err(p) => return p.into_response(),
    };
    if let Err(p) = check_if_match(&caller.tr, headers, &etag_of(&old)) {
        return p.into_response();
    }
    match state.services.cti.delete_group(&caller.actor, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

/// A CTI account (SPEC C1-C3): a computer (by host name), a user (by login
/// name) or a user without login (only a member of groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiAccount {
    /// Read only; given, it must be the path's.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "desk", min_length = 1, max_length = 64))]
    pub name: String,
    /// `computer`, `user` or `nologin`.
    #[cfg_attr(feature = "openapi", schema(example = "user"))]
    pub kind: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub sip_user: String,
    #[serde(default)]
    pub department_note: String,
    /// The next login needs no password and is handed a new one.
    #[serde(default)]
    pub hand_over: bool,
    /// A password is set (read only: it is never shown again).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub has_password: bool,
    /// Sent: the password to set (8 to 128 characters); left out, the one it
    /// has is kept. Answered only when the account was made without one: the
    /// password it was given, this once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: Option<String>,
}

/// A JSON Merge Patch of an account (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiAccountPatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub sip_user: Option<String>,
    pub department_note: Option<String>,
    pub hand_over: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(write_only, min_length = 8, max_length = 128))]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CtiAccountList {
    pub items: Vec<CtiAccount>,
    /// Accounts that log in, and the licences the CTI server has.
    pub licences_used: usize,
    pub licences: usize,
}

/// A device of an account: full control and monitoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiDevice {
    #[cfg_attr(feature = "openapi", schema(example = "100"))]
    pub ext: String,
    /// Calls are made from it unless the client says; the first is one when none is.
    #[serde(default)]
    pub main: bool,
    /// A softphone: it may be left out of the busy lamp.
    #[serde(default)]
    pub softphone: bool,
}

/// A line an account may monitor, with what it may see and do there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiMonitor {
    #[cfg_attr(feature = "openapi", schema(example = "101"))]
    pub ext: String,
    /// May see callers' numbers.
    #[serde(default)]
    pub clip: bool,
    /// May pick up its calls.
    #[serde(default)]
    pub pickup: bool,
}

/// An account's rights (SPEC C4, C5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiRights {
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    pub devices: Vec<CtiDevice>,
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub monitors: Vec<CtiMonitor>,
    pub offline_journal: bool,
    pub server_journal: bool,
    /// No devices of its own: those standing at the computer it logs in from.
    pub hot_desking: bool,
    /// What feeds its lamp on panels: `in_use`, `first` or `not_softphone`.
    #[cfg_attr(feature = "openapi", schema(example = "in_use"))]
    pub blf: String,
}

/// A JSON Merge Patch of rights (RFC 7396): a list sent replaces the list.
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiRightsPatch {
    pub devices: Option<Vec<CtiDevice>>,
    pub monitors: Option<Vec<CtiMonitor>>,
    pub offline_journal: Option<bool>,
    pub server_journal: Option<bool>,
    pub hot_desking: Option<bool>,
    pub blf: Option<String>,
}

fn account_of(a: crate::domain::cti::Account) -> CtiAccount {
    CtiAccount {
        id: a.id,
        name: a.name,
        kind: a.kind.code().to_owned(),
        first_name: a.data.first_name,
        last_name: a.data.last_name,
        phone: a.data.phone,
        email: a.data.email,
        sip_user: a.data.sip_user,
        department_note: a.data.department_note,
        hand_over: a.hand_over,
        has_password: a.has_password,
        password: None,
    }
}

async fn account(state: &HttpState, caller: &Caller, id: i64) -> Result<CtiAccount, Problem> {
    match state.services.cti.account(&caller.actor, id).await {
        Ok(a) => Ok(account_of(a)),
        Err(e) => Err(Problem::from_service(&caller.tr, e)),
    }
}

/// The field an account's refusal is about.
fn account_problem(tr: &crate::http::i18n::Tr, e: ServiceError) -> Problem {
    use crate::domain::cti::AccountProblem as P;
    let at = match &e {
        ServiceError::Invalid(Invalid::Cti(p)) => match p {
            P::BadHostName | P::BadLoginName | P::Exists => Some("/name"),
            P::BadKind | P::NoLicence => Some("/kind"),
            P::BadEmail => Some("/email"),
            P::BadPhone => Some("/phone"),
            P::BadPassword | P::NoLogin => Some("/password"),
            P::TooLong => None,
        },
        _ => None,
    };
    let p = Problem::from_service(tr, e);
    match at {
        Some(at) => p.at(at),
        None => p,
    }
}

/// What an account's fields break of the rules that need no lookup.
fn checked_account(tr: &crate::http::i18n::Tr, f: &CtiAccount) -> Result<(), Problem> {
    use crate::domain::cti::{check_account, check_password, AccountProblem, Data, Kind};
    let refuse = |p: AccountProblem| account_problem(tr, ServiceError::Invalid(p.into()));
    let kind = Kind::from_code(f.kind.trim()).ok_or_else(|| refuse(AccountProblem::BadKind))?;
    let t = |s: &String| s.trim().to_owned();
    let data = Data {
        first_name: t(&f.first_name),
        last_name: t(&f.last_name),
        phone: t(&f.phone),
        email: t(&f.email),
        sip_user: t(&f.sip_user),
        department_note: t(&f.department_note),
    };
    check_account(f.name.trim(), kind, &data).map_err(refuse)?;
    match f.password.as_deref() {
        // Left out keeps the password; an empty one is none.
        Some(p) => check_password(kind, p).map_err(refuse),
        None => Ok(()),
    }
}

/// Saves an account checked by [`checked_account`] (`id` 0: a new one) and
/// its hand-over mark; the password it was given, if it was made.
async fn save_account(
    state: &HttpState,
    caller: &Caller,
    id: i64,
    f: CtiAccount,
) -> Result<(i64, Option<String>), Problem> {
    let cti = &state.services.cti;
    let form = crate::services::cti::AccountForm {
        name: f.name,
        kind: f.kind,
        data: crate::domain::cti::Data {
            first_name: f.first_name,
            last_name: f.last_name,
            phone: f.phone,
            email: f.email,
            sip_user: f.sip_user,
            department_note: f.department_note,
        },
        password: f.password.unwrap_or_default(),
    };
    let (id, made) = cti.save(&caller.actor, id, form).await.map_err(|e| account_problem(&caller.tr, e))?;
    cti.hand_over(&caller.actor, id, f.hand_over).await.map_err(|e| Problem::from_service(&caller.tr, e))?;
    Ok((id, made))
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_accounts_list", path = "/api/v1/cti/accounts", tag = "cti",
    responses((status = 200, body = CtiAccountList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn accounts(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.cti.list(&caller.actor).await {
        Ok(l) => plain(
            &caller.tr,
            StatusCode::OK,
            &CtiAccountList {
                items: l.accounts.into_iter().map(account_of).collect(),
                licences_used: l.used,
                licences: l.licences,
            },
        ),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "cti_accounts_create", path = "/api/v1/cti/accounts", tag = "cti",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = CtiAccount,
    responses((status = 201, body = CtiAccount, headers(("Location" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn account_create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let fields: CtiAccount = parse(&caller.tr, headers, body)?;
        let (id, password) = save_account(state, caller, 0, fields.change(caller, "0")?).await?;
        let made = CtiAccount { password, ..account(state, caller, id).await? };
        // The made password is in it: no tag to keep.
        let mut r = plain(&caller.tr, StatusCode::CREATED, &made);
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/cti/accounts/{id}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok::<_, Problem>(r)
    };
    let work = async { work.await.unwrap_or_else(IntoResponse::into_response) };
    call.once(work).await
}

impl Resource for CtiAccount {
    type Change = CtiAccount;

    async fn current(state: &HttpState, caller: &Caller, key: &str) -> Result<CtiAccount, Problem> {
        account(state, caller, id_of(caller, key)?).await
    }

    fn change(self, caller: &Caller, key: &str) -> Result<CtiAccount, Problem> {
        same_id(caller, self.id, key)?;
        checked_account(&caller.tr, &self)?;
        Ok(self)
    }

    async fn write(state: &HttpState, caller: &Caller, key: &str, a: CtiAccount) -> Result<(), Problem> {
        save_account(state, caller, id_of(caller, key)?, a).await.map(|_| ())
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_accounts_get", path = "/api/v1/cti/accounts/{id}", tag = "cti",
    params(("id" = i64, Path)),
    responses((status = 200, body = CtiAccount, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn account_get(call: ApiCall) -> Response {
    read::<CtiAccount>(&call, call.param("id")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "cti_accounts_put", path = "/api/v1/cti/accounts/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = CtiAccount,
    responses((status = 200, body = CtiAccount, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn account_put(call: ApiCall) -> Response {
    replace::<CtiAccount>(&call, call.param("id"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "cti_accounts_patch", path = "/api/v1/cti/accounts/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = CtiAccountPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = CtiAccount, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn account_patch(call: ApiCall) -> Response {
    replace::<CtiAccount>(&call, call.param("id"), true).await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "cti_accounts_delete", path = "/api/v1/cti/accounts/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn account_delete(call: ApiCall) -> Response {
    let (state, caller, headers, ..) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    let old = match account(state, caller, id).await {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    if let Err(p) = check_if_match(&caller.tr, headers, &etag_of(&old)) {
        return p.into_response();
    }
    match state.services.cti.delete(&caller.actor, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

async fn rights(state: &HttpState, caller: &Caller, id: i64) -> Result<CtiRights, Problem> {
    let r = state.services.cti.rights(&caller.actor, id).await;
    r.map(rights_doc).map_err(|e| Problem::from_service(&caller.tr, e))
}

/// The rights as the page's form writes them: a line each device and line.
fn rights_form(r: &CtiRights) -> crate::services::cti::RightsForm {
    use crate::domain::cti::{devices_text, monitors_text};
    let rights = rights_of(r.clone());
    crate::services::cti::RightsForm {
        devices: devices_text(&rights.devices),
        monitors: monitors_text(&rights.monitors),
        offline_journal: r.offline_journal,
        server_journal: r.server_journal,
        hot_desking: r.hot_desking,
        blf: r.blf.clone(),
    }
}

/// Rights as the domain has them (an unknown lamp source: the first choice;
/// [`rights_shape`] refuses it before).
pub(super) fn rights_of(r: CtiRights) -> crate::domain::cti::Rights {
    use crate::domain::cti::{BlfSource, Device, Monitor};
    crate::domain::cti::Rights {
        devices: r
            .devices
            .into_iter()
            .map(|d| Device { ext: d.ext, main: d.main, softphone: d.softphone })
            .collect(),
        monitors: r
            .monitors
            .into_iter()
            .map(|m| Monitor { ext: m.ext, clip: m.clip, pickup: m.pickup })
            .collect(),
        offline_journal: r.offline_journal,
        server_journal: r.server_journal,
        hot_desking: r.hot_desking,
        blf: BlfSource::from_code(&r.blf).unwrap_or_default(),
    }
}

/// Rights as the API gives them.
pub(super) fn rights_doc(r: crate::domain::cti::Rights) -> CtiRights {
    CtiRights {
        devices: r
            .devices
            .into_iter()
            .map(|d| CtiDevice { ext: d.ext, main: d.main, softphone: d.softphone })
            .collect(),
        monitors: r
            .monitors
            .into_iter()
            .map(|m| CtiMonitor { ext: m.ext, clip: m.clip, pickup: m.pickup })
            .collect(),
        offline_journal: r.offline_journal,
        server_journal: r.server_journal,
        hot_desking: r.hot_desking,
        blf: r.blf.code().to_owned(),
    }
}

/// What rights break of the rules that need no lookup: the lists' lengths,
/// lines that are none or would read as more in the page's form, the lamp's
/// source.
pub(super) fn rights_shape(tr: &crate::http::i18n::Tr, r: &CtiRights) -> Result<(), Problem> {
    use crate::domain::cti::{BlfSource, RightsProblem, MAX_DEVICES, MAX_MONITORS};
    let invalid =
        |p: RightsProblem, at: String| Problem::from_service(tr, ServiceError::Invalid(p.into())).at(at);
    let odd = |ext: &str| ext.is_empty() || ext.chars().any(|c| c.is_whitespace() || c.is_control());
    if r.devices.len() > MAX_DEVICES {
        return Err(invalid(RightsProblem::TooMany, "/devices".into()));
    }
    if r.monitors.len() > MAX_MONITORS {
        return Err(invalid(RightsProblem::TooMany, "/monitors".into()));
    }
    if let Some(i) = r.devices.iter().position(|d| odd(&d.ext)) {
        return Err(invalid(RightsProblem::Line(i + 1), format!("/devices/{i}/ext")));
    }
    if let Some(i) = r.monitors.iter().position(|m| odd(&m.ext)) {
        return Err(invalid(RightsProblem::Line(i + 1), format!("/monitors/{i}/ext")));
    }
    if BlfSource::from_code(&r.blf).is_none() {
        let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", tr.t("api.invalid_body"));
        return Err(p.at("/blf"));
    }
    Ok(())
}

/// Replaces account `id`'s rights with `r` (checked by [`rights_shape`]),
/// each refusal at the field it is about: every line is checked alone first,
/// nothing written until all pass.
async fn set_rights(state: &HttpState, caller: &Caller, id: i64, r: CtiRights) -> Result<(), Problem> {
    use crate::domain::cti::RightsProblem;
    let tr = &caller.tr;
    let invalid =
        |p: RightsProblem, at: String| Problem::from_service(tr, ServiceError::Invalid(p.into())).at(at);
    let cti = &state.services.cti;
    let kind = cti.account(&caller.actor, id).await.map_err(|e| Problem::from_service(tr, e))?.kind;
    let form = rights_form(&r);
    // Which list a line is refused in: each alone, then both.
    let alone = [
        (
            "/devices",
            crate::services::cti::RightsForm { monitors: String::new(), hot_desking: false, ..form.clone() },
        ),
        (
            "/monitors",
            crate::services::cti::RightsForm { devices: String::new(), hot_desking: false, ..form.clone() },
        ),
    ];
    for (list, f) in alone {
        match cti.checked_rights(&caller.actor, kind, &f).await {
            Err(ServiceError::Invalid(Invalid::Rights(p @ RightsProblem::Line(n)))) => {
                return Err(invalid(p, format!("{list}/{}/ext", n.saturating_sub(1))));
            }
            Err(ServiceError::Invalid(Invalid::Rights(RightsProblem::NoLogin))) | Ok(_) => {}
            Err(e) => return Err(Problem::from_service(tr, e)),
        }
    }
    cti.set_rights(&caller.actor, id, form).await.map_err(|e| {
        let at = match &e {
            ServiceError::Invalid(Invalid::Rights(RightsProblem::HotDeskingWithDevices)) => {
                Some("/hot_desking")
            }
            ServiceError::Invalid(Invalid::Rights(RightsProblem::NoLogin)) => Some(""),
            _ => None,
        };
        let p = Problem::from_service(tr, e);
        match at {
            Some(at) => p.at(at),
            None => p,
        }
    })
}

impl Resource for CtiRights {
    type Change = CtiRights;

    async fn current(state: &HttpState, caller: &Caller, key: &str) -> Result<CtiRights, Problem> {
        rights(state, caller, id_of(caller, key)?).await
    }

    fn change(self, caller: &Caller, _key: &str) -> Result<CtiRights, Problem> {
        rights_shape(&caller.tr, &self)?;
        Ok(self)
    }

    async fn write(state: &HttpState, caller: &Caller, key: &str, r: CtiRights) -> Result<(), Problem> {
        set_rights(state, caller, id_of(caller, key)?, r).await
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_rights_get", path = "/api/v1/cti/accounts/{id}/rights", tag = "cti",
    params(("id" = i64, Path)),
    responses((status = 200, body = CtiRights, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn rights_get(call: ApiCall) -> Response {
    read::<CtiRights>(&call, call.param("id")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "cti_rights_put", path = "/api/v1/cti/accounts/{id}/rights", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = CtiRights,
    responses((status = 200, body = CtiRights, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn rights_put(call: ApiCall) -> Response {
    replace::<CtiRights>(&call, call.param("id"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "cti_rights_patch", path = "/api/v1/cti/accounts/{id}/rights", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = CtiRightsPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = CtiRights, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn rights_patch(call: ApiCall) -> Response {
    replace::<CtiRights>(&call, call.param("id"), true).await
}
