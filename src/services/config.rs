//! The exchange's configuration as one document (SPEC S4): departments, what
//! an administrator sets about each extension, its forwarding, and the
//! board's settings (exposure and the mail server), but no call records,
//! voicemail, passwords or keys, and nothing of the Security area (tokens,
//! the two-factor policy), which a provisioning token's scopes never cover. Applying a document makes
//! the exchange the same: departments it does not name go (their extensions
//! to the pool), every extension it names gets what it says. A new board set
//! up from an old one's export is that board, but for its secrets.
//!
//! The whole document is checked first, each part by the service that owns
//! it (the bulk import's rows, the forwarding page's rules against the
//! restriction the document gives, the SMTP page's checks); a dry run stops
//! there. Nothing is written while any part is refused.

use std::collections::HashMap;

use super::employees::Employees;
use super::exposure::{Exposures, Switches};
use super::forwarding::Forwarding;
use super::provision::{Bulk, ImportReport, Outcome, Provision, Refusal, RowKind, RowReport};
use super::smtp::{SmtpChange, SmtpSettings, SmtpView};
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::domain::program::{ExtensionProgram, Restriction};
use crate::services::forwarding::ForwardingChange;

/// The board-wide settings a document carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardSettings<S> {
    pub switches: Switches,
    /// The mail server; `None`: none is set (a document without one leaves
    /// the board's as it is).
    pub smtp: Option<S>,
}

/// The configuration as exported.
#[derive(Debug, Clone)]
pub struct Exported {
    pub bulk: Bulk,
    /// Each extension's forwarding, in the order of `bulk.extensions`.
    pub programs: Vec<ExtensionProgram>,
    pub board: BoardSettings<SmtpView>,
}

/// A document to apply: every extension whole, with its forwarding.
#[derive(Debug, Clone)]
pub struct Desired {
    pub bulk: Bulk,
    /// The forwarding of the extension of `bulk.extensions` with the same index.
    pub forwarding: Vec<Option<ForwardingChange>>,
    pub board: BoardSettings<SmtpChange>,
}

#[derive(Clone)]
pub struct Configuration {
    ctx: Context,
    provision: Provision,
    employees: Employees,
    forwarding: Forwarding,
    exposure: Exposures,
    smtp: SmtpSettings,
}

fn board_row(key: &str, outcome: Outcome) -> RowReport {
    RowReport { row: 1, kind: RowKind::Board, key: key.to_owned(), outcome }
}

impl Configuration {
    pub fn new(
        ctx: Context,
        provision: Provision,
        employees: Employees,
        forwarding: Forwarding,
        exposure: Exposures,
        smtp: SmtpSettings,
    ) -> Configuration {
        Configuration { ctx, provision, employees, forwarding, exposure, smtp }
    }

    /// The whole configuration.
    #[tracing::instrument(name = "service", skip_all, fields(call = "config.export", actor = %actor.label(), via = actor.via.code()))]
    pub async fn export(&self, actor: &Actor) -> Result<Exported, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Board))?;
        let bulk = self.provision.export(actor).await?;
        let mut all: HashMap<_, _> = self.forwarding.programs(actor).await?.into_iter().collect();
        let programs = bulk
            .extensions
            .iter()
            .map(|e| all.remove(&e.number).ok_or(ServiceError::NotFound))
            .collect::<Result<_, _>>()?;
        let smtp = self.smtp.view(actor).await?;
        let board = BoardSettings {
            switches: self.exposure.view(actor)?.switches,
            smtp: Some(smtp).filter(|s| !s.host.is_empty()),
        };
        Ok(Exported { bulk, programs, board })
    }

    /// Checks `desired` whole and, unless `dry_run` or a part is refused,
    /// makes the exchange what it says. The report has a row for each
    /// department, extension, forwarding, board setting, CTI account and CTI group.
    #[tracing::instrument(name = "service", skip_all, fields(call = "config.apply", actor = %actor.label(), via = actor.via.code(), dry_run))]
    pub async fn apply(
        &self,
        actor: &Actor,
        desired: &Desired,
        dry_run: bool,
    ) -> Result<ImportReport, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Board))?;
        let mut report = self.provision.import(actor, &desired.bulk, true).await?;
        // Departments the document does not name go.
        let named = |n: &str| {
            let dept = |e: &super::provision::ExtensionRow| {
                e.department.iter().flatten().chain(e.manages.iter().flatten()).any(|d| d.trim() == n)
            };
            desired.bulk.departments.iter().any(|d| d.trim() == n) || desired.bulk.extensions.iter().any(dept)
        };
        let gone: Vec<_> =
            self.employees.departments(actor).await?.into_iter().filter(|d| !named(&d.name)).collect();
        for d in &gone {
            report.rows.push(RowReport {
                row: 0,
                kind: RowKind::Department,
                key: d.name.clone(),
                outcome: Outcome::Removed,
            });
        }
        // Each forwarding against the restriction and MobilePhone number the
        // extension is to have.
        for (e, f) in desired.bulk.extensions.iter().zip(&desired.forwarding) {
            let Some(f) = f else { continue };
            let now = self.employees.record(actor, e.number.trim()).await.ok();
            let restriction = e.restriction.as_deref().and_then(Restriction::from_code);
            let becomes = now.map(|(old, _)| {
                let mobile = e.mobile.clone().unwrap_or(old.mobile);
                (
                    restriction.unwrap_or(old.restriction),
                    Some(mobile.trim().to_owned()).filter(|m| !m.is_empty()),
                )
            });
            let outcome = match self.forwarding.check(actor, e.number.trim(), f, becomes).await {
                Ok(fields) if fields.is_empty() => Outcome::Unchanged,
                Ok(fields) => Outcome::Changed(fields),
                Err(ServiceError::Invalid(i)) => Outcome::Refused(Refusal::Rule(i)),
                Err(ServiceError::NotFound) => Outcome::Refused(Refusal::NoSuchExtension),
                Err(other) => return Err(other),
            };
            report.rows.push(RowReport {
                row: e.row,
                kind: RowKind::Forwarding,
                key: e.number.clone(),
                outcome,
            });
        }
        let b = &desired.board;
        let switches = self.exposure.view(actor)?.switches;
        let same =
            |changed: bool, field| if changed { Outcome::Changed(vec![field]) } else { Outcome::Unchanged };
        report
            .rows
            .push(board_row("https_only", same(switches.https_only != b.switches.https_only, "https_only")));
        report
            .rows
            .push(board_row("wan_webcti", same(switches.wan_webcti != b.switches.wan_webcti, "wan_webcti")));
        if let Some(smtp) = &b.smtp {
            let outcome = match self.smtp.check(actor, smtp).await {
                Ok(changed) => same(changed, "smtp"),
                Err(ServiceError::Invalid(i)) => Outcome::Refused(Refusal::Rule(i)),
                Err(other) => return Err(other),
            };
            report.rows.push(board_row("smtp", outcome));
        }
        if dry_run || report.refused() {
            return Ok(report);
        }
        // Written, part by part, each by its own service call.
        let written = self.provision.import(actor, &desired.bulk, false).await?;
        if !written.applied {
            return Ok(written);
        }
        for d in gone {
            self.employees.delete_department(actor, d.id).await?;
        }
        for (e, f) in desired.bulk.extensions.iter().zip(&desired.forwarding) {
            let changes = report.rows.iter().any(|r| {
                r.kind == RowKind::Forwarding && r.key == e.number && matches!(r.outcome, Outcome::Changed(_))
            });
            if let (Some(f), true) = (f, changes) {
                self.forwarding.save(actor, e.number.trim(), f.clone()).await?;
            }
        }
        if switches != b.switches {
            self.exposure.set(actor, b.switches).await?;
        }
        if let Some(smtp) = &b.smtp {
            if self.smtp.check(actor, smtp).await? {
                self.smtp.save(actor, smtp.clone()).await?;
            }
        }
        tracing::info!(actor = %actor.label(), rows = report.rows.len(), "configuration applied");
        report.applied = true;
        Ok(report)
    }
}
