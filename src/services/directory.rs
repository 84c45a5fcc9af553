//! External phonebook sources (SPEC C10): an administrator names a CSV file on
//! the board or an LDAP directory (plain, StartTLS or LDAPS; a bind DN and
//! password or anonymous; base, filter and the schema whose attribute names
//! map to a contact's fields), and the server mirrors it into a read-only book
//! of its cache: at the start, every `interval_min` minutes, and when the
//! administrator asks ("update now"). Only new and changed records are written;
//! what a sync did, or the server's or file's error, is kept for the
//! administrator's page and logged. While a source cannot be read its book
//! keeps serving the last sync's contacts; the portal, the API's lookup, desk
//! phones and the CTI clients read the cache, never the source.

use std::sync::Arc;
use std::time::Duration;

use super::{Context, Invalid, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::domain::directory::{
    check_name, record_of, record_of_row, Ldap, Origin, Record, Source, SourceProblem, SyncReport,
    MAX_RECORDS,
};
use crate::domain::phonebook::{BookAccess, SharedBook};
use crate::phonebook::sheet::{self, Change};
use crate::phonebook::{Contact, Problem};
use crate::shutdown::Shutdown;
use crate::store::directory::{DirectoryBook, TrashedNotes};

/// A contact file read for a source: at most this large.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// A file edited in place: at most this large (it is held whole, as text, while
/// the change is made).
pub const MAX_EDITED_BYTES: u64 = 4 * 1024 * 1024;
/// How long a directory may take to answer a connection, and a whole sync.
const CONNECT: Duration = Duration::from_secs(10);
const SYNC: Duration = Duration::from_secs(120);
/// Entries a page of an LDAP search asks for (servers limit one answer, 500
/// on OpenLDAP by default).
const PAGE: i32 = 400;
/// How often the sync task looks for sources that are due.
const TICK: Duration = Duration::from_secs(60);
/// Rejected rows of a file the report keeps.
const SHOWN_REJECTED: usize = 20;

#[derive(Clone)]
pub struct Directories {
    ctx: Context,
    /// One sync at a time: the board's memory holds one source's records.
    running: Arc<tokio::sync::Mutex<()>>,
}

/// A shared book as the API lists it.
#[derive(Debug, Clone)]
pub struct BookOverview {
    pub book: SharedBook,
    pub contacts: i64,
    /// Each CTI group's access, by the group's name, in name order.
    pub grants: Vec<(String, BookAccess)>,
    /// A source's settings (a CSV file, an LDAP directory); none for a kept book.
    pub source: Option<Source>,
    pub last: Option<crate::domain::directory::LastSync>,
}

impl Directories {
    pub fn new(ctx: Context) -> Directories {
        Directories { ctx, running: Arc::default() }
    }

    fn admin(&self, actor: &Actor, action: Action) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, action, Target::Administration(Area::Phonebook))
    }

    /// The sources' books with their last syncs.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.list", actor = %actor.label(), via = actor.via.code()))]
    pub async fn list(&self, actor: &Actor) -> Result<Vec<DirectoryBook>, ServiceError> {
        self.admin(actor, Action::Read)?;
        Ok(self.ctx.store.directory_books().await?)
    }

    /// Adds a source and syncs it at once; its id and what the sync did (or
    /// why it failed: the book is kept, to be synced again).
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.add", actor = %actor.label(), via = actor.via.code()))]
    pub async fn add(
        &self,
        actor: &Actor,
        name: &str,
        source: Source,
    ) -> Result<(i64, Result<SyncReport, String>), ServiceError> {
        self.admin(actor, Action::Change)?;
        let name = check_name(name).map_err(|p| ServiceError::Invalid(Invalid::Source(p)))?;
        source.check().map_err(|p| ServiceError::Invalid(Invalid::Source(p)))?;
        let id = self
            .ctx
            .store
            .add_directory_book(name, &source)
            .await?
            .map_err(|p| ServiceError::Invalid(Invalid::Source(p)))?;
        tracing::info!(book = %name, id, "phonebook source added");
        let outcome = self.sync_book(id, name, &source).await?;
        Ok((id, outcome))
    }

    /// Deletes a source's book; its contacts' notes go to the trash.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.remove", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn remove(&self, actor: &Actor, id: i64) -> Result<(), ServiceError> {
        self.admin(actor, Action::Change)?;
        match self.ctx.store.remove_directory_book(id, self.ctx.clock.now()).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// Syncs book `id` now.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.sync", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn sync_now(&self, actor: &Actor, id: i64) -> Result<Result<SyncReport, String>, ServiceError> {
        self.admin(actor, Action::Change)?;
        let books = self.ctx.store.directory_books().await?;
        let book = books.into_iter().find(|b| b.id == id).ok_or(ServiceError::NotFound)?;
        self.sync_book(book.id, &book.name, &book.source).await
    }

    /// Every shared named book (the sources' and those administrators keep)
    /// with who reads it and how many contacts it holds.
    pub async fn shared(&self, actor: &Actor) -> Result<Vec<(SharedBook, i64)>, ServiceError> {
        self.admin(actor, Action::Read)?;
        Ok(self.ctx.store.shared_book_list().await?)
    }

    /// Every shared named book as the API lists it: with its contacts'
    /// count, the CTI groups' grants by group name, and a source's settings
    /// and last sync (none for a book kept here).
    pub async fn overview(&self, actor: &Actor) -> Result<Vec<BookOverview>, ServiceError> {
        self.admin(actor, Action::Read)?;
        let groups = self.ctx.store.cti_groups().await?;
        let sources = self.ctx.store.directory_books().await?;
        let list = self.ctx.store.shared_book_list().await?;
        Ok(list
            .into_iter()
            .map(|(book, contacts)| {
                let mut grants: Vec<(String, BookAccess)> = book
                    .grants
                    .iter()
                    .filter(|(_, a)| *a > BookAccess::None)
                    .filter_map(|(g, a)| Some((groups.iter().find(|x| x.id == *g)?.name.clone(), *a)))
                    .collect();
                grants.sort();
                let source = sources.iter().find(|s| s.id == book.id);
                BookOverview {
                    contacts,
                    grants,
                    source: source.map(|s| s.source.clone()),
                    last: source.and_then(|s| s.last.clone()),
                    book,
                }
            })
            .collect())
    }

    /// A shared book's contacts after contact `after`, by id, at most
    /// `limit` (an administrator's script reading a book whole).
    pub async fn contacts(
        &self,
        actor: &Actor,
        id: i64,
        after: i64,
        limit: usize,
    ) -> Result<Vec<crate::domain::phonebook::Entry>, ServiceError> {
        self.admin(actor, Action::Read)?;
        let books = self.ctx.store.shared_book_list().await?;
        if !books.iter().any(|(b, _)| b.id == id) {
            return Err(ServiceError::NotFound);
        }
        Ok(self.ctx.store.book_contacts(id, after, limit.min(crate::domain::phonebook::LIST_LIMIT)).await?)
    }

    /// Makes a book administrators keep (SPEC C11): nobody else reads it
    /// until access is given.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.add_kept", actor = %actor.label(), via = actor.via.code()))]
    pub async fn add_kept(&self, actor: &Actor, name: &str) -> Result<i64, ServiceError> {
        self.admin(actor, Action::Change)?;
        let name = check_name(name).map_err(|p| ServiceError::Invalid(Invalid::Source(p)))?;
        let id = self
            .ctx
            .store
            .add_kept_book(name)
            .await?
            .map_err(|p| ServiceError::Invalid(Invalid::Source(p)))?;
        tracing::info!(book = %name, id, "phonebook kept here added");
        Ok(id)
    }

    /// Brings a kept book to the contacts of a file (CSV or vCard, as the
    /// portal's import reads them): a row that was there already is left as
    /// it is (its notes stay), a changed one written again, one the file no
    /// longer has removed. `Err` says why the file was refused.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.fill", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn fill(
        &self,
        actor: &Actor,
        id: i64,
        file: Vec<u8>,
    ) -> Result<Result<SyncReport, String>, ServiceError> {
        self.admin(actor, Action::Change)?;
        let book = self.ctx.store.shared_book_list().await?.into_iter().find(|(b, _)| b.id == id && b.kept);
        let Some((book, _)) = book else { return Err(ServiceError::NotFound) };
        let parsed = tokio::task::spawn_blocking(move || records_of(&file, "the file")).await;
        let (records, report) = match parsed {
            Ok(Ok(r)) => r,
            Ok(Err(why)) => return Ok(Err(why)),
            Err(e) => return Ok(Err(format!("the file: {e}"))),
        };
        let _one = self.running.lock().await;
        let now = self.ctx.clock.now();
        let report = self
            .ctx
            .store
            .sync_directory_book(id, records, report, now)
            .await?
            .ok_or(ServiceError::NotFound)?;
        tracing::info!(book = %book.name, added = report.added, changed = report.changed, removed = report.removed, "phonebook kept here filled from a file");
        Ok(Ok(report))
    }

    /// Lets the file of CSV source `id` be edited (SPEC C10: "read-only
    /// unless the administrator allows edits"), or makes it read-only again.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.editable", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn set_editable(&self, actor: &Actor, id: i64, editable: bool) -> Result<(), ServiceError> {
        self.admin(actor, Action::Change)?;
        let books = self.ctx.store.directory_books().await?;
        let mut source = books.into_iter().find(|b| b.id == id).ok_or(ServiceError::NotFound)?.source;
        let Origin::Csv { editable: now, .. } = &mut source.origin else {
            return Err(ServiceError::Invalid(Invalid::Source(SourceProblem::EditableCsv)));
        };
        *now = editable;
        source.check().map_err(|p| ServiceError::Invalid(Invalid::Source(p)))?;
        match self.ctx.store.set_directory_source(id, &source).await? {
            true => {
                tracing::info!(id, editable, "phonebook source's file edits set");
                Ok(())
            }
            false => Err(ServiceError::NotFound),
        }
    }

    /// Makes a change to the file of an editable CSV source (`phonebook`'s
    /// save and delete, once access has said "change"), in the file's own
    /// layout, and brings the book to the file at once, so the next sync
    /// finds nothing to do. A contact whose name is its id (a file without an
    /// id column) keeps its notes when renamed. The contact's permanent id
    /// after the change (none for a removal).
    pub(super) async fn change_file(
        &self,
        id: i64,
        change: FileChange,
    ) -> Result<Option<String>, ServiceError> {
        let _one = self.running.lock().await;
        let books = self.ctx.store.directory_books().await?;
        let book = books.into_iter().find(|b| b.id == id).ok_or(ServiceError::NotFound)?;
        let Origin::Csv { path, editable: true } = book.source.origin else {
            return Err(ServiceError::NotFound);
        };
        let path = std::path::PathBuf::from(path);
        let written = tokio::task::spawn_blocking(move || rewrite(&path, &change))
            .await
            .map_err(|e| ServiceError::Files(e.to_string()))??;
        let Rewritten { records, report, was, uid } = written;
        let renamed = match (&was, &uid) {
            (Some(was), Some(uid)) if was != uid => Some((was.clone(), uid.clone())),
            _ => None,
        };
        let now = self.ctx.clock.now();
        let report = self
            .ctx
            .store
            .sync_edited_book(id, records, report, renamed, now)
            .await?
            .ok_or(ServiceError::NotFound)?;
        tracing::info!(book = %book.name, added = report.added, changed = report.changed, removed = report.removed, "phonebook source's file changed");
        Ok(uid)
    }

    /// Sets who reads shared book `id` (SPEC C11): what everyone may do with
    /// it and what each group's members may.
    #[tracing::instrument(name = "service", skip_all, fields(call = "directory.access", actor = %actor.label(), via = actor.via.code(), id))]
    pub async fn set_access(
        &self,
        actor: &Actor,
        id: i64,
        everyone: BookAccess,
        grants: Vec<(i64, BookAccess)>,
    ) -> Result<(), ServiceError> {
        self.admin(actor, Action::Change)?;
        match self.ctx.store.set_book_access(id, everyone, grants).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// The trash: notes of deleted books.
    pub async fn trash(&self, actor: &Actor) -> Result<Vec<TrashedNotes>, ServiceError> {
        self.admin(actor, Action::Read)?;
        Ok(self.ctx.store.trashed_notes().await?)
    }

    /// Restores a deleted book's notes (`restore`), or empties them for good.
    pub async fn empty_or_restore(
        &self,
        actor: &Actor,
        book: &str,
        restore: bool,
    ) -> Result<usize, ServiceError> {
        self.admin(actor, Action::Change)?;
        Ok(self.ctx.store.restore_notes(book, restore).await?)
    }

    /// Reads the source and brings its book to it; the outcome is kept and logged.
    async fn sync_book(
        &self,
        id: i64,
        name: &str,
        source: &Source,
    ) -> Result<Result<SyncReport, String>, ServiceError> {
        let _one = self.running.lock().await;
        let fetched = match tokio::time::timeout(SYNC, fetch(source)).await {
            Ok(f) => f,
            Err(_) => Err(format!("no answer within {} s", SYNC.as_secs())),
        };
        let now = self.ctx.clock.now();
        match fetched {
            Ok((records, report)) => {
                let Some(report) = self.ctx.store.sync_directory_book(id, records, report, now).await? else {
                    return Err(ServiceError::NotFound);
                };
                tracing::info!(
                    book = %name,
                    added = report.added,
                    changed = report.changed,
                    removed = report.removed,
                    unchanged = report.unchanged,
                    rejected = report.rejected.len(),
                    "phonebook source synced"
                );
                Ok(Ok(report))
            }
            Err(why) => {
                tracing::warn!(book = %name, error = %why, "phonebook source could not be read; its book keeps the last sync's contacts");
                self.ctx.store.directory_sync_failed(id, &why, now).await?;
                Ok(Err(why))
            }
        }
    }

    /// Syncs every source whose interval has passed (all of them at the start).
    async fn sync_due(&self, first: bool) {
        let books = match self.ctx.store.directory_books().await {
            Ok(b) => b,
            Err(e) => return tracing::error!(error = %e, "phonebook sources not read"),
        };
        let now = self.ctx.clock.now();
        for b in books {
            let last = b.last.as_ref().map_or(i64::MIN / 2, |l| l.at);
            if first || now - last >= i64::from(b.source.interval_min) * 60 {
                if let Err(e) = self.sync_book(b.id, &b.name, &b.source).await {
                    tracing::error!(book = %b.name, error = %e, "phonebook source not synced");
                }
            }
        }
    }
}

/// The sync task: every source at the start, then each on its interval.
pub async fn run(directories: Directories, mut shutdown: Shutdown) {
    let mut tick = tokio::time::interval(TICK);
    let mut first = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                directories.sync_due(first).await;
                first = false;
            }
            _ = shutdown.wait() => return,
        }
    }
}

/// The source's records, and a report holding the rows that were refused
/// (public for the benchmark of a sync).
pub async fn fetch(source: &Source) -> Result<(Vec<Record>, SyncReport), String> {
    match &source.origin {
        Origin::Csv { path, .. } => {
            let path = std::path::PathBuf::from(path);
            tokio::task::spawn_blocking(move || read_file(&path)).await.map_err(|e| e.to_string())?
        }
        Origin::Ldap(l) => Ok((search(l).await?, SyncReport::default())),
    }
}

/// A change to an editable file: a contact saved (under its permanent id, or
/// new) or deleted.
#[derive(Debug, Clone)]
pub(super) enum FileChange {
    Save(Option<String>, Box<Contact>),
    Delete(String),
}

/// A file after a change: its records as the next sync reads them, the id
/// the changed row had and has.
struct Rewritten {
    records: Vec<Record>,
    report: SyncReport,
    was: Option<String>,
    uid: Option<String>,
}

/// Makes `change` in the file at `path`: read, changed in its own layout
/// (`phonebook::sheet`), written beside it and moved over it, so a power cut
/// leaves the old file or the new one, never half of one.
fn rewrite(path: &std::path::Path, change: &FileChange) -> Result<Rewritten, ServiceError> {
    use std::io::{Read, Write};
    let shown = |e: std::io::Error| ServiceError::Files(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(shown)?;
    let mut bytes = Vec::new();
    file.take(MAX_EDITED_BYTES + 1).read_to_end(&mut bytes).map_err(shown)?;
    if bytes.len() as u64 > MAX_EDITED_BYTES {
        let size = format!("{} MiB", MAX_EDITED_BYTES >> 20);
        return Err(ServiceError::Invalid(Invalid::Contact(Problem::new("import.edit_too_large", &size))));
    }
    let key = |c: &Contact| record_of_row(c.clone()).uid;
    let edit = match change {
        FileChange::Save(None, c) => sheet::edit(&bytes, key, Change::Add(c)),
        FileChange::Save(Some(uid), c) => sheet::edit(&bytes, key, Change::Replace(uid, c)),
        FileChange::Delete(uid) => sheet::edit(&bytes, key, Change::Remove(uid)),
    };
    let edited =
        edit.map_err(|p| ServiceError::Invalid(Invalid::Contact(p)))?.ok_or(ServiceError::NotFound)?;
    let was = match change {
        FileChange::Save(uid, _) => uid.clone(),
        FileChange::Delete(_) => None,
    };
    let uid = edited.contact.map(|c| record_of_row(c).uid);
    let beside = path.with_file_name(format!(
        ".{}.webcti-new",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    ));
    // A new file of our own: what a broken earlier edit left there goes, and
    // a link put in its place is not followed.
    let _ = std::fs::remove_file(&beside);
    let written =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&beside).and_then(|mut out| {
            if let Ok(meta) = std::fs::metadata(path) {
                out.set_permissions(meta.permissions())?;
            }
            out.write_all(&edited.bytes)?;
            out.sync_all()?;
            std::fs::rename(&beside, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&beside);
        return Err(shown(e));
    }
    if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
    let (records, report) =
        records_of(&edited.bytes, &path.display().to_string()).map_err(ServiceError::Files)?;
    Ok(Rewritten { records, report, was, uid })
}

/// A contact file, read as the portal's import reads one.
fn read_file(path: &std::path::Path) -> Result<(Vec<Record>, SyncReport), String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    records_of(&bytes, &path.display().to_string())
}

/// A contact file's records (each row's fingerprint its change marker), and a
/// report holding the rows that were refused; `label` names the file in errors.
fn records_of(bytes: &[u8], label: &str) -> Result<(Vec<Record>, SyncReport), String> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("{label}: larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    // The log's and the page's words are English, as the servers' are.
    let tr = crate::i18n::Tr::new("en");
    let parsed = crate::phonebook::parse(bytes, None).map_err(|e| format!("{label}: {}", tr.t(e.key())))?;
    let rejected = parsed
        .rejected
        .iter()
        .take(SHOWN_REJECTED)
        .map(|r| format!("line {}: {}", r.line, tr.f(r.problem.key, "detail", &r.problem.detail)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    // Two rows of one person: the first is taken.
    let records = parsed
        .contacts
        .into_iter()
        .map(|(_, c)| record_of_row(c))
        .filter(|r| seen.insert(r.uid.clone()))
        .collect();
    Ok((records, SyncReport { rejected, ..SyncReport::default() }))
}

/// An LDAP directory's entries, page by page.
async fn search(l: &Ldap) -> Result<Vec<Record>, String> {
    use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
    use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
    let said = |e: ldap3::LdapError| e.to_string();
    let mut settings = LdapConnSettings::new().set_conn_timeout(CONNECT).set_starttls(l.starttls);
    if l.starttls || l.url.to_ascii_lowercase().starts_with("ldaps://") {
        settings = settings.set_config(Arc::new(tls_config(&l.ca_pem)?));
    }
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &l.url).await.map_err(said)?;
    ldap3::drive!(conn);
    if !l.bind_dn.is_empty() {
        ldap.simple_bind(&l.bind_dn, &l.password).await.map_err(said)?.success().map_err(said)?;
    }
    let m = l.mapping();
    let adapters: Vec<Box<dyn Adapter<'_, &str, Vec<&str>>>> =
        vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(PAGE))];
    let mut stream = ldap
        .streaming_search_with(adapters, &l.base, Scope::Subtree, &l.filter, m.attributes())
        .await
        .map_err(said)?;
    let mut records = Vec::new();
    while let Some(entry) = stream.next().await.map_err(said)? {
        if records.len() >= MAX_RECORDS {
            return Err(format!("the directory holds more than {MAX_RECORDS} entries for this filter"));
        }
        let e = SearchEntry::construct(entry);
        let binary =
            e.bin_attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(&m.id)).and_then(|(_, v)| v.first());
        if let Some(r) = record_of(&e.dn, &e.attrs, binary.map(Vec::as_slice), &m) {
            records.push(r);
        }
    }
    stream.finish().await.success().map_err(said)?;
    let _ = ldap.unbind().await;
    Ok(records)
}

/// TLS towards a directory: the board's trust store and the certificate the
/// administrator gave for it.
fn tls_config(ca_pem: &str) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    if !ca_pem.trim().is_empty() {
        for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let c = c.map_err(|e| format!("the directory's certificate: {e}"))?;
            roots.add(c).map_err(|e| format!("the directory's certificate: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
