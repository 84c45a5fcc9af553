//! The administrator's pages (SPEC A1-A7), each taking an [`Administrator`]
//! (posts: the checked form, then the administrator): "About", what runs here
//! and how it fares, and the employees with what an administrator sets about
//! each.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::{message, render, saved_notice, shown_or_refused, HttpError};
use super::form::{AdminPosted, Fields, Posted};
use super::i18n::Tr;
use super::session::{Administrator, Subscriber, ADMIN_TWO_FACTOR, MANAGER_TWO_FACTOR};
use super::HttpState;
use crate::domain::access::Actor;
use crate::domain::account::Employee;
use crate::domain::phonebook::PublicRight;
use crate::domain::program::Restriction;
use crate::services::about::AboutView;
use crate::services::employees::{Department, EmployeeChange, EmployeeList, EmployeeView, LicenceUse};
use crate::services::exposure::{ExposureView, Switches};
use crate::services::smtp::{SmtpChange, SmtpView};
use crate::services::two_factor::{Enrolment, Status};
use crate::services::ServiceError;

#[derive(Template)]
#[template(path = "admin.html")]
struct AboutPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    v: AboutView,
    uptime: String,
    db: String,
    wal: String,
    free: String,
    /// Each CTI function's name and how much of it is used.
    licences: Vec<(&'static str, String)>,
}

/// How much of a CTI function's licence is used, as people read it.
fn licence_usage(t: Tr, l: &LicenceUse) -> String {
    match l.count {
        Some(n) => t.fill("licence.in_use_of", &[("n", &l.in_use.to_string()), ("count", &n.to_string())]),
        None => t.f("licence.in_use", "n", &l.in_use.to_string()),
    }
}

/// Bytes as people read them: 1.4 MiB.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// Seconds as days, hours and minutes: 3 d 4 h 05 min.
fn duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d} d {h} h {m:02} min")
    } else {
        format!("{h} h {m:02} min")
    }
}

/// `GET /admin`
pub async fn about(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    let who = &admin.who;
    let v = state.services.about.view(&admin.actor).await.map_err(|e| who.error(e))?;
    let page = AboutPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        uptime: duration(v.uptime_secs),
        db: size(v.db_bytes),
        wal: size(v.wal_bytes),
        free: v.free_bytes.map(size).unwrap_or_else(|| "—".to_owned()),
        licences: v.licences.iter().map(|l| (l.function.key(), licence_usage(who.tr, l))).collect(),
        v,
    };
    render(page)
}

#[derive(Template)]
#[template(path = "admin_employees.html")]
struct EmployeesPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    rows: Vec<(Employee, String)>,
}

/// `GET /admin/employees`
pub async fn employees(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    let who = &admin.who;
    let EmployeeList { employees: list, departments } =
        state.services.employees.list(&admin.actor).await.map_err(|e| who.error(e))?;
    let name_of = |d: Option<i64>| {
        d.and_then(|d| departments.iter().find(|(id, _)| *id == d))
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let rows = list
        .into_iter()
        .map(|e| {
            let d = name_of(e.department);
            (e, d)
        })
        .collect();
    render(EmployeesPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "admin_employee.html")]
struct EmployeePage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    v: EmployeeView,
    caller_ids: String,
    rights: Vec<(&'static str, &'static str)>,
    restrictions: Vec<(&'static str, &'static str)>,
    /// Each CTI function: its code, its name, whether he holds it, its use.
    licences: Vec<(&'static str, &'static str, bool, String)>,
    /// A temporary password just given: shown this once.
    temporary: String,
    notice: String,
    error: String,
}

#[derive(Deserialize)]
pub struct Which {
    #[serde(default)]
    ext: String,
}

async fn employee_page(
    state: &HttpState,
    admin: &Administrator,
    ext: &str,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    employee_page_with(state, admin, ext, String::new(), notice, error).await
}

async fn employee_page_with(
    state: &HttpState,
    admin: &Administrator,
    ext: &str,
    temporary: String,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let v = state.services.employees.view(&admin.actor, ext).await.map_err(|e| who.error(e))?;
    let rights = PublicRight::ALL
        .iter()
        .map(|r| {
            (
                r.code(),
                match r {
                    PublicRight::None => "employee.right_none",
                    PublicRight::Read => "employee.right_read",
                    PublicRight::Edit => "employee.right_edit",
                },
            )
        })
        .collect();
    let restrictions = Restriction::ALL
        .iter()
        .map(|r| {
            (
                r.code(),
                match r {
                    Restriction::None => "employee.restriction_none",
                    Restriction::InternalOnly => "employee.restriction_internal",
                    Restriction::NoInternational => "employee.restriction_national",
                },
            )
        })
        .collect();
    let licences = v
        .licences
        .iter()
        .map(|l| {
            let f = l.function;
            (f.code(), f.key(), v.employee.licences.contains(&f), licence_usage(who.tr, l))
        })
        .collect();
    let page = EmployeePage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        caller_ids: v.caller_ids.join("\n"),
        licences,
        v,
        rights,
        restrictions,
        temporary,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/employee?ext=N`; without one, the list.
pub async fn employee(
    State(state): State<HttpState>,
    admin: Administrator,
    Query(q): Query<Which>,
) -> Result<Response, HttpError> {
    if q.ext.is_empty() {
        return Ok(Redirect::to("/admin/employees").into_response());
    }
    employee_page(&state, &admin, &q.ext, String::new(), String::new()).await
}

/// `POST /admin/employee`
pub async fn save_employee(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let ext = f.one("ext");
    let change = EmployeeChange {
        name: f.one("name"),
        comment: f.one("comment"),
        email: f.one("email"),
        department: f.one("department"),
        is_admin: f.on("is_admin"),
        public_right: f.one("public_book"),
        mobile: f.one("mobile"),
        restriction: f.one("restriction"),
        caller_ids: f.raw("caller_ids"),
        manages: f.all("manages"),
        recordings: f.on("recordings"),
        licences: f.all("licence"),
    };
    let tr = admin.who.tr;
    match state.services.employees.save(&admin.actor, &ext, change).await {
        Ok(p) => employee_page(&state, &admin, &ext, saved_notice(tr, p), String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            employee_page(&state, &admin, &ext, String::new(), message(tr, &i)).await
        }
        Err(e) => Err(admin.who.error(e)),
    }
}

/// `POST /admin/employee/password`: a new temporary password, shown once.
pub async fn temporary_password(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let ext = f.one("ext");
    let password =
        state.services.team.temporary_password(&admin.actor, &ext).await.map_err(|e| admin.who.error(e))?;
    let notice = admin.who.tr.f("employee.temporary_given", "ext", &ext);
    employee_page_with(&state, &admin, &ext, password, notice, String::new()).await
}

#[derive(Template)]
#[template(path = "admin_two_factor.html")]
struct TwoFactorPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The page's own path: the administrator's or the manager's.
    base: &'static str,
    /// On the administrator's page: whether it is mandatory for both roles.
    mandatory: Option<bool>,
    status: Status,
    enrolment: Option<Enrolment>,
    recovery: Vec<String>,
    error: String,
}

/// An administrator's or a manager's own second factor (SPEC X3).
struct Enroller<'a> {
    who: &'a Subscriber,
    actor: &'a Actor,
    base: &'static str,
}

async fn two_factor_page(
    state: &HttpState,
    e: &Enroller<'_>,
    enrolment: Option<Enrolment>,
    recovery: Vec<String>,
    error: String,
) -> Result<Response, HttpError> {
    let who = e.who;
    let tf = &state.services.two_factor;
    let status = tf.status(e.actor, who.ext()).await.map_err(|err| who.error(err))?;
    let mandatory = match e.base {
        ADMIN_TWO_FACTOR => Some(tf.mandatory(e.actor).await.map_err(|err| who.error(err))?),
        _ => None,
    };
    let page = TwoFactorPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        base: e.base,
        mandatory,
        status,
        enrolment,
        recovery,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// Begins an enrolment (a new secret and its QR code), confirms it with a
/// first code (then the recovery codes, shown once), or, for an administrator,
/// makes it mandatory or not.
async fn change_two_factor_of(
    state: &HttpState,
    e: &Enroller<'_>,
    f: &Fields,
) -> Result<Response, HttpError> {
    let ext = e.who.ext().to_owned();
    let tf = &state.services.two_factor;
    match f.one("action").as_str() {
        "confirm" => match tf.confirm(e.actor, &ext, &f.one("code")).await {
            Ok(codes) => two_factor_page(state, e, None, codes, String::new()).await,
            Err(ServiceError::Invalid(i)) => {
                two_factor_page(state, e, None, Vec::new(), message(e.who.tr, &i)).await
            }
            Err(err) => Err(e.who.error(err)),
        },
        "mandatory" => {
            tf.set_mandatory(e.actor, f.on("mandatory")).await.map_err(|err| e.who.error(err))?;
            two_factor_page(state, e, None, Vec::new(), String::new()).await
        }
        _ => {
            let enrolment = tf.begin(e.actor, &ext).await.map_err(|err| e.who.error(err))?;
            two_factor_page(state, e, Some(enrolment), Vec::new(), String::new()).await
        }
    }
}

/// `GET /admin/2fa`: the administrator's own second factor, and whether it is mandatory.
pub async fn two_factor(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    let e = Enroller { who: &admin.who, actor: &admin.actor, base: ADMIN_TWO_FACTOR };
    two_factor_page(&state, &e, None, Vec::new(), String::new()).await
}

/// `POST /admin/2fa`
pub async fn change_two_factor(
    State(state): State<HttpState>,
    AdminPosted { admin, fields }: AdminPosted,
) -> Result<Response, HttpError> {
    let e = Enroller { who: &admin.who, actor: &admin.actor, base: ADMIN_TWO_FACTOR };
    change_two_factor_of(&state, &e, &fields).await
}

/// `GET /manager/2fa`: a manager's own second factor.
pub async fn manager_two_factor(
    State(state): State<HttpState>,
    who: Subscriber,
) -> Result<Response, HttpError> {
    state.services.team.manager(&who.actor).map_err(|e| who.error(e))?;
    let e = Enroller { who: &who, actor: &who.actor, base: MANAGER_TWO_FACTOR };
    two_factor_page(&state, &e, None, Vec::new(), String::new()).await
}

/// `POST /manager/2fa`
pub async fn change_manager_two_factor(
    State(state): State<HttpState>,
    Posted { who, fields, .. }: Posted,
) -> Result<Response, HttpError> {
    // Making it mandatory is refused by the service: that is the administrator's.
    state.services.team.manager(&who.actor).map_err(|e| who.error(e))?;
    let e = Enroller { who: &who, actor: &who.actor, base: MANAGER_TWO_FACTOR };
    change_two_factor_of(&state, &e, &fields).await
}

#[derive(Template)]
#[template(path = "admin_departments.html")]
struct DepartmentsPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    list: Vec<Department>,
    /// A delete to confirm: the department and what happens to its extensions.
    confirm: Option<(Department, String)>,
    notice: String,
    error: String,
}

async fn departments_page(
    state: &HttpState,
    admin: &Administrator,
    confirm: Option<i64>,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let list = state.services.employees.departments(&admin.actor).await.map_err(|e| who.error(e))?;
    let confirm = confirm.and_then(|id| list.iter().find(|d| d.id == id)).map(|d| {
        let what = who.tr.fill("department.confirm", &[("count", &d.members.to_string()), ("name", &d.name)]);
        (d.clone(), what)
    });
    let page = DepartmentsPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        list,
        confirm,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/departments`
pub async fn departments(
    State(state): State<HttpState>,
    admin: Administrator,
) -> Result<Response, HttpError> {
    departments_page(&state, &admin, None, String::new(), String::new()).await
}

/// `POST /admin/departments`: add, rename, or delete (asked to confirm first,
/// with what happens to the department's extensions).
pub async fn change_departments(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let tr = admin.who.tr;
    let id = f.one("id").parse::<i64>().ok();
    let employees = &state.services.employees;
    let outcome = match (f.one("action").as_str(), id) {
        ("add", _) => {
            employees.add_department(&admin.actor, &f.one("name")).await.map(|_| tr.t("department.added"))
        }
        ("rename", Some(id)) => employees
            .rename_department(&admin.actor, id, &f.one("name"))
            .await
            .map(|()| tr.t("settings.saved")),
        ("delete", Some(id)) if f.on("confirm") => {
            employees.delete_department(&admin.actor, id).await.map(|_| tr.t("department.deleted"))
        }
        ("delete", Some(id)) => {
            return departments_page(&state, &admin, Some(id), String::new(), String::new()).await
        }
        _ => return Err(HttpError::BadRequest(tr.t("error.forbidden").to_owned())),
    };
    match outcome {
        Ok(notice) => departments_page(&state, &admin, None, notice.to_owned(), String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            departments_page(&state, &admin, None, String::new(), message(tr, &i)).await
        }
        Err(e) => Err(admin.who.error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_as_people_read_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(5 << 20), "5.0 MiB");
        assert_eq!(size(3 << 30), "3.0 GiB");
        assert_eq!(duration(59), "0 h 00 min");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 5 * 60), "3 d 4 h 05 min");
    }
}

#[derive(Template)]
#[template(path = "admin_smtp.html")]
struct SmtpPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    v: SmtpView,
    modes: &'static [&'static str],
    /// Where the last test mail went, to offer it again.
    test_to: String,
    notice: String,
    error: String,
}

async fn smtp_page(
    state: &HttpState,
    admin: &Administrator,
    test_to: String,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let v = state.services.smtp.view(&admin.actor).await.map_err(|e| who.error(e))?;
    let page = SmtpPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        v,
        modes: crate::domain::mail::TLS_MODES,
        test_to,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/smtp`
pub async fn smtp(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    smtp_page(&state, &admin, String::new(), String::new(), String::new()).await
}

/// `POST /admin/smtp`: save the server, or send a test mail through it.
pub async fn change_smtp(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let smtp = &state.services.smtp;
    if f.one("action") == "test" {
        let to = f.one("to");
        return match smtp.test(&admin.actor, &to).await.map_err(|e| admin.who.error(e))? {
            Ok(()) => {
                smtp_page(&state, &admin, to.clone(), t.f("smtp.test_sent", "to", &to), String::new()).await
            }
            Err(why) => {
                smtp_page(&state, &admin, to, String::new(), t.f("smtp.test_failed", "error", &why)).await
            }
        };
    }
    let change = SmtpChange {
        host: f.one("host"),
        port: f.one("port"),
        tls: f.one("tls"),
        username: f.one("username"),
        password: f.raw("password"),
        forget_password: f.on("forget_password"),
        from: f.one("from"),
        ca: f.raw("ca"),
    };
    match smtp.save(&admin.actor, change).await {
        Ok(()) => {
            smtp_page(&state, &admin, String::new(), t.t("settings.saved").to_owned(), String::new()).await
        }
        Err(ServiceError::Invalid(i)) => {
            smtp_page(&state, &admin, String::new(), String::new(), message(t, &i)).await
        }
        Err(e) => Err(admin.who.error(e)),
    }
}

#[derive(Template)]
#[template(path = "admin_tls.html")]
struct TlsPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    uploaded: bool,
    exposure: ExposureView,
    notice: String,
    error: String,
}

async fn tls_page(
    admin: &Administrator,
    state: &HttpState,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let uploaded = state.services.certificates.uploaded(&admin.actor).map_err(|e| who.error(e))?;
    let exposure = state.services.exposure.view(&admin.actor).map_err(|e| who.error(e))?;
    let page = TlsPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        uploaded,
        exposure,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/tls`
pub async fn tls(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    tls_page(&admin, &state, String::new(), String::new()).await
}

/// `POST /admin/tls`: serve an uploaded chain and key, or the device's own
/// again; or set HTTPS-only mode and WebCTI on the WAN.
pub async fn change_tls(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let certs = &state.services.certificates;
    let (done, notice) = match f.one("action").as_str() {
        "device" => (certs.use_device(&admin.actor).await, "tls.served"),
        "exposure" => {
            let switches = Switches { https_only: f.on("https_only"), wan_webcti: f.on("wan_webcti") };
            (state.services.exposure.set(&admin.actor, switches).await, "tls.exposure_saved")
        }
        _ => (certs.upload(&admin.actor, &f.raw("chain"), &f.raw("key")).await, "tls.served"),
    };
    match done {
        Ok(()) => tls_page(&admin, &state, t.t(notice).to_owned(), String::new()).await,
        Err(ServiceError::Invalid(i)) => tls_page(&admin, &state, String::new(), message(t, &i)).await,
        Err(e) => Err(admin.who.error(e)),
    }
}

#[derive(Template)]
#[template(path = "admin_installer.html")]
struct InstallerPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    name: String,
    notice: String,
    error: String,
}

async fn installer_page(
    admin: &Administrator,
    state: &HttpState,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let name = state.services.installer.name(&admin.actor).map_err(|e| who.error(e))?.unwrap_or_default();
    let page = InstallerPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        name,
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/installer`
pub async fn installer(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    installer_page(&admin, &state, String::new(), String::new()).await
}

/// `POST /admin/installer`: a new installer, streamed to the board (multipart:
/// the CSRF token first, then the file), replacing the old one once whole.
pub async fn upload_installer(
    State(state): State<HttpState>,
    admin: Administrator,
    headers: axum::http::HeaderMap,
    mut form: axum::extract::Multipart,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let failed = || HttpError::BadRequest(t.t("import.upload_failed").to_owned());
    let mut checked = false;
    while let Some(mut field) = form.next_field().await.map_err(|_| failed())? {
        match field.name() {
            Some("csrf") => {
                // Bytes, not text(): multer's charset decoding would bring
                // encoding_rs's tables (about 300 KB) into the firmware.
                let token = field.bytes().await.map_err(|_| failed())?;
                admin.who.check_post(&headers, &String::from_utf8_lossy(&token))?;
                checked = true;
            }
            Some("file") if checked => {
                // Some browsers send the path the file had on the computer.
                let name =
                    field.file_name().unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("").to_owned();
                let done = async {
                    let mut incoming = state.services.installer.upload(&admin.actor, &name).await?;
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                if let Err(e) = incoming.write(&chunk).await {
                                    incoming.abandon().await;
                                    return Err(e);
                                }
                            }
                            Ok(None) => return incoming.finish().await,
                            Err(_) => {
                                incoming.abandon().await;
                                return Err(ServiceError::Invalid(
                                    crate::services::installer::InstallerProblem::TooLarge.into(),
                                ));
                            }
                        }
                    }
                };
                return match done.await {
                    Ok(name) => {
                        installer_page(&admin, &state, t.f("installer.stored", "name", &name), String::new())
                            .await
                    }
                    Err(ServiceError::Invalid(i)) => {
                        installer_page(&admin, &state, String::new(), message(t, &i)).await
                    }
                    Err(e) => Err(admin.who.error(e)),
                };
            }
            _ => {}
        }
    }
    // No token before the file, or no file.
    admin.who.check_post(&headers, "")?;
    Err(failed())
}

/// `POST /admin/installer/delete`
pub async fn delete_installer(
    State(state): State<HttpState>,
    AdminPosted { admin, .. }: AdminPosted,
) -> Result<Response, HttpError> {
    state.services.installer.delete(&admin.actor).await.map_err(|e| admin.who.error(e))?;
    installer_page(&admin, &state, admin.who.tr.t("installer.deleted").to_owned(), String::new()).await
}
