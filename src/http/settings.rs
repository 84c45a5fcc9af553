//! The settings page (SPEC W12): profile (description, e-mail), application
//! settings (language, layout, the remembered calling choice), and links to the
//! key labels and the installer where they exist.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{message, refused, render, HttpError};
use super::form::Posted;
use super::i18n::{Tr, LANGUAGES};
use super::session::Subscriber;
use super::HttpState;
use crate::domain::account::Profile;
use crate::services::accounts::AppSettings;
use crate::services::ServiceError;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    p: &'a Profile,
    languages: Vec<(String, String)>,
    remembered: String,
    notice: &'a str,
    error: &'a str,
    has_phone: bool,
    installer: String,
    /// He manages departments: a link to his team.
    manager: bool,
}

async fn settings_page(
    state: &HttpState,
    who: &Subscriber,
    p: &Profile,
    notice: &str,
    error: &str,
) -> Result<Response, HttpError> {
    let t = Tr::new(&p.language);
    let has_phone = matches!(state.services.accounts.key_labels(&who.actor, who.ext()).await, Ok(Some(_)));
    let installer = state.services.installer.name(&who.actor).ok().flatten().unwrap_or_default();
    let remembered = match p.callback_choice.as_deref() {
        Some("mobile") => t.t("call.mobile_first").to_owned(),
        Some(_) => t.t("call.from_extension").to_owned(),
        None => String::new(),
    };
    let languages = LANGUAGES
        .iter()
        .map(|(code, _)| ((*code).to_owned(), Tr::new(code).t("lang.name").to_owned()))
        .collect();
    let page = SettingsPage {
        t,
        layout: &p.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", p.number, p.name),
        p,
        languages,
        remembered,
        notice,
        error,
        has_phone,
        installer,
        manager: matches!(who.actor.who, crate::domain::access::Who::Manager { .. }),
    };
    if error.is_empty() {
        render(page)
    } else {
        refused(page)
    }
}

/// `GET /settings`
pub async fn settings(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    settings_page(&state, &who, &who.profile, "", "").await
}

/// `POST /settings/profile`: description and e-mail.
pub async fn save_profile(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let saved = state
        .services
        .accounts
        .save_profile(
            &who.actor,
            who.ext(),
            &f.one("description"),
            &f.one("email"),
            &f.raw("current_password"),
        )
        .await;
    match saved {
        Ok(p) => settings_page(&state, &who, &p, who.tr.t("settings.saved"), "").await,
        Err(ServiceError::Invalid(i)) => {
            settings_page(&state, &who, &who.profile, "", &message(who.tr, &i)).await
        }
        Err(e) => Err(who.error(e)),
    }
}

/// `POST /settings/app`: language, layout, forgetting the remembered calling choice.
pub async fn save_app(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let s = AppSettings {
        language: f.one("language"),
        layout: f.one("layout"),
        forget_callback: f.on("forget_callback"),
    };
    let p = state.services.accounts.save_app(&who.actor, who.ext(), s).await.map_err(|e| who.error(e))?;
    let t = Tr::new(&p.language);
    settings_page(&state, &who, &p, t.t("settings.saved"), "").await
}
