//! Retention: call records and voicemail index entries beyond the configured age
//! or count (and callback list entries resolved a month ago) are pruned at start and then on an interval, in small batches, each
//! its own short write, so intake is never held up for long.

use std::time::Duration;

use crate::config::Retention;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};

const DAY: i64 = 86_400;

/// How many rows one pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub cdrs: u64,
    pub voicemails: u64,
    pub journal: u64,
    /// Callback list entries resolved long ago (`domain::callback::KEEP_DONE_SECS`).
    pub callbacks: u64,
}

/// Prunes everything the policy says is too old or too many, as of `now` (Unix
/// seconds), batch by batch.
pub async fn prune(store: &Store, policy: &Retention, now: i64) -> Result<Pruned, StoreError> {
    let cutoff = |days: u32| (days > 0).then(|| now - i64::from(days) * DAY);
    let keep = |n: u64| (n > 0).then_some(n);
    let mut out = Pruned::default();
    loop {
        let n = store
            .prune_cdrs(cutoff(policy.cdr_max_age_days), keep(policy.cdr_max_count), policy.batch)
            .await?;
        out.cdrs += n;
        if n == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    loop {
        let n = store
            .prune_voicemail(
                cutoff(policy.voicemail_max_age_days),
                keep(policy.voicemail_max_count),
                policy.batch,
            )
            .await?;
        out.voicemails += n;
        if n == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    while let Some(before) = cutoff(policy.journal_max_age_days) {
        let n = store.prune_journal(before, policy.batch).await?;
        out.journal += n;
        if n == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let done_before = now - crate::domain::callback::KEEP_DONE_SECS;
    out.callbacks = store.prune_callbacks(done_before).await? as u64;
    Ok(out)
}

/// Prunes at start and then every `policy.interval_secs` until the stop.
pub async fn run(store: Store, policy: Retention, mut shutdown: Shutdown) {
    let mut tick = tokio::time::interval(Duration::from_secs(policy.interval_secs));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait() => return,
        }
        let now = crate::system::clock::wall_clock();
        match prune(&store, &policy, now).await {
            Ok(p) if p.cdrs + p.voicemails + p.journal > 0 => {
                tracing::info!(
                    cdrs = p.cdrs,
                    voicemails = p.voicemails,
                    journal = p.journal,
                    "pruned old records"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning failed"),
        }
    }
}
