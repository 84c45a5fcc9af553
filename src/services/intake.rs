//! Intake of what the core reports: call records into the store (acknowledged to
//! the core only after the commit), voicemail into its index, and everything live
//! onto the bus.
//!
//! Records are committed in batches: a batch closes after [`FLUSH_AFTER`] or at
//! [`MAX_BATCH`] records. Until then they are not acknowledged, so the core still
//! holds them and a crash loses nothing; and one commit for many records spares
//! the flash. A record the core sends twice is recognised by its id and
//! acknowledged again, never stored twice.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::bus::{Bus, Live, Names};
use crate::domain::account::is_extension;
use crate::domain::cdr::Cdr;
use crate::domain::line::Progress;
use crate::domain::program::PhoneChange;
use crate::hal::proto::Event;
use crate::hal::SwitchCore;
use crate::shutdown::Shutdown;
use crate::store::cdr::Intake;
use crate::store::voicemail::Voicemail;
use crate::store::Store;
use crate::system::clock::Clock;

pub const FLUSH_AFTER: Duration = Duration::from_millis(500);
pub const MAX_BATCH: usize = 200;
/// After a failed commit, the batch is tried again this much later.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Changes keyed in at phones, on their way to [`super::forwarding::Forwarding::from_phone`].
pub type PhoneChanges = mpsc::Sender<(String, PhoneChange)>;
/// Phone changes waiting at most; beyond, they are dropped with an error logged
/// (the next resync then programs the core back from the store).
pub const PHONE_QUEUE: usize = 256;
/// Lines the core reports that the store has no extension for are made
/// extensions together, this long after the first of them (a snapshot at link-up
/// reports every line at once: one commit for them all).
pub const LEARN_AFTER: Duration = Duration::from_millis(200);
/// The most lines one exchange is taken to have: numbers beyond are not learnt.
pub const MAX_LINES: usize = 10_000;

/// Runs until the core's event stream ends or the stop comes; what is pending is
/// committed before it returns. Changes keyed in at phones are dropped.
pub async fn run(core: Arc<dyn SwitchCore>, store: Store, bus: Bus, clock: Clock, shutdown: Shutdown) {
    run_with(core, store, bus, clock, None, shutdown).await
}

/// As [`run`], handing changes keyed in at phones to `phone`.
pub async fn run_with(
    core: Arc<dyn SwitchCore>,
    store: Store,
    bus: Bus,
    clock: Clock,
    phone: Option<PhoneChanges>,
    mut shutdown: Shutdown,
) {
    let Some(mut events) = core.take_events() else {
        tracing::error!("the core's events are already taken");
        return;
    };
    let mut health = core.health();
    let mut batch: Vec<Cdr> = Vec::new();
    let mut deadline: Option<Instant> = None;
    let mut was_up = health.is_up();
    // The exchange's numbering is the core's: a line it reports is an extension.
    let mut known: HashSet<String> = HashSet::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut learn_at: Option<Instant> = None;
    loop {
        let flush_at = deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let learn = learn_at.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            ev = events.recv() => match ev {
                None => break,
                Some(ev) => match ev.event {
                    Event::Cdr(cdr) => {
                        batch.push(cdr.into());
                        deadline.get_or_insert_with(|| Instant::now() + FLUSH_AFTER);
                        if batch.len() >= MAX_BATCH {
                            deadline = flush(&*core, &store, &bus, &mut batch).await;
                        }
                    }
                    Event::VoicemailDeposited { record_id, ext, caller, at, duration_secs } => {
                        let v = Voicemail { core_id: record_id, extension: ext.clone(), caller: caller.clone(), received_at: at, duration_secs, heard_at: None };
                        match store.insert_voicemail(v).await {
                            Ok(true) => { bus.publish(Live::Voicemail { ext, caller, at }); }
                            Ok(false) => {}
                            Err(e) => tracing::error!(error = %e, "voicemail not stored"),
                        }
                    }
                    Event::VoicemailHeard { record_id, .. } => {
                        if let Err(e) = store.voicemail_heard(record_id, clock.now()).await {
                            tracing::error!(error = %e, "voicemail not marked heard");
                        }
                    }
                    Event::Line { ext, state } => {
                        if !known.contains(&ext) && known.len() + unknown.len() < MAX_LINES && is_extension(&ext) {
                            known.insert(ext.clone());
                            unknown.push(ext.clone());
                            learn_at.get_or_insert_with(|| Instant::now() + LEARN_AFTER);
                        }
                        bus.publish(Live::Line { ext, state: state.into() });
                    }
                    Event::Call { call, progress, from, to, at } => {
                        let progress: Progress = progress.into();
                        // Looked up at a call's first event; the bus keeps them while it is up.
                        let known = match bus.names_of(call) {
                            Some(n) => n,
                            None => match store.party_names(&from, &to).await {
                                Ok((from, to)) => Names { from, to },
                                Err(e) => {
                                    tracing::warn!(error = %e, "a call's parties not looked up");
                                    Names::default()
                                }
                            },
                        };
                        bus.publish(Live::Call { call, progress, from, to, at, names: known });
                    }
                    Event::CreditLow { ext, call, credit } => { bus.publish(Live::Credit { ext, call, credit: Some(credit) }); }
                    Event::CreditCleared { ext, call } => {
                        tracing::info!(extension = %ext, call, "the exchange cleared a call: its credit ran out");
                        bus.publish(Live::Credit { ext, call, credit: None });
                    }
                    Event::PhoneChanged { ext, change } => {
                        let taken = phone.as_ref().map(|p| p.try_send((ext.clone(), change.into())));
                        if !matches!(taken, Some(Ok(()))) {
                            tracing::error!(extension = %ext, "a change keyed in at the phone was not taken");
                        }
                    }
                }
            },
            _ = tokio::time::sleep_until(learn), if learn_at.is_some() => {
                learn_at = None;
                let numbers = std::mem::take(&mut unknown);
                match store.learn_extensions(numbers.clone(), clock.now()).await {
                    Ok(learnt) if !learnt.is_empty() => {
                        tracing::info!(count = learnt.len(), first = %learnt[0], "extensions learnt from the core's lines");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        // Asked again when the lines are next reported.
                        tracing::error!(error = %e, "extensions not learnt from the core's lines");
                        for n in &numbers {
                            known.remove(n);
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(flush_at), if deadline.is_some() => {
                deadline = flush(&*core, &store, &bus, &mut batch).await;
            }
            _ = health.wait_for(!was_up) => {
                was_up = !was_up;
                bus.publish(Live::CoreLink { up: was_up });
            }
            _ = shutdown.wait() => break,
        }
    }
    if !batch.is_empty() {
        flush(&*core, &store, &bus, &mut batch).await;
    }
}

/// Commits the batch, then acknowledges it. Returns when to try again, if it failed.
async fn flush(core: &dyn SwitchCore, store: &Store, bus: &Bus, batch: &mut Vec<Cdr>) -> Option<Instant> {
    let cdrs = std::mem::take(batch);
    match store.insert_cdrs(cdrs.clone()).await {
        Ok(outcome) => {
            let ids = cdrs.iter().map(|c| c.core_id).collect();
            let mut lists = Vec::new();
            for (cdr, intake) in cdrs.into_iter().zip(outcome) {
                match intake {
                    Intake::Stored => {
                        bus.publish(Live::CallRecord { cdr });
                    }
                    Intake::StoredOnList(department) => {
                        bus.publish(Live::CallRecord { cdr });
                        lists.push(department);
                    }
                    Intake::Duplicate => {}
                }
            }
            lists.sort_unstable();
            lists.dedup();
            for department in lists {
                bus.publish(Live::Callbacks { department });
            }
            // Lost acknowledgements are harmless: the core resends, and the store
            // recognises what it already has.
            if let Err(e) = core.ack_cdrs(ids).await {
                tracing::debug!(error = %e, "acknowledgement not delivered");
            }
            None
        }
        Err(e) => {
            tracing::error!(error = %e, records = cdrs.len(), "call records not stored; will retry");
            *batch = cdrs;
            Some(Instant::now() + RETRY_AFTER)
        }
    }
}
