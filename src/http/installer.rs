//! The desktop CTI client's installer, downloaded from the settings page (SPEC W13).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::session::Subscriber;
use super::HttpState;
use crate::services::ServiceError;

/// `GET /download/installer`
pub async fn download(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    let file = match state.services.installer.file(&who.actor).await {
        Ok(f) => f,
        Err(ServiceError::NotFound) => return Err(HttpError::NotFound(who.tr.t("download.none").to_owned())),
        Err(e) => return Err(who.error(e)),
    };
    let disposition = format!("attachment; filename=\"{}\"", file.name);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file.bytes,
    )
        .into_response())
}
