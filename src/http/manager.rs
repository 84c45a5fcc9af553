//! A manager's pages (SPEC M1-M4): his people (the extensions of his
//! departments, and the pool he may take them from) and, for each, what a
//! manager sets; their forwarding, services, history and journal are the
//! subscriber's own pages opened with `?for=N`. Every call goes to
//! `services::team`, which asks `domain::access`; a subscriber who is nobody's
//! manager is refused there.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::{message, shown_or_refused, HttpError};
use super::form::Posted;
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::account::{Employee, Profile};
use crate::services::team::{MemberChange, TeamView};
use crate::services::ServiceError;

#[derive(Template)]
#[template(path = "manager.html")]
struct TeamPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    v: TeamView,
    error: String,
}

impl TeamPage<'_> {
    /// A line's state, as the start page's panel names it.
    fn line(&self, e: &Employee) -> String {
        match self.v.lines.get(&e.number) {
            Some(s) => self.t.t(&format!("line.{}", s.code())).to_owned(),
            None => "—".to_owned(),
        }
    }

    fn department(&self, e: &Employee) -> &str {
        let d = self.v.departments.iter().find(|(id, _)| Some(*id) == e.department);
        d.map_or("", |(_, name)| name.as_str())
    }
}

async fn team_page(state: &HttpState, who: &Subscriber, error: String) -> Result<Response, HttpError> {
    let v = state.services.team.view(&who.actor).await.map_err(|e| who.error(e))?;
    let page = TeamPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        v,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /manager`: his departments' extensions and the pool.
pub async fn team(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    team_page(&state, &who, String::new()).await
}

/// `POST /manager/take`: an extension of the pool into one of his departments.
pub async fn take(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let department = f.one("department").parse::<i64>().unwrap_or(-1);
    match state.services.team.take(&who.actor, &f.one("ext"), department).await {
        Ok(()) => Ok(Redirect::to("/manager").into_response()),
        Err(ServiceError::Invalid(i)) => team_page(&state, &who, message(who.tr, &i)).await,
        Err(e) => Err(who.error(e)),
    }
}

#[derive(Template)]
#[template(path = "manager_member.html")]
struct MemberPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    m: Profile,
    /// A temporary password just given: shown this once.
    temporary: String,
    notice: String,
    error: String,
}

async fn member_page(
    state: &HttpState,
    who: &Subscriber,
    temporary: String,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let m = state.services.team.member(&who.actor, who.subject()).await.map_err(|e| who.error(e))?;
    let page = MemberPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        m,
        temporary,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// A manager's page about one of his people, asked about nobody: his list
/// (refused for anybody who is nobody's manager).
fn to_team(state: &HttpState, who: &Subscriber) -> Result<Response, HttpError> {
    state.services.team.manager(&who.actor).map_err(|e| who.error(e))?;
    Ok(Redirect::to("/manager").into_response())
}

/// `GET /manager/extension?for=N`; without another extension, his list.
pub async fn member(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    if who.managed.is_none() {
        return to_team(&state, &who);
    }
    member_page(&state, &who, String::new(), String::new(), String::new()).await
}

/// `POST /manager/extension?for=N`
pub async fn save_member(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    if who.managed.is_none() {
        return to_team(&state, &who);
    }
    let change = MemberChange {
        comment: f.one("comment"),
        description: f.one("description"),
        email: f.one("email"),
        mobile: f.one("mobile"),
        notify_answered: f.on("notify_answered"),
        notify_missed: f.on("notify_missed"),
    };
    let t = who.tr;
    match state.services.team.save(&who.actor, who.subject(), change).await {
        Ok(_) => {
            member_page(&state, &who, String::new(), t.t("settings.saved").to_owned(), String::new()).await
        }
        Err(ServiceError::Invalid(i)) => {
            member_page(&state, &who, String::new(), String::new(), message(t, &i)).await
        }
        Err(e) => Err(who.error(e)),
    }
}

/// `POST /manager/extension/password?for=N`: a new temporary password, shown once.
pub async fn temporary_password(
    State(state): State<HttpState>,
    Posted { who, .. }: Posted,
) -> Result<Response, HttpError> {
    if who.managed.is_none() {
        return to_team(&state, &who);
    }
    let ext = who.subject().to_owned();
    let password =
        state.services.team.temporary_password(&who.actor, &ext).await.map_err(|e| who.error(e))?;
    let notice = who.tr.f("employee.temporary_given", "ext", &ext);
    member_page(&state, &who, password, notice, String::new()).await
}
