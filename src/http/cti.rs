//! The administrator's page of the CTI server's accounts (`/admin/cti`, SPEC
//! C1-C3): every account with its kind, data and password state, the licences
//! used; an account added or changed (`?id=N` fills the form), a password typed,
//! made and shown once, or handed over at the next login; an account deleted.
//! Groups (SPEC C6) on the same page: each with its members (accounts, or
//! extensions for subscribers' WebCTI logins) and whether its panel shows
//! callers' numbers; `?group=N` fills the group form.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::error::{message, shown_or_refused, HttpError};
use super::form::{AdminPosted, Fields};
use super::i18n::Tr;
use super::session::Administrator;
use super::HttpState;
use crate::domain::cti::{Account, BlfSource, Data, Kind, Rights};
use crate::domain::group::Group;
use crate::services::cti::{AccountForm, GroupForm, RightsForm};
use crate::services::ServiceError;

#[derive(Template)]
#[template(path = "admin_cti.html")]
struct CtiPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    accounts: Vec<Account>,
    used: usize,
    licences: usize,
    kinds: Vec<(&'static str, String)>,
    /// The account in the form (id 0: a new one).
    editing: Account,
    /// Its rights as the form writes them, when it is one that exists.
    rights: Option<RightsView>,
    blf_choices: Vec<(&'static str, String)>,
    groups: Vec<GroupView>,
    /// The group in the group form (id 0: a new one).
    group: GroupView,
    notice: String,
    error: String,
}

/// A group as the page shows and its form writes it.
#[derive(Default)]
struct GroupView {
    id: i64,
    name: String,
    show_numbers: bool,
    /// One a line.
    members: String,
}

fn group_view(g: &Group) -> GroupView {
    GroupView {
        id: g.id,
        name: g.name.clone(),
        show_numbers: g.show_numbers,
        members: g.members.iter().map(|m| format!("{}\n", m.name())).collect(),
    }
}

/// What the page is opened with besides an account: a group in its form, and
/// what to say.
#[derive(Default)]
struct Shown {
    group: Option<GroupView>,
    notice: String,
    error: String,
}

/// Rights as the form shows them: one device or monitored line a line.
struct RightsView {
    devices: String,
    monitors: String,
    offline_journal: bool,
    server_journal: bool,
    hot_desking: bool,
    blf: &'static str,
}

fn view(r: &Rights) -> RightsView {
    let flag = |on: bool, word: &str| if on { format!(" {word}") } else { String::new() };
    RightsView {
        devices: r
            .devices
            .iter()
            .map(|d| format!("{}{}{}\n", d.ext, flag(d.main, "main"), flag(d.softphone, "softphone")))
            .collect(),
        monitors: r
            .monitors
            .iter()
            .map(|m| format!("{}{}{}\n", m.ext, flag(m.clip, "clip"), flag(m.pickup, "pickup")))
            .collect(),
        offline_journal: r.offline_journal,
        server_journal: r.server_journal,
        hot_desking: r.hot_desking,
        blf: r.blf.code(),
    }
}

fn blank() -> Account {
    Account {
        id: 0,
        name: String::new(),
        kind: Kind::User,
        data: Data::default(),
        has_password: false,
        hand_over: false,
        created_at: 0,
    }
}

async fn page(
    state: &HttpState,
    admin: &Administrator,
    editing: Account,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    page_with(state, admin, editing, Shown { group: None, notice, error }).await
}

async fn page_with(
    state: &HttpState,
    admin: &Administrator,
    editing: Account,
    shown: Shown,
) -> Result<Response, HttpError> {
    let Shown { group, notice, error } = shown;
    let who = &admin.who;
    let t = who.tr;
    let list = state.services.cti.list(&admin.actor).await.map_err(|e| who.error(e))?;
    let groups = state.services.cti.groups(&admin.actor).await.map_err(|e| who.error(e))?;
    let rights = match editing.id {
        0 => None,
        id => Some(view(&state.services.cti.rights(&admin.actor, id).await.map_err(|e| who.error(e))?)),
    };
    let page = CtiPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        accounts: list.accounts,
        used: list.used,
        licences: list.licences,
        kinds: Kind::ALL.iter().map(|k| (k.code(), t.t(k.label()).to_owned())).collect(),
        editing,
        rights,
        blf_choices: BlfSource::ALL
            .iter()
            .map(|b| (b.code(), t.t(&format!("cti.blf_{}", b.code())).to_owned()))
            .collect(),
        groups: groups.iter().map(group_view).collect(),
        group: group.unwrap_or_default(),
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

#[derive(Deserialize, Default)]
pub struct Edit {
    #[serde(default)]
    id: String,
    #[serde(default)]
    group: String,
}

/// `GET /admin/cti` (`?id=N`: that account in the form)
pub async fn accounts(
    State(state): State<HttpState>,
    admin: Administrator,
    Query(q): Query<Edit>,
) -> Result<Response, HttpError> {
    let editing = match q.id.parse::<i64>() {
        Ok(id) => state.services.cti.account(&admin.actor, id).await.map_err(|e| admin.who.error(e))?,
        Err(_) => blank(),
    };
    let group = match q.group.parse::<i64>() {
        Ok(id) => {
            let groups = state.services.cti.groups(&admin.actor).await.map_err(|e| admin.who.error(e))?;
            let found =
                groups.iter().find(|g| g.id == id).ok_or_else(|| admin.who.error(ServiceError::NotFound))?;
            Some(group_view(found))
        }
        Err(_) => None,
    };
    page_with(&state, &admin, editing, Shown { group, ..Shown::default() }).await
}

fn form_of(f: &Fields) -> AccountForm {
    AccountForm {
        name: f.one("name"),
        kind: f.one("kind"),
        data: Data {
            first_name: f.one("first_name"),
            last_name: f.one("last_name"),
            phone: f.one("phone"),
            email: f.one("email"),
            sip_user: f.one("sip_user"),
            department_note: f.one("department_note"),
        },
        password: f.one("password"),
    }
}

/// `POST /admin/cti`: `action` save, password, hand_over, keep, delete.
pub async fn change(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let cti = &state.services.cti;
    let id = f.one("id").trim().parse::<i64>().unwrap_or(0);
    let name = f.one("name");
    let shown_once =
        |name: &str, password: &str| t.fill("cti.password_once", &[("name", name), ("password", password)]);
    let outcome = match f.one("action").as_str() {
        "save" => cti.save(&admin.actor, id, form_of(&f)).await.map(|(_, made)| match made {
            Some(p) => shown_once(name.trim(), &p),
            None => t.t("cti.saved").to_owned(),
        }),
        "password" => cti.new_password(&admin.actor, id).await.map(|p| shown_once(name.trim(), &p)),
        "hand_over" => {
            cti.hand_over(&admin.actor, id, true).await.map(|()| t.t("cti.handed_over").to_owned())
        }
        "keep" => cti.hand_over(&admin.actor, id, false).await.map(|()| t.t("cti.saved").to_owned()),
        "delete" => cti.delete(&admin.actor, id).await.map(|()| t.t("cti.deleted").to_owned()),
        "group_delete" => {
            cti.delete_group(&admin.actor, id).await.map(|()| t.t("cti.group_deleted").to_owned())
        }
        "group_save" => {
            let form = GroupForm {
                name: f.one("group_name"),
                show_numbers: f.on("show_numbers"),
                members: f.one("members"),
            };
            let typed = GroupView {
                id,
                name: form.name.clone(),
                show_numbers: form.show_numbers,
                members: form.members.clone(),
            };
            let shown = match cti.save_group(&admin.actor, id, form).await {
                Ok(_) => Shown { notice: t.t("cti.saved").to_owned(), ..Shown::default() },
                // The form keeps what was typed, with why it was refused.
                Err(ServiceError::Invalid(i)) => {
                    Shown { group: Some(typed), error: message(t, &i), ..Shown::default() }
                }
                Err(e) => return Err(admin.who.error(e)),
            };
            return page_with(&state, &admin, blank(), shown).await;
        }
        "rights" => {
            let form = RightsForm {
                devices: f.one("devices"),
                monitors: f.one("monitors"),
                offline_journal: f.on("offline_journal"),
                server_journal: f.on("server_journal"),
                hot_desking: f.on("hot_desking"),
                blf: f.one("blf"),
            };
            match cti.set_rights(&admin.actor, id, form).await {
                Ok(()) => {
                    let editing = cti.account(&admin.actor, id).await.map_err(|e| admin.who.error(e))?;
                    return page(&state, &admin, editing, t.t("cti.saved").to_owned(), String::new()).await;
                }
                Err(ServiceError::Invalid(i)) => {
                    let editing = cti.account(&admin.actor, id).await.map_err(|e| admin.who.error(e))?;
                    return page(&state, &admin, editing, String::new(), message(t, &i)).await;
                }
                Err(e) => Err(e),
            }
        }
        _ => Err(ServiceError::NotFound),
    };
    match outcome {
        Ok(notice) => page(&state, &admin, blank(), notice, String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            // The form keeps what was typed, with why it was refused.
            let typed = form_of(&f);
            let kind = Kind::from_code(&typed.kind).unwrap_or(Kind::User);
            let editing = Account { id, name: typed.name, kind, data: typed.data, ..blank() };
            page(&state, &admin, editing, String::new(), message(t, &i)).await
        }
        Err(e) => Err(admin.who.error(e)),
    }
}
