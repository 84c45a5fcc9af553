//! The parts of the OpenAPI document the types cannot say themselves: the
//! words a field takes (from the domain's own code tables, so they cannot
//! drift), the problem answer, the merge patch, and the bearer scheme.

use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::domain::licence::CtiFunction;
use crate::domain::phonebook::PublicRight;
use crate::domain::program::{Restriction, RuleCalls, RulePresentation, RuleTarget, RuleWhen};

fn words<'a>(codes: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.into_iter().collect::<Vec<_>>()))
}

pub fn public_right() -> Object {
    words(PublicRight::ALL.iter().map(|p| p.code())).build()
}

pub fn restriction() -> Object {
    words(Restriction::ALL.iter().map(|r| r.code())).build()
}

/// The words of a field a bulk file may leave out or give as null: either
/// keeps the value.
fn words_or_null<'a>(codes: impl IntoIterator<Item = &'a str>) -> Object {
    let values: Vec<serde_json::Value> = codes
        .into_iter()
        .map(serde_json::Value::from)
        .chain(std::iter::once(serde_json::Value::Null))
        .collect();
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}

/// [`restriction`], or null (a bulk file's: keeps the value).
pub fn restriction_or_null() -> Object {
    words_or_null(Restriction::ALL.iter().map(|r| r.code()))
}

/// A CTI account's kind.
pub fn cti_kind() -> Object {
    words(crate::domain::cti::Kind::ALL.iter().map(|k| k.code())).build()
}

/// A shared book's kind, or null (a bulk file's: a book kept here).
pub fn book_kind_or_null() -> Object {
    words_or_null(super::bulk::BOOK_KINDS)
}

/// A shared book's kind.
pub fn book_kind() -> Object {
    words(super::bulk::BOOK_KINDS).build()
}

/// What everyone may do with a shared book (at most keep a copy), or null.
pub fn everyone_access_or_null() -> Object {
    words_or_null(super::bulk::EVERYONE_ACCESS)
}

/// What everyone may do with a shared book.
pub fn everyone_access() -> Object {
    words(super::bulk::EVERYONE_ACCESS).build()
}

/// What a CTI group's members may do with a shared book.
pub fn group_access() -> Object {
    words(crate::domain::phonebook::BookAccess::ALL.iter().map(|a| a.code())).build()
}

/// A CTI account's kind, or null (a bulk file's: keeps the value).
pub fn cti_kind_or_null() -> Object {
    words_or_null(crate::domain::cti::Kind::ALL.iter().map(|k| k.code()))
}

/// [`public_right`], or null (a bulk file's: keeps the value).
pub fn public_right_or_null() -> Object {
    words_or_null(PublicRight::ALL.iter().map(|p| p.code()))
}

pub fn rule_when() -> Object {
    words(RuleWhen::ALL.iter().map(|w| w.code())).build()
}

pub fn rule_calls() -> Object {
    words(RuleCalls::ALL.iter().map(|c| c.code())).build()
}

pub fn rule_presentation() -> Object {
    words(RulePresentation::ALL.iter().map(|p| p.code())).build()
}

pub fn rule_kind() -> Object {
    let kinds = [RuleTarget::Number(String::new()), RuleTarget::Voicemail, RuleTarget::FaxToMail];
    words(kinds.iter().map(|k| k.kind())).build()
}

pub fn direction() -> Object {
    use crate::domain::cdr::Direction;
    words([Direction::Outgoing, Direction::Incoming].map(Direction::word)).build()
}

pub fn disposition() -> Object {
    use crate::domain::cdr::Disposition;
    words(Disposition::ALL.map(Disposition::word)).build()
}

pub fn line_state() -> Object {
    words(crate::domain::line::LineState::ALL.iter().map(|s| s.code())).build()
}

pub fn presence_state() -> Object {
    words(crate::domain::presence::Status::ALL.iter().map(|s| s.code())).build()
}

pub fn top_up_mode() -> Object {
    words(crate::domain::tariff::TopUpMode::ALL.iter().map(|m| m.code())).build()
}

pub fn topic() -> Object {
    words(crate::domain::journal::Topic::ALL.iter().map(|t| t.code())).build()
}

pub fn licences() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new()
        .items(words(CtiFunction::ALL.iter().map(|f| f.code())).build())
        .unique_items(true)
        .build()
}

/// An answer that refuses a request (RFC 9457), `application/problem+json`.
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// `urn:webcti:problem:<title>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short code: `invalid`, `forbidden`, `not_found`, `stale`, ...
    pub title: String,
    pub status: u16,
    /// What is wrong, in the language `Accept-Language` asks for (pl, en, de).
    pub detail: String,
    /// The field the problem is about.
    pub errors: Option<Vec<FieldProblem>>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    /// A JSON pointer (RFC 6901) into the request's body or query.
    pub pointer: String,
    pub detail: String,
}

/// A JSON Merge Patch of an extension: any of its fields; null empties an
/// optional one.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ExtensionPatch {
    pub name: Option<String>,
    pub comment: Option<String>,
    pub email: Option<String>,
    pub department: Option<i64>,
    pub is_admin: Option<bool>,
    #[schema(schema_with = public_right)]
    pub public_book: Option<String>,
    pub mobile: Option<String>,
    #[schema(schema_with = restriction)]
    pub restriction: Option<String>,
    pub caller_ids: Option<Vec<String>>,
    pub manages: Option<Vec<i64>>,
    pub recordings: Option<bool>,
    #[schema(schema_with = licences)]
    pub licences: Option<Vec<String>>,
}

/// The forwarding as a merge patch names it: every field optional; null
/// turns a number or the announcement off.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ForwardingPatch {
    pub forward_always: Option<String>,
    pub forward_busy: Option<String>,
    pub forward_no_answer: Option<String>,
    pub forward_unreachable: Option<String>,
    #[schema(minimum = 5, maximum = 120)]
    pub no_answer_secs: Option<u16>,
    pub voicemail: Option<bool>,
    pub follow_me: Option<String>,
    pub dnd: Option<u16>,
    pub mobile_on_no_answer: Option<bool>,
    pub mobile_on_dnd: Option<bool>,
    pub mobile_on_unreachable: Option<bool>,
    /// Given, it replaces the list.
    pub rules: Option<Vec<super::forwarding::Rule>>,
}

/// An extension's services as a merge patch names them: every field optional.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ServicesPatch {
    pub phone_lock: Option<bool>,
    pub clir: Option<bool>,
    pub call_waiting: Option<bool>,
    pub call_as: Option<String>,
    pub wakeup: Option<String>,
    pub recall_account: Option<String>,
}

/// An extension's costs as a merge patch names them: every field optional.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct CostsPatch {
    pub limit_cents: Option<i64>,
    pub top_up_cents: Option<i64>,
    #[schema(schema_with = top_up_mode)]
    pub top_up_mode: Option<String>,
}

/// What every operation has that its annotation need not repeat: the bearer
/// scheme; refusals as `application/problem+json`; and for every operation
/// that takes a token, 401 (no valid token) and 429 (too many wrong ones).
pub struct Finish;

impl utoipa::Modify for Finish {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token made on the portal's Tokens page or by `webcti token create`"))
                    .build(),
            ),
        );
        let problem = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    PROBLEM,
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
        };
        let reason = |status: &str| {
            let code = status.parse().ok().and_then(|c| axum::http::StatusCode::from_u16(c).ok());
            code.and_then(|c| c.canonical_reason()).unwrap_or("Answer").to_owned()
        };
        // A refusal that says nothing of its own is one shared response,
        // `#/components/responses/<status>`: the document is half the size.
        let mut shared = std::collections::BTreeMap::new();
        shared.insert("401".to_owned(), problem("No valid bearer token"));
        shared.insert(
            "429".to_owned(),
            problem("Too many wrong tokens from this address, or a bound reached: wait Retry-After seconds"),
        );
        for item in doc.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                if op.security.is_some() {
                    for status in ["401", "429"] {
                        op.responses.responses.insert(
                            status.to_owned(),
                            Ref::new(format!("#/components/responses/{status}")).into(),
                        );
                    }
                }
                // A key sent again while its first request is being done.
                let keyed = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("idempotency-key")));
                if keyed {
                    let running = "A request with this Idempotency-Key is still being done: ask again after Retry-After seconds";
                    let r = op
                        .responses
                        .responses
                        .entry("409".to_owned())
                        .or_insert_with(|| problem(running).into());
                    if let RefOr::T(r) = r {
                        if !r.description.contains("Idempotency-Key") {
                            r.description = format!(
                                "{}; or a request with this Idempotency-Key is still being done",
                                r.description
                            );
                        }
                    }
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(r) = response else { continue };
                    let is_problem = r.content.get("application/json").is_some_and(|c| match c {
                        RefOr::T(c) => {
                            matches!(&c.schema, Some(RefOr::Ref(s)) if s.ref_location.ends_with("/Problem"))
                        }
                        RefOr::Ref(_) => false,
                    });
                    match (is_problem, r.description.is_empty()) {
                        (true, true) => {
                            shared.entry(status.clone()).or_insert_with(|| problem(&reason(status)));
                            *response = Ref::new(format!("#/components/responses/{status}")).into();
                        }
                        (true, false) => {
                            if let Some(c) = r.content.shift_remove("application/json") {
                                r.content.insert(PROBLEM.to_owned(), c);
                            }
                        }
                        // Every response has a description (OpenAPI requires one).
                        (false, true) => r.description = reason(status),
                        (false, false) => {}
                    }
                }
            }
        }
        let components = doc.components.get_or_insert_with(Default::default);
        for (status, r) in shared {
            components.responses.insert(status, r.into());
        }
    }
}

const PROBLEM: &str = "application/problem+json";
