//! The parts of the OpenAPI document the types cannot say themselves: the
//! words a field takes (from the domain's own code tables, so they cannot
//! drift), the problem answer, the merge patch, and the bearer scheme.

use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::domain::licence::CtiFunction;
use crate::domain::phonebook::PublicRight;
use crate::domain::program::Restriction;

fn words<'a>(codes: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.into_iter().collect::<Vec<_>>()))
}

pub fn public_right() -> Object {
    words(PublicRight::ALL.iter().map(|p| p.code())).build()
}

pub fn restriction() -> Object {
    words(Restriction::ALL.iter().map(|r| r.code())).build()
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

/// The bearer scheme every operation but the document itself requires.
pub struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    }
}
