//! The call history (SPEC W5) and the start page's panels (SPEC W3): an
//! extension's calls, filtered and paged; missed calls one row per number with
//! how many there were; the recent calls; the newest voicemail; and the names
//! the subscriber knows for those numbers.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Context, Invalid, ServiceError};
use crate::domain::access::{Action, Actor, Area, Facet, Target};
use crate::domain::cdr::{Cdr, CdrCursor, HistoryQuery, HistoryRow, NoteEdit};
use crate::domain::dialplan::Form;
use crate::domain::phonebook::check_note;
use crate::domain::voicemail::Voicemail;
use crate::store::cdr::PanelRows;
use crate::store::kept::Kept;

/// Records a page of [`History::records`] holds at most.
pub const MAX_RECORDS: u32 = crate::store::cdr::MAX_PAGE;

/// The missed calls the missed panel counts by number (it shows the newest
/// numbers among them, each with how many times it called).
const MISSED_SEEN: u32 = 100;

/// Rows each panel shows.
pub const PANEL_ROWS: usize = 5;
/// Notes one page may send at once: a history page shows 50 calls.
pub const MAX_NOTES_SENT: usize = 200;

#[derive(Clone)]
pub struct History {
    ctx: Context,
    /// The panels as last read for an extension, with and without the names of
    /// its books: every open start page fetches them again at each event.
    panels: Arc<Kept<(String, bool), Arc<Panels>>>,
}

/// What the start page's changing panels show.
#[derive(Debug, Clone, Default)]
pub struct Panels {
    /// The latest missed call of each number, with how many there were.
    pub missed: Vec<(HistoryRow, usize)>,
    pub recent: Vec<HistoryRow>,
    pub voicemails: Vec<Voicemail>,
    /// Names for the numbers shown.
    pub names: HashMap<String, String>,
}

impl History {
    pub fn new(ctx: Context) -> History {
        History { ctx, panels: Arc::default() }
    }

    /// One page of an extension's history.
    #[tracing::instrument(name = "service", skip_all, fields(call = "history.page", actor = %actor.label(), via = actor.via.code()))]
    pub async fn page(&self, actor: &Actor, q: HistoryQuery) -> Result<Vec<HistoryRow>, ServiceError> {
        self.ctx.may(actor, Action::Read, &q.extension, Facet::History).await?;
        Ok(self.ctx.store.history(q).await?)
    }

    /// The exchange's call records in the order they arrived, after `after`
    /// (the billing export); only `extension`'s when given, which its manager
    /// may read too.
    #[tracing::instrument(name = "service", skip_all, fields(call = "history.records", actor = %actor.label(), via = actor.via.code()))]
    pub async fn records(
        &self,
        actor: &Actor,
        after: CdrCursor,
        extension: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(CdrCursor, Cdr, i64)>, ServiceError> {
        match extension {
            Some(ext) => self.ctx.may(actor, Action::Read, ext, Facet::History).await?,
            None => self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Records))?,
        }
        Ok(self.ctx.store.cdrs_after(after, extension.map(str::to_owned), limit).await?)
    }

    /// Keeps `text` as the note on one of `ext`'s calls, its record
    /// `core_id` (SPEC C13): the history shows it. Empty: the note goes.
    #[tracing::instrument(name = "service", skip_all, fields(call = "history.note", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn note(&self, actor: &Actor, ext: &str, core_id: u64, text: &str) -> Result<(), ServiceError> {
        let typed = vec![(core_id, text.to_owned())];
        self.notes(actor, ext, typed, Some(core_id), &HashMap::new()).await.map(|_| ())
    }

    /// Keeps the notes typed on the history's page, sent together (SPEC
    /// C13): the one asked for (`chosen`) as typed, the others where they
    /// differ from the stored note and that is still the one the page showed
    /// (`shown`: each record's [`note_mark`](crate::domain::cdr::note_mark), none for a call without a note);
    /// so a page left open in another tab never puts back a note changed
    /// since. All or nothing: a note that is none, or a call not his, changes
    /// nothing. How many changed.
    #[tracing::instrument(name = "service", skip_all, fields(call = "history.notes", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn notes(
        &self,
        actor: &Actor,
        ext: &str,
        typed: Vec<(u64, String)>,
        chosen: Option<u64>,
        shown: &HashMap<u64, String>,
    ) -> Result<usize, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::CallNotes).await?;
        if typed.len() > MAX_NOTES_SENT {
            return Err(ServiceError::Invalid(Invalid::Note));
        }
        let mut edits = Vec::with_capacity(typed.len());
        for (id, text) in typed {
            let text = match text.trim() {
                "" => None,
                t => Some(check_note(t).ok_or(ServiceError::Invalid(Invalid::Note))?.to_owned()),
            };
            let shown = (chosen != Some(id)).then(|| shown.get(&id).cloned().unwrap_or_default());
            edits.push(NoteEdit { id, text, shown });
        }
        let now = self.ctx.clock.now();
        self.ctx.store.set_call_notes(ext, edits, actor.label(), now).await?.ok_or(ServiceError::NotFound)
    }

    /// The names known for these numbers, as the subscriber of `ext` knows them:
    /// extensions, his private book, then the public book; each number read as
    /// its form says (domain::dialplan).
    #[tracing::instrument(name = "service", skip_all, fields(call = "history.names", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn names(
        &self,
        actor: &Actor,
        ext: &str,
        numbers: Vec<(String, Form)>,
    ) -> Result<HashMap<String, String>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner: ext })?;
        Ok(self.ctx.store.names_for(ext, numbers).await?)
    }

    /// The start page's missed, recent and voicemail panels.
    #[tracing::instrument(name = "service", skip_all, fields(call = "history.panels", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn panels(&self, actor: &Actor, ext: &str) -> Result<Arc<Panels>, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::History).await?;
        self.ctx.may(actor, Action::Read, ext, Facet::Voicemail).await?;
        // The names come from his books: read with the rows, if he may read them.
        let books = self.ctx.may_do(actor, Action::Read, Target::PrivateBook { owner: ext }).is_ok();
        // As read before while the store wrote nothing since (no call record,
        // voicemail, contact or dialling plan: every one moves the stamp).
        let stamp = self.ctx.store.stamp();
        let key = (ext.to_owned(), books);
        if let Some(kept) = self.panels.get(&key, stamp) {
            return Ok(kept);
        }
        let shown: fn(&PanelRows) -> Vec<(String, Form)> = |rows| {
            let (missed, recent) = panel_calls(&rows.missed, &rows.incoming, &rows.outgoing);
            let calls = missed
                .into_iter()
                .map(|(h, _)| h)
                .chain(recent)
                .map(|h| (h.cdr.peer.clone(), h.cdr.peer_form()));
            calls.chain(rows.voicemails.iter().map(|v| (v.caller.clone(), Form::Written))).collect()
        };
        let rows =
            self.ctx.store.panel_rows(ext, MISSED_SEEN, PANEL_ROWS as u32, books.then_some(shown)).await?;
        let (missed, recent) = panel_calls(&rows.missed, &rows.incoming, &rows.outgoing);
        let missed = missed.into_iter().map(|(h, n)| (h.clone(), n)).collect();
        let recent = recent.into_iter().cloned().collect();
        let panels = Arc::new(Panels { missed, recent, voicemails: rows.voicemails, names: rows.names });
        self.panels.keep(key, stamp, panels.clone());
        Ok(panels)
    }
}

/// What the missed and recent panels show of the rows read: the newest
/// numbers among the missed calls, each with how many times it called; and
/// the newest answered calls either way.
fn panel_calls<'a>(
    missed: &'a [HistoryRow],
    incoming: &'a [HistoryRow],
    outgoing: &'a [HistoryRow],
) -> (Vec<(&'a HistoryRow, usize)>, Vec<&'a HistoryRow>) {
    let mut by_number: Vec<(&HistoryRow, usize)> = Vec::new();
    for h in missed {
        match by_number.iter().position(|(r, _)| r.cdr.peer == h.cdr.peer) {
            Some(i) => by_number[i].1 += 1,
            None if by_number.len() < PANEL_ROWS => by_number.push((h, 1)),
            None => {}
        }
    }
    let mut recent: Vec<&HistoryRow> = incoming.iter().chain(outgoing).collect();
    recent.sort_by_key(|h| std::cmp::Reverse((h.cdr.started_at, h.id)));
    recent.truncate(PANEL_ROWS);
    (by_number, recent)
}
