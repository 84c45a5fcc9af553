//! The phonebook page (SPEC W6): groups on the left (departments, public and
//! private groups), the list on the right with search, dialling, selection to
//! delete or to put into a group; adding contacts; import (Outlook CSV, vCard)
//! and export (CSV for Outlook, vCard 3.0/4.0). Every change is checked on the
//! server against the subscriber's right to the public book.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{Fields, Posted};
use super::i18n::Tr;
use super::login::forged;
use super::pages::{failed, render};
use super::session::{now, Subscriber};
use super::HttpState;
use crate::phonebook::{self, outlook, vcard, BookKind, Contact, Format, Number, NumberKind, Rejected};
use crate::store::phonebook::{Group, ImportOutcome, PublicRight, Source, View};

/// Import files larger than this are refused before they are read.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    q: String,
}

impl ListQuery {
    fn view(&self) -> View {
        let id = self.id.parse::<i64>().ok();
        match (self.view.as_str(), id) {
            ("extensions", _) => View::Extensions,
            ("public", _) => View::Public,
            ("private", _) => View::Private,
            ("group", Some(id)) => View::Group(id),
            ("dept", Some(id)) => View::Department(id),
            _ => View::All,
        }
    }

    /// The query string that shows this list again.
    fn back(&self) -> String {
        let (view, id) = match self.view() {
            View::All => ("all", String::new()),
            View::Extensions => ("extensions", String::new()),
            View::Public => ("public", String::new()),
            View::Private => ("private", String::new()),
            View::Group(g) => ("group", g.to_string()),
            View::Department(d) => ("dept", d.to_string()),
        };
        format!("view={view}&id={id}&q={}", urlencode(&self.q))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub struct Row {
    pub id: i64,
    pub selectable: bool,
    pub book: String,
    pub name: String,
    pub company: String,
    pub numbers: Vec<(String, String)>,
    pub groups: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "phonebook.html")]
struct Page<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    view: &'a str,
    id: &'a str,
    q: &'a str,
    back: String,
    title: String,
    departments: Vec<(i64, String)>,
    public_groups: Vec<Group>,
    private_groups: Vec<Group>,
    can_read_public: bool,
    can_edit_public: bool,
    rows: Vec<Row>,
    notice: String,
    error: String,
    rejected: Vec<String>,
    limit: usize,
}

fn row(t: Tr, e: &crate::store::phonebook::Entry, edit_public: bool) -> Row {
    let (book, selectable) = match e.source {
        Source::Extension => (t.t("phonebook.extension").to_owned(), false),
        Source::Book(BookKind::Public) => (t.t("phonebook.public").to_owned(), edit_public),
        Source::Book(BookKind::Private) => (t.t("phonebook.private").to_owned(), true),
    };
    Row {
        id: e.id,
        selectable,
        book,
        name: e.contact.display_name(),
        company: if e.contact.display_name() == e.contact.company {
            String::new()
        } else {
            e.contact.company.clone()
        },
        numbers: e
            .contact
            .numbers
            .iter()
            .map(|n| (t.t(&format!("phonebook.kind_{}", n.kind.code())).to_owned(), n.number.clone()))
            .collect(),
        groups: e.contact.groups.join(", "),
        email: e.contact.email.clone(),
    }
}

/// Renders the page for a list, with what the last action said.
async fn page(
    state: &HttpState,
    who: &Subscriber,
    q: &ListQuery,
    notice: String,
    error: String,
    rejected: Vec<String>,
) -> Response {
    let owner = &who.profile.number;
    let t = who.tr;
    let right = match state.store.public_right(owner).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let (departments, groups) = match state.store.phonebook_groups(owner).await {
        Ok(g) => g,
        Err(e) => return failed(e),
    };
    let view = q.view();
    let entries = match state.store.phonebook(owner, view, &q.q).await {
        Ok(e) => e,
        Err(e) => return failed(e),
    };
    let title = match view {
        View::All => t.t("phonebook.all").to_owned(),
        View::Extensions => t.t("phonebook.extensions").to_owned(),
        View::Public => t.t("phonebook.public").to_owned(),
        View::Private => t.t("phonebook.private").to_owned(),
        View::Group(g) => groups.iter().find(|x| x.id == g).map(|x| x.name.clone()).unwrap_or_default(),
        View::Department(d) => departments.iter().find(|x| x.0 == d).map(|x| x.1.clone()).unwrap_or_default(),
    };
    let edit = right == PublicRight::Edit;
    let (public_groups, private_groups) = groups.into_iter().partition(|g| g.book == BookKind::Public);
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let p = Page {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        view: &q.view,
        id: &q.id,
        q: &q.q,
        back: q.back(),
        title,
        departments,
        public_groups,
        private_groups,
        can_read_public: right != PublicRight::None,
        can_edit_public: edit,
        rows: entries.iter().map(|e| row(t, e, edit)).collect(),
        notice,
        error,
        rejected,
        limit: crate::store::phonebook::LIST_LIMIT,
    };
    (status, render(p)).into_response()
}

/// `GET /phonebook`
pub async fn list(State(state): State<HttpState>, who: Subscriber, Query(q): Query<ListQuery>) -> Response {
    page(&state, &who, &q, String::new(), String::new(), Vec::new()).await
}

/// The list a form was sent from, to show it again.
fn list_of(f: &Fields) -> ListQuery {
    ListQuery { view: f.one("view"), id: f.one("id_view"), q: f.one("q") }
}

/// `POST /phonebook/selection`: delete the selected contacts, or put them into a group.
pub async fn selection(State(state): State<HttpState>, Posted { who, fields: f }: Posted) -> Response {
    let t = who.tr;
    let list = list_of(&f);
    let ids: Result<Vec<i64>, _> = f.all("contact").iter().map(|s| s.parse::<i64>()).collect();
    let Ok(ids) = ids else {
        return page(&state, &who, &list, String::new(), t.t("phonebook.bad_selection").to_owned(), vec![])
            .await;
    };
    if ids.is_empty() || ids.len() > crate::store::phonebook::LIST_LIMIT {
        return page(
            &state,
            &who,
            &list,
            String::new(),
            t.t("phonebook.nothing_selected").to_owned(),
            vec![],
        )
        .await;
    }
    let owner = &who.profile.number;
    let result = match f.one("action").as_str() {
        "delete" => state
            .store
            .delete_contacts(owner, ids)
            .await
            .map(|r| r.map(|n| t.f("phonebook.deleted", "n", &n.to_string()))),
        "group" => match f.one("group").parse::<i64>() {
            Ok(g) => state
                .store
                .add_to_group(owner, ids, g)
                .await
                .map(|r| r.map(|n| t.f("phonebook.grouped", "n", &n.to_string()))),
            Err(_) => Ok(Err(crate::store::phonebook::Refusal::NotYours)),
        },
        _ => Ok(Err(crate::store::phonebook::Refusal::NotYours)),
    };
    match result {
        Ok(Ok(notice)) => page(&state, &who, &list, notice, String::new(), vec![]).await,
        Ok(Err(refusal)) => {
            page(&state, &who, &list, String::new(), t.t(refusal.key()).to_owned(), vec![]).await
        }
        Err(e) => failed(e),
    }
}

/// `POST /phonebook/group`: a new group, private or (with the right) public.
pub async fn new_group(State(state): State<HttpState>, Posted { who, fields: f }: Posted) -> Response {
    let book = if f.one("public") == "1" { BookKind::Public } else { BookKind::Private };
    let t = who.tr;
    match state.store.create_group(&who.profile.number, &f.one("name"), book).await {
        Ok(Ok(id)) => {
            let q = ListQuery { view: "group".into(), id: id.to_string(), q: String::new() };
            page(
                &state,
                &who,
                &q,
                t.f("phonebook.group_made", "name", f.one("name").trim()),
                String::new(),
                vec![],
            )
            .await
        }
        Ok(Err(r)) => page(&state, &who, &list_of(&f), String::new(), t.t(r.key()).to_owned(), vec![]).await,
        Err(e) => failed(e),
    }
}

/// `POST /phonebook/contact`: one new contact.
pub async fn add(State(state): State<HttpState>, Posted { who, fields: f }: Posted) -> Response {
    let t = who.tr;
    let mut c = Contact {
        first_name: f.one("first_name").trim().to_owned(),
        last_name: f.one("last_name").trim().to_owned(),
        company: f.one("company").trim().to_owned(),
        email: f.one("email").trim().to_owned(),
        ..Default::default()
    };
    for kind in [NumberKind::Work, NumberKind::Mobile, NumberKind::Home] {
        let n = f.one(kind.code()).trim().to_owned();
        if !n.is_empty() {
            c.numbers.push(Number { kind, number: n });
        }
    }
    let list = list_of(&f);
    if let Err(p) = c.check() {
        return page(&state, &who, &list, String::new(), t.f(p.key, "detail", &p.detail), vec![]).await;
    }
    let book = if f.one("book") == "public" { BookKind::Public } else { BookKind::Private };
    match state.store.add_contact(&who.profile.number, book, c.clone(), now()).await {
        Ok(Ok(_)) => {
            page(
                &state,
                &who,
                &list,
                t.f("phonebook.added", "name", &c.display_name()),
                String::new(),
                vec![],
            )
            .await
        }
        Ok(Err(r)) => page(&state, &who, &list, String::new(), t.t(r.key()).to_owned(), vec![]).await,
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    list: ListQuery,
}

/// `GET /phonebook/export`: the contacts of the list shown (all or one group),
/// as CSV for Outlook or as vCards.
pub async fn export(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<ExportQuery>,
) -> Response {
    let contacts = match state.store.export_contacts(&who.profile.number, q.list.view()).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let (body, ctype, ext) = match q.format.as_str() {
        "vcard3" => (vcard::export(&contacts, false), "text/vcard; charset=utf-8", "vcf"),
        "vcard4" => (vcard::export(&contacts, true), "text/vcard; charset=utf-8", "vcf"),
        _ => (outlook::export(&contacts), "text/csv; charset=utf-8", "csv"),
    };
    let name = format!("phonebook-{}.{ext}", who.profile.number);
    (
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `POST /phonebook/import` (multipart): a file, its format and the target book.
pub async fn import(
    State(state): State<HttpState>,
    h: HeaderMap,
    who: Subscriber,
    mut form: Multipart,
) -> Response {
    let t = who.tr;
    let (mut csrf, mut format, mut book, mut file) =
        (String::new(), String::new(), String::new(), None::<Vec<u8>>);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return (StatusCode::BAD_REQUEST, t.t("import.upload_failed").to_owned()).into_response()
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(_) => {
                return (StatusCode::PAYLOAD_TOO_LARGE, t.t("import.upload_failed").to_owned())
                    .into_response()
            }
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "format" => format = String::from_utf8_lossy(&bytes).into_owned(),
            "book" => book = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = Some(bytes.to_vec()),
            _ => {}
        }
    }
    if let Some(refusal) = forged(&h, &who, &csrf) {
        return refusal;
    }
    let list = ListQuery::default();
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return page(&state, &who, &list, String::new(), t.t("import.empty").to_owned(), vec![]).await;
    };
    let format = match format.as_str() {
        "csv" => Some(Format::Csv),
        "vcard" => Some(Format::VCard),
        _ => None,
    };
    let book = if book == "public" { BookKind::Public } else { BookKind::Private };
    let parsed = match phonebook::parse(&file, format) {
        Ok(p) => p,
        Err(e) => return page(&state, &who, &list, String::new(), t.t(e.key()).to_owned(), vec![]).await,
    };
    let mut rejected = parsed.rejected;
    let outcome = match state.store.import_contacts(&who.profile.number, book, parsed.contacts, now()).await {
        Ok(Ok(o)) => o,
        Ok(Err(r)) => return page(&state, &who, &list, String::new(), t.t(r.key()).to_owned(), vec![]).await,
        Err(e) => return failed(e),
    };
    let ImportOutcome { added, unchanged, rejected: refused } = outcome;
    rejected.extend(refused);
    rejected.sort_by_key(|r| r.line);
    tracing::info!(extension = %who.profile.number, added, unchanged, rejected = rejected.len(), "phonebook import");
    let notice = t
        .t("import.done")
        .replace("{added}", &added.to_string())
        .replace("{unchanged}", &unchanged.to_string())
        .replace("{rejected}", &rejected.len().to_string());
    let lines = rejected.iter().take(200).map(|r| rejected_line(t, r)).collect();
    page(&state, &who, &list, notice, String::new(), lines).await
}

fn rejected_line(t: Tr, r: &Rejected) -> String {
    format!("{} {}: {}", t.t("import.line"), r.line, t.f(r.problem.key, "detail", &r.problem.detail))
}
