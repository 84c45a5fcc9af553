//! Posts from the subscriber's own pages: the session, the fields (some of which
//! repeat, like the selected contacts), and the CSRF token and origin checked
//! before a handler runs, so no handler can forget them. [`Posted`] takes a form
//! ([`AdminPosted`] one to an administrator's page);
//! [`Uploaded`] takes a multipart upload (the phonebook import) the same way.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::Form;

use super::error::HttpError;
use super::session::{Administrator, Subscriber};
use super::HttpState;
use crate::domain::access::Channel;

/// The fields of a form, in the order sent.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty if absent.
    pub fn one(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    /// The first value of `name` as typed (a password is not trimmed); empty if absent.
    pub fn raw(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A checkbox: sent with the value 1 when checked.
    pub fn on(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == "1")
    }
}

/// A checked form post: who sent it and what.
pub struct Posted {
    pub who: Subscriber,
    pub fields: Fields,
    /// Sent by the page's script (`X-Requested-With: fetch`): it wants JSON back.
    pub fetch: bool,
}

impl FromRequest<HttpState> for Posted {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let who = Subscriber::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|e| HttpError::BadRequest(e.body_text()))?;
        let fields = Fields(fields);
        who.check_post(&headers, &fields.one("csrf"))?;
        let fetch = headers.get("x-requested-with").is_some_and(|v| v == "fetch");
        Ok(Posted { who, fields, fetch })
    }
}

/// A checked form post to an administrator's page: a [`Posted`] whose sender
/// has the administrator's rights (else 403), with the administrator actor.
pub struct AdminPosted {
    pub admin: Administrator,
    pub fields: Fields,
}

impl FromRequest<HttpState> for AdminPosted {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let Posted { who, fields, .. } = Posted::from_request(req, state).await?;
        let (actor, _) = state
            .services
            .accounts
            .administrator_for(&who.session, Channel::Web)
            .await
            .map_err(|e| who.error(e))?;
        Ok(AdminPosted { admin: Administrator { who, actor }, fields })
    }
}

/// A checked multipart upload to an administrator's page: an [`Uploaded`]
/// whose sender has the administrator's rights (else 403).
pub struct AdminUploaded {
    pub admin: Administrator,
    pub fields: Fields,
    pub file: Vec<u8>,
}

impl FromRequest<HttpState> for AdminUploaded {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        // Refused before the body is read.
        let Administrator { who, actor } = Administrator::from_request_parts(&mut parts, state).await?;
        let Uploaded { who, fields, file } =
            read_upload(who, Request::from_parts(parts, body), state).await?;
        Ok(AdminUploaded { admin: Administrator { who, actor }, fields, file })
    }
}

/// A checked multipart upload: who sent it, its text fields and its one file.
pub struct Uploaded {
    pub who: Subscriber,
    pub fields: Fields,
    pub file: Vec<u8>,
}

impl FromRequest<HttpState> for Uploaded {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let who = Subscriber::from_request_parts(&mut parts, state).await?;
        read_upload(who, Request::from_parts(parts, body), state).await
    }
}

/// Reads `who`'s multipart upload and checks its CSRF token.
async fn read_upload(who: Subscriber, req: Request, state: &HttpState) -> Result<Uploaded, HttpError> {
    let headers = req.headers().clone();
    let t = who.tr;
    let failed = || t.t("import.upload_failed").to_owned();
    let mut form = Multipart::from_request(req, state).await.map_err(|_| HttpError::BadRequest(failed()))?;
    let (mut fields, mut file) = (Vec::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(|_| HttpError::BadRequest(failed()))? {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|_| HttpError::TooLarge(failed()))?;
        match name.as_str() {
            "file" => file = bytes.to_vec(),
            _ => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    let fields = Fields(fields);
    who.check_post(&headers, &fields.one("csrf"))?;
    Ok(Uploaded { who, fields, file })
}
