//! The phonebook page (SPEC W6): groups on the left (departments, public and
//! private groups), the list on the right with search, dialling, selection to
//! delete or to put into a group; adding contacts; import (Outlook CSV, vCard)
//! and export (CSV for Outlook, vCard 3.0/4.0). Every change is checked on the
//! server against the subscriber's right to the public book.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{message, refused, render, HttpError};
use super::form::{Fields, Posted, Uploaded};
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::phonebook::{Entry, Group, Mark, PublicRight, Source, View};
use crate::phonebook::{BookKind, Contact, Format, Number, NumberKind, Rejected};
use crate::services::phonebook::{ExportFormat, ImportReport};
use crate::services::{Invalid, ServiceError};

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
    /// The page of the list, from 1 (anything else: the first).
    #[serde(default)]
    page: String,
}

impl ListQuery {
    fn page(&self) -> usize {
        self.page.parse::<usize>().unwrap_or(1)
    }

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
    pub vip: bool,
    /// Its additional numbers are hidden from those who may not see them.
    pub hidden: bool,
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
    /// VIP marks and hidden numbers may be set here.
    may_mark: bool,
    /// The group shown, if he may rename or delete it.
    group: Option<Group>,
    rows: Vec<Row>,
    notice: String,
    error: String,
    rejected: Vec<String>,
    /// The page shown, and whether there is one after it.
    page: usize,
    more: bool,
}

fn row(t: Tr, e: &Entry, edit_public: bool) -> Row {
    let (book, selectable) = match &e.source {
        Source::Extension => (t.t("phonebook.extension").to_owned(), false),
        Source::Book(BookKind::Public) => (t.t("phonebook.public").to_owned(), edit_public),
        Source::Book(BookKind::Private) => (t.t("phonebook.private").to_owned(), true),
        // A source's mirror is read-only: the next sync would undo a change.
        Source::Directory(name) => (name.clone(), false),
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
        vip: e.vip,
        hidden: e.hide_extra,
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
) -> Result<Response, HttpError> {
    let t = who.tr;
    let view = q.view();
    let book = state
        .services
        .phonebook
        .page(&who.actor, who.ext(), view, &q.q, q.page())
        .await
        .map_err(|e| who.error(e))?;
    let (departments, groups) = (book.departments, book.groups);
    let title = match view {
        View::All => t.t("phonebook.all").to_owned(),
        View::Extensions => t.t("phonebook.extensions").to_owned(),
        View::Public => t.t("phonebook.public").to_owned(),
        View::Private => t.t("phonebook.private").to_owned(),
        View::Group(g) => groups.iter().find(|x| x.id == g).map(|x| x.name.clone()).unwrap_or_default(),
        View::Department(d) => departments.iter().find(|x| x.0 == d).map(|x| x.1.clone()).unwrap_or_default(),
    };
    let edit = book.right == PublicRight::Edit;
    let group = match view {
        View::Group(id) => {
            groups.iter().find(|g| g.id == id && (edit || g.book == BookKind::Private)).cloned()
        }
        _ => None,
    };
    let (public_groups, private_groups) = groups.into_iter().partition(|g| g.book == BookKind::Public);
    let p = Page {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        view: &q.view,
        id: &q.id,
        q: &q.q,
        back: q.back(),
        title,
        departments,
        public_groups,
        private_groups,
        can_read_public: book.right != PublicRight::None,
        can_edit_public: edit,
        may_mark: book.may_mark,
        group,
        rows: book.entries.iter().map(|e| row(t, e, edit)).collect(),
        notice,
        error,
        rejected,
        page: book.page,
        more: book.more,
    };
    if p.error.is_empty() {
        render(p)
    } else {
        refused(p)
    }
}

/// The page again after an action: its notice, or what refused it.
async fn after(
    state: &HttpState,
    who: &Subscriber,
    list: &ListQuery,
    outcome: Result<String, ServiceError>,
) -> Result<Response, HttpError> {
    match outcome {
        Ok(notice) => page(state, who, list, notice, String::new(), vec![]).await,
        Err(ServiceError::Invalid(i)) => {
            page(state, who, list, String::new(), message(who.tr, &i), vec![]).await
        }
        Err(ServiceError::Denied(_)) => {
            let text = message(who.tr, &Invalid::Book(crate::domain::phonebook::Refusal::PublicReadOnly));
            page(state, who, list, String::new(), text, vec![]).await
        }
        Err(e) => Err(who.error(e)),
    }
}

/// `GET /phonebook`
pub async fn list(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<ListQuery>,
) -> Result<Response, HttpError> {
    page(&state, &who, &q, String::new(), String::new(), Vec::new()).await
}

/// The list a form was sent from, to show it again.
fn list_of(f: &Fields) -> ListQuery {
    ListQuery { view: f.one("view"), id: f.one("id_view"), q: f.one("q"), page: f.one("page") }
}

/// `POST /phonebook/selection`: delete the selected contacts, put them into a
/// group, or (a manager) mark them VIP or hide their additional numbers.
pub async fn selection(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let list = list_of(&f);
    let ids: Result<Vec<i64>, _> = f.all("contact").iter().map(|s| s.parse::<i64>()).collect();
    let Ok(ids) = ids else {
        return page(&state, &who, &list, String::new(), t.t("phonebook.bad_selection").to_owned(), vec![])
            .await;
    };
    let books = &state.services.phonebook;
    let outcome = match (f.one("action").as_str(), f.one("group").parse::<i64>()) {
        ("delete", _) => books
            .delete(&who.actor, who.ext(), ids)
            .await
            .map(|n| t.f("phonebook.deleted", "n", &n.to_string())),
        ("group", Ok(g)) => books
            .group(&who.actor, who.ext(), ids, g)
            .await
            .map(|n| t.f("phonebook.grouped", "n", &n.to_string())),
        (action @ ("vip_on" | "vip_off" | "hide_on" | "hide_off"), _) => {
            let mark = match action {
                "vip_on" => Mark::Vip(true),
                "vip_off" => Mark::Vip(false),
                "hide_on" => Mark::HideExtra(true),
                _ => Mark::HideExtra(false),
            };
            books
                .mark(&who.actor, who.ext(), ids, mark)
                .await
                .map(|n| t.f("phonebook.marked", "n", &n.to_string()))
        }
        _ => Err(crate::domain::phonebook::Refusal::NotYours.into()),
    };
    after(&state, &who, &list, outcome).await
}

/// `POST /phonebook/group`: a new group, private or (with the right) public;
/// or a group renamed or deleted (`action`).
pub async fn new_group(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    if let action @ ("rename" | "delete") = f.one("action").as_str() {
        return change_group(&state, &who, &f, action).await;
    }
    let book = if f.one("public") == "1" { BookKind::Public } else { BookKind::Private };
    let name = f.one("name");
    match state.services.phonebook.new_group(&who.actor, who.ext(), &name, book).await {
        Ok(id) => {
            let q =
                ListQuery { view: "group".into(), id: id.to_string(), q: String::new(), page: String::new() };
            page(
                &state,
                &who,
                &q,
                who.tr.f("phonebook.group_made", "name", name.trim()),
                String::new(),
                vec![],
            )
            .await
        }
        Err(e) => after(&state, &who, &list_of(&f), Err(e)).await,
    }
}

/// A group renamed (`action` "rename", to the field `name`) or deleted.
async fn change_group(
    state: &HttpState,
    who: &Subscriber,
    f: &Fields,
    action: &str,
) -> Result<Response, HttpError> {
    let (t, books) = (who.tr, &state.services.phonebook);
    let Ok(g) = f.one("group").parse::<i64>() else {
        let refused = Err(crate::domain::phonebook::Refusal::NotYours.into());
        return after(state, who, &ListQuery::default(), refused).await;
    };
    if action == "delete" {
        let outcome = books.change_group(&who.actor, who.ext(), g, None).await;
        let notice = outcome.map(|()| t.t("phonebook.group_deleted").to_owned());
        return after(state, who, &ListQuery::default(), notice).await;
    }
    let name = f.one("name");
    let outcome = books.change_group(&who.actor, who.ext(), g, Some(name.clone())).await;
    let list = ListQuery { view: "group".into(), id: g.to_string(), q: String::new(), page: String::new() };
    after(state, who, &list, outcome.map(|()| t.f("phonebook.group_renamed", "name", name.trim()))).await
}

/// `POST /phonebook/contact`: one new contact.
pub async fn add(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let mut c = Contact {
        first_name: f.one("first_name"),
        last_name: f.one("last_name"),
        company: f.one("company"),
        email: f.one("email"),
        ..Default::default()
    };
    for kind in [NumberKind::Work, NumberKind::Mobile, NumberKind::Home] {
        let n = f.one(kind.code());
        if !n.is_empty() {
            c.numbers.push(Number { kind, number: n });
        }
    }
    let book = if f.one("book") == "public" { BookKind::Public } else { BookKind::Private };
    let name = c.display_name();
    let outcome = state.services.phonebook.add(&who.actor, who.ext(), book, c).await;
    after(&state, &who, &list_of(&f), outcome.map(|_| who.tr.f("phonebook.added", "name", &name))).await
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
) -> Result<Response, HttpError> {
    let (format, ctype, ext) = match q.format.as_str() {
        "vcard3" => (ExportFormat::VCard3, "text/vcard; charset=utf-8", "vcf"),
        "vcard4" => (ExportFormat::VCard4, "text/vcard; charset=utf-8", "vcf"),
        _ => (ExportFormat::OutlookCsv, "text/csv; charset=utf-8", "csv"),
    };
    let body = state
        .services
        .phonebook
        .export(&who.actor, who.ext(), q.list.view(), format)
        .await
        .map_err(|e| who.error(e))?;
    let name = format!("phonebook-{}.{ext}", who.ext());
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// `POST /phonebook/import` (multipart): a file, its format and the target book.
pub async fn import(
    State(state): State<HttpState>,
    Uploaded { who, fields: f, file }: Uploaded,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let list = ListQuery::default();
    let format = match f.one("format").as_str() {
        "csv" => Some(Format::Csv),
        "vcard" => Some(Format::VCard),
        _ => None,
    };
    let book = if f.one("book") == "public" { BookKind::Public } else { BookKind::Private };
    let report = match state.services.phonebook.import(&who.actor, who.ext(), file, format, book).await {
        Ok(r) => r,
        Err(e) => return after(&state, &who, &list, Err(e)).await,
    };
    let ImportReport { added, unchanged, rejected, rejected_total } = report;
    let (added, unchanged, rejected_total) =
        (added.to_string(), unchanged.to_string(), rejected_total.to_string());
    let notice =
        t.fill("import.done", &[("added", &added), ("unchanged", &unchanged), ("rejected", &rejected_total)]);
    let lines = rejected.iter().take(200).map(|r| rejected_line(t, r)).collect();
    page(&state, &who, &list, notice, String::new(), lines).await
}

fn rejected_line(t: Tr, r: &Rejected) -> String {
    format!("{} {}: {}", t.t("import.line"), r.line, t.f(r.problem.key, "detail", &r.problem.detail))
}

#[derive(Template)]
#[template(path = "notes.html")]
struct NotesPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    id: i64,
    name: String,
    book: String,
    notes: Vec<NoteRow>,
    notice: String,
    error: String,
}

struct NoteRow {
    id: i64,
    author: String,
    when: String,
    when_iso: String,
    text: String,
    /// The viewer may delete it: his own, or any for an administrator.
    mine: bool,
}

#[derive(Deserialize)]
pub struct NotesQuery {
    #[serde(default)]
    id: String,
}

/// `GET /phonebook/notes?id=N`: a contact's shared notes (SPEC C12).
pub async fn notes(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<NotesQuery>,
) -> Result<Response, HttpError> {
    let id = q.id.parse::<i64>().map_err(|_| who.error(ServiceError::NotFound))?;
    notes_page(&state, &who, id, String::new(), String::new()).await
}

async fn notes_page(
    state: &HttpState,
    who: &Subscriber,
    id: i64,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let found = state.services.phonebook.notes(&who.actor, who.ext(), id).await.map_err(|e| who.error(e))?;
    let admin = matches!(who.actor.who, crate::domain::access::Who::Administrator { .. });
    let t = who.tr;
    let notes = found
        .notes
        .into_iter()
        .map(|n| NoteRow {
            mine: admin || n.author == who.ext(),
            id: n.id,
            author: if n.author_name.is_empty() {
                n.author
            } else {
                format!("{} ({})", n.author_name, n.author)
            },
            when: crate::domain::time::short(n.created_at),
            when_iso: crate::domain::time::iso(n.created_at),
            text: n.text,
        })
        .collect();
    render(NotesPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        id,
        name: found.name,
        book: match found.book {
            Source::Book(kind) => t.t(&format!("phonebook.{}", kind.code())).to_owned(),
            Source::Directory(name) => name,
            Source::Extension => String::new(),
        },
        notes,
        notice,
        error,
    })
}

/// `POST /phonebook/notes`: `action` add (with `text`) or delete (with `note`).
pub async fn change_notes(
    State(state): State<HttpState>,
    Posted { who, fields: f, .. }: Posted,
) -> Result<Response, HttpError> {
    let id = f.one("id").parse::<i64>().map_err(|_| who.error(ServiceError::NotFound))?;
    let books = &state.services.phonebook;
    let outcome = match f.one("action").as_str() {
        "delete" => {
            let note = f.one("note").parse::<i64>().map_err(|_| who.error(ServiceError::NotFound))?;
            books
                .delete_note(&who.actor, who.ext(), id, note)
                .await
                .map(|()| who.tr.t("notes.deleted").to_owned())
        }
        _ => books
            .add_note(&who.actor, who.ext(), id, &f.one("text"))
            .await
            .map(|_| who.tr.t("notes.added").to_owned()),
    };
    match outcome {
        Ok(notice) => notes_page(&state, &who, id, notice, String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            notes_page(&state, &who, id, String::new(), message(who.tr, &i)).await
        }
        Err(e) => Err(who.error(e)),
    }
}
