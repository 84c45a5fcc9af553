//! `/api/v1/phonebook/contacts` and `/api/v1/phonebook/groups`: the public
//! book (`Global.Phonebook`) kept by script, through the same service calls
//! and rules as the portal's phonebook. A contact is found by everyone who
//! reads the public book, by reverse lookup in any number form, on desk phones
//! and in the CTI clients as soon as the call returns.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{
    check_if_match, etag_of, id_of, parse, plain, read, replace, same_id, tagged, ApiCall, Caller, Problem,
    Resource,
};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::phonebook::LIST_LIMIT;
use crate::http::HttpState;
use crate::phonebook::{Contact, Number, NumberKind};
use crate::services::{Invalid, ServiceError};

/// One number of a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookNumber {
    #[cfg_attr(feature = "openapi", schema(example = "work"))]
    pub kind: BookNumberKind,
    #[cfg_attr(feature = "openapi", schema(example = "+48 22 700 00 01", min_length = 1, max_length = 40))]
    pub number: String,
}

/// What a number is for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BookNumberKind {
    Work,
    Mobile,
    Home,
    Fax,
    Other,
}

impl BookNumberKind {
    pub(super) fn of(k: NumberKind) -> BookNumberKind {
        match k {
            NumberKind::Work => BookNumberKind::Work,
            NumberKind::Mobile => BookNumberKind::Mobile,
            NumberKind::Home => BookNumberKind::Home,
            NumberKind::Fax => BookNumberKind::Fax,
            NumberKind::Other => BookNumberKind::Other,
        }
    }

    fn kind(self) -> NumberKind {
        match self {
            BookNumberKind::Work => NumberKind::Work,
            BookNumberKind::Mobile => NumberKind::Mobile,
            BookNumberKind::Home => NumberKind::Home,
            BookNumberKind::Fax => NumberKind::Fax,
            BookNumberKind::Other => NumberKind::Other,
        }
    }
}

/// A contact of the public book. It needs a name (or company) and a number
/// (or an e-mail address).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookContact {
    /// Read only.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub id: i64,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Olga", max_length = 100))]
    pub first_name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Tokarczuk", max_length = 100))]
    pub last_name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub company: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub email: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub address: String,
    /// In the order they are shown and dialled; at most 10.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub numbers: Vec<BookNumber>,
    /// The groups it is in, by name (a group named here is made when missing).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub groups: Vec<String>,
}

/// A JSON Merge Patch of a contact (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookContactPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub numbers: Option<Vec<BookNumber>>,
    pub groups: Option<Vec<String>>,
}

/// A page of contacts, by id.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookContactPage {
    pub items: Vec<BookContact>,
    /// The id to pass as `after` for the next page; null on the last.
    pub next: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BookQuery {
    /// The page starts after this contact (the `next` of the page before).
    pub after: Option<i64>,
    /// Contacts on the page, 1 to 100 (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<usize>,
}

/// A group of the public book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookGroup {
    /// Read only.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "Suppliers", min_length = 1, max_length = 60))]
    pub name: String,
    /// How many contacts are in it (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub contacts: i64,
}

/// A JSON Merge Patch of a group (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookGroupPatch {
    pub name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookGroupList {
    pub items: Vec<BookGroup>,
}

fn shown(id: i64, c: Contact) -> BookContact {
    BookContact {
        id,
        first_name: c.first_name,
        last_name: c.last_name,
        company: c.company,
        title: c.title,
        email: c.email,
        address: c.address,
        numbers: c
            .numbers
            .into_iter()
            .map(|n| BookNumber { kind: BookNumberKind::of(n.kind), number: n.number })
            .collect(),
        groups: c.groups,
    }
}

fn refused(caller: &Caller) -> impl Fn(ServiceError) -> Problem + '_ {
    |e| Problem::from_service(&caller.tr, e)
}

impl BookContact {
    /// The contact the service takes, checked as the portal's form checks
    /// one; a refusal names the field.
    fn contact(self, caller: &Caller) -> Result<Contact, Problem> {
        let c = Contact {
            first_name: self.first_name.trim().to_owned(),
            last_name: self.last_name.trim().to_owned(),
            company: self.company.trim().to_owned(),
            title: self.title.trim().to_owned(),
            email: self.email.trim().to_owned(),
            address: self.address.trim().to_owned(),
            numbers: self
                .numbers
                .into_iter()
                .map(|n| Number { kind: n.kind.kind(), number: n.number.trim().to_owned() })
                .collect(),
            groups: self.groups.into_iter().map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()).collect(),
            book: None,
            uid: None,
        };
        if c.groups.len() > 20 || c.groups.iter().any(|g| g.chars().count() > 60) {
            let group = crate::domain::phonebook::Refusal::GroupName;
            return Err(Problem::from_service(&caller.tr, group.into()).at("/groups"));
        }
        c.check().map_err(|p| {
            let at = match p.key {
                "import.no_name" => "/last_name".to_owned(),
                "import.bad_number" => {
                    let i = c.numbers.iter().position(|n| n.number == p.detail).unwrap_or(0);
                    format!("/numbers/{i}/number")
                }
                "import.no_number" | "import.too_many_numbers" => "/numbers".to_owned(),
                _ => String::new(),
            };
            let problem = Problem::from_service(&caller.tr, ServiceError::Invalid(Invalid::Contact(p)));
            if at.is_empty() {
                problem
            } else {
                problem.at(at)
            }
        })?;
        Ok(c)
    }
}

impl Resource for BookContact {
    type Change = Contact;

    async fn current(state: &HttpState, caller: &Caller, key: &str) -> Result<BookContact, Problem> {
        let id = id_of(caller, key)?;
        let c = state.services.phonebook.public_contact(&caller.actor, id).await.map_err(refused(caller))?;
        Ok(shown(id, c))
    }

    fn change(self, caller: &Caller, key: &str) -> Result<Contact, Problem> {
        same_id(caller, self.id, key)?;
        self.contact(caller)
    }

    async fn write(state: &HttpState, caller: &Caller, key: &str, c: Contact) -> Result<(), Problem> {
        let id = id_of(caller, key)?;
        state
            .services
            .phonebook
            .save_public(&caller.actor, Some(id), c)
            .await
            .map(|_| ())
            .map_err(refused(caller))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "book_contacts_list", path = "/api/v1/phonebook/contacts", tag = "phonebook", params(BookQuery),
    responses((status = 200, body = BookContactPage), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn contacts(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let q: BookQuery = match call.query() {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let limit = q.limit.unwrap_or(LIST_LIMIT);
    if !(1..=LIST_LIMIT).contains(&limit) {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            caller.tr.t("api.invalid_query"),
        )
        .at("/limit")
        .into_response();
    }
    match state.services.phonebook.public_contacts(&caller.actor, q.after.unwrap_or(0), limit).await {
        Ok(page) => {
            let next = (page.len() == limit).then(|| page.last().map(|(id, _)| *id)).flatten();
            let items = page.into_iter().map(|(id, c)| shown(id, c)).collect();
            plain(&caller.tr, StatusCode::OK, &BookContactPage { items, next })
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "book_contacts_create", path = "/api/v1/phonebook/contacts", tag = "phonebook",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = BookContact,
    responses((status = 201, body = BookContact, headers(("Location" = String), ("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc, description = "A request with this Idempotency-Key is still being done: ask again after Retry-After seconds"), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn contact_create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let fields: BookContact = parse(&caller.tr, headers, body)?;
        let c = fields.change(caller, "0")?;
        let id =
            state.services.phonebook.save_public(&caller.actor, None, c).await.map_err(refused(caller))?;
        let made = BookContact::current(state, caller, &id.to_string()).await?;
        let mut r = tagged(&caller.tr, StatusCode::CREATED, &made);
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/phonebook/contacts/{id}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Ok::<_, Problem>(r)
    };
    let work = async { work.await.unwrap_or_else(IntoResponse::into_response) };
    call.once(work).await
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "book_contacts_get", path = "/api/v1/phonebook/contacts/{id}", tag = "phonebook",
    params(("id" = i64, Path)),
    responses((status = 200, body = BookContact, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn contact_get(call: ApiCall) -> Response {
    read::<BookContact>(&call, call.param("id")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "book_contacts_put", path = "/api/v1/phonebook/contacts/{id}", tag = "phonebook",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = BookContact,
    responses((status = 200, body = BookContact, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn contact_put(call: ApiCall) -> Response {
    replace::<BookContact>(&call, call.param("id"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "book_contacts_patch", path = "/api/v1/phonebook/contacts/{id}", tag = "phonebook",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = BookContactPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = BookContact, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn contact_patch(call: ApiCall) -> Response {
    replace::<BookContact>(&call, call.param("id"), true).await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "book_contacts_delete", path = "/api/v1/phonebook/contacts/{id}", tag = "phonebook",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn contact_delete(call: ApiCall) -> Response {
    let (state, caller, headers, ..) = call.parts();
    let key = call.param("id");
    let work = async {
        let old = BookContact::current(state, caller, key).await?;
        check_if_match(&caller.tr, headers, &etag_of(&old))?;
        state.services.phonebook.delete_public(&caller.actor, old.id).await.map_err(refused(caller))
    };
    match work.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(p) => p.into_response(),
    }
}

impl Resource for BookGroup {
    type Change = String;

    async fn current(state: &HttpState, caller: &Caller, key: &str) -> Result<BookGroup, Problem> {
        let id = id_of(caller, key)?;
        let groups = state.services.phonebook.public_groups(&caller.actor).await.map_err(refused(caller))?;
        let g = groups.into_iter().find(|g| g.id == id).ok_or_else(|| Problem::not_found(&caller.tr))?;
        Ok(BookGroup { id: g.id, name: g.name, contacts: g.contacts })
    }

    fn change(self, caller: &Caller, key: &str) -> Result<String, Problem> {
        same_id(caller, self.id, key)?;
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 60 {
            let group = crate::domain::phonebook::Refusal::GroupName;
            return Err(Problem::from_service(&caller.tr, group.into()).at("/name"));
        }
        Ok(name)
    }

    async fn write(state: &HttpState, caller: &Caller, key: &str, name: String) -> Result<(), Problem> {
        let id = id_of(caller, key)?;
        let saved = state.services.phonebook.save_public_group(&caller.actor, Some(id), &name).await;
        saved.map(|_| ()).map_err(|e| refused(caller)(e).at("/name"))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "book_groups_list", path = "/api/v1/phonebook/groups", tag = "phonebook",
    responses((status = 200, body = BookGroupList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn groups(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.phonebook.public_groups(&caller.actor).await {
        Ok(list) => {
            let items = list
                .into_iter()
                .map(|g| BookGroup { id: g.id, name: g.name, contacts: g.contacts })
                .collect();
            plain(&caller.tr, StatusCode::OK, &BookGroupList { items })
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "book_groups_create", path = "/api/v1/phonebook/groups", tag = "phonebook",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = BookGroup,
    responses((status = 201, body = BookGroup, headers(("Location" = String), ("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc, description = "A request with this Idempotency-Key is still being done: ask again after Retry-After seconds"), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn group_create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let fields: BookGroup = parse(&caller.tr, headers, body)?;
        let name = fields.change(caller, "0")?;
        let saved = state.services.phonebook.save_public_group(&caller.actor, None, &name).await;
        let id = saved.map_err(|e| refused(caller)(e).at("/name"))?;
        let made = BookGroup::current(state, caller, &id.to_string()).await?;
        let mut r = tagged(&caller.tr, StatusCode::CREATED, &made);
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/phonebook/groups/{id}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Ok::<_, Problem>(r)
    };
    let work = async { work.await.unwrap_or_else(IntoResponse::into_response) };
    call.once(work).await
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "book_groups_get", path = "/api/v1/phonebook/groups/{id}", tag = "phonebook",
    params(("id" = i64, Path)),
    responses((status = 200, body = BookGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn group_get(call: ApiCall) -> Response {
    read::<BookGroup>(&call, call.param("id")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "book_groups_put", path = "/api/v1/phonebook/groups/{id}", tag = "phonebook",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = BookGroup,
    responses((status = 200, body = BookGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn group_put(call: ApiCall) -> Response {
    replace::<BookGroup>(&call, call.param("id"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "book_groups_patch", path = "/api/v1/phonebook/groups/{id}", tag = "phonebook",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = BookGroupPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = BookGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn group_patch(call: ApiCall) -> Response {
    replace::<BookGroup>(&call, call.param("id"), true).await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "book_groups_delete", path = "/api/v1/phonebook/groups/{id}", tag = "phonebook",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted; its contacts stay in the book"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc)),
    security(("bearer" = ["phonebook:write"]))))]
pub async fn group_delete(call: ApiCall) -> Response {
    let (state, caller, headers, ..) = call.parts();
    let key = call.param("id");
    let work = async {
        let old = BookGroup::current(state, caller, key).await?;
        check_if_match(&caller.tr, headers, &etag_of(&old))?;
        state.services.phonebook.delete_public_group(&caller.actor, old.id).await.map_err(refused(caller))
    };
    match work.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(p) => p.into_response(),
    }
}
