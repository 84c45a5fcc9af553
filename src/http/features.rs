//! The services page (SPEC W8): phone lock, CLIR, call waiting, call-as,
//! wake-up call and account recall.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{message, saved_notice, shown_or_refused, HttpError};
use super::form::Posted;
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::program::ExtensionProgram;
use crate::services::features::FeaturesChange;
use crate::services::ServiceError;

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The managed extension's number, or empty.
    managed: &'a str,
    p: ExtensionProgram,
    /// The numbers the administrator assigned, to choose "call as" from.
    call_as_choices: Vec<String>,
    wakeup: String,
    time_zone: &'a str,
    recall_account: String,
    recall_pin_set: bool,
    notice: String,
    error: String,
}

async fn services_page(
    state: &HttpState,
    who: &Subscriber,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let v = state.services.features.view(&who.actor, who.subject()).await.map_err(|e| who.error(e))?;
    let page = ServicesPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        managed: who.managed_ext(),
        wakeup: v.program.wakeup.map(|m| format!("{:02}:{:02}", m / 60, m % 60)).unwrap_or_default(),
        p: v.program,
        call_as_choices: v.call_as_choices,
        time_zone: &v.time_zone,
        recall_account: v.recall_account,
        recall_pin_set: v.recall_pin_set,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /services`
pub async fn services(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    services_page(&state, &who, String::new(), String::new()).await
}

/// `POST /services`
pub async fn save_services(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let change = FeaturesChange {
        phone_lock: f.on("phone_lock"),
        clir: f.on("clir"),
        call_waiting: f.on("call_waiting"),
        call_as: f.one("call_as"),
        wakeup: f.one("wakeup"),
        recall_account: f.one("recall_account"),
        recall_pin: f.one("recall_pin"),
    };
    match state.services.features.save(&who.actor, who.subject(), change).await {
        Ok(p) => services_page(&state, &who, saved_notice(who.tr, p), String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            services_page(&state, &who, String::new(), message(who.tr, &i)).await
        }
        Err(e) => Err(who.error(e)),
    }
}
