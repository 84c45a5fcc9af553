//! Call notifications (SPEC M1): a subscriber whose manager or administrator
//! turned them on gets an e-mail about each answered, or each missed, call to
//! his extension, through the mail server set now. It follows the bus's call
//! records; when mail is slower than calls arrive, the bus's bound drops the
//! oldest and says how many (memory stays bounded), and one slow server holds
//! up only these mails.

use tokio::sync::broadcast::error::RecvError;

use super::bus::{Bus, Live};
use super::mail::PostOffice;
use crate::domain::cdr::{Cdr, Direction, Disposition};
use crate::domain::time;
use crate::i18n::Tr;
use crate::shutdown::Shutdown;
use crate::store::Store;

/// The mail about `cdr`, if its extension wants one, in the subscriber's
/// language `t`: (subject, body).
pub fn about(cdr: &Cdr, notify_answered: bool, notify_missed: bool, t: Tr) -> Option<(String, String)> {
    if cdr.direction != Direction::Incoming {
        return None;
    }
    let caller = if cdr.withheld || cdr.peer.is_empty() { t.t("mail.withheld") } else { cdr.peer.as_str() };
    let what = match cdr.disposition {
        Disposition::Answered if notify_answered => t.t("mail.answered"),
        Disposition::Answered | Disposition::AnsweredElsewhere => return None,
        _ if notify_missed => t.t("mail.missed"),
        _ => return None,
    };
    let subject = t.fill("mail.call_subject", &[("what", what), ("caller", caller)]);
    let at = time::iso(cdr.started_at);
    let body = t.fill(
        "mail.call_body",
        &[("what", what), ("ext", &cdr.extension), ("caller", caller), ("time", &at)],
    );
    Some((subject, format!("{body}\r\n")))
}

/// Runs until the stop.
pub async fn run(store: Store, bus: Bus, post: PostOffice, mut shutdown: Shutdown) {
    let mut events = bus.subscribe();
    loop {
        let published = tokio::select! {
            e = events.recv() => e,
            _ = shutdown.wait() => return,
        };
        let cdr = match published {
            Ok(p) => match &p.live {
                Live::CallRecord { cdr } => cdr.clone(),
                _ => continue,
            },
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(dropped = n, "call notifications fell behind; some were not sent");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if cdr.direction != Direction::Incoming {
            continue;
        }
        let Ok(Some(p)) = store.profile(&cdr.extension).await else { continue };
        let t = Tr::new(&p.language);
        let Some((subject, body)) = about(&cdr, p.notify_answered, p.notify_missed, t) else { continue };
        if p.email.is_empty() {
            continue;
        }
        let Some(mailer) = post.mailer() else {
            tracing::warn!(extension = %cdr.extension, "a call notification is due, but no mail server is set");
            continue;
        };
        match mailer.send(&p.email, &subject, &body).await {
            Ok(()) => tracing::info!(extension = %cdr.extension, "call notification sent"),
            Err(e) => tracing::warn!(extension = %cdr.extension, error = %e, "call notification not sent"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdr(direction: Direction, disposition: Disposition) -> Cdr {
        Cdr {
            core_id: 1,
            extension: "100".into(),
            direction,
            disposition,
            peer: "0221111111".into(),
            external: true,
            withheld: false,
            voicemail_listen: false,
            answered_by: None,
            started_at: 1_790_000_000,
            ring_secs: 5,
            talk_secs: 0,
        }
    }

    #[test]
    fn which_calls_are_mailed() {
        use Direction::*;
        use Disposition::*;
        let cases = [
            (Incoming, Missed, (false, true), Some("WebCTI: Missed call from 0221111111")),
            (Incoming, Missed, (true, false), None),
            (Incoming, Answered, (true, false), Some("WebCTI: Answered call from 0221111111")),
            (Incoming, Answered, (false, true), None),
            (Incoming, AnsweredElsewhere, (true, true), None),
            (Outgoing, Missed, (true, true), None),
        ];
        for (dir, disp, (answered, missed), expect) in cases {
            let got = about(&cdr(dir, disp), answered, missed, Tr::new("en")).map(|(s, _)| s);
            assert_eq!(got.as_deref(), expect, "{dir:?} {disp:?} {answered} {missed}");
        }
    }

    #[test]
    fn the_mail_speaks_the_subscribers_language() {
        let withheld = Cdr { withheld: true, ..cdr(Direction::Incoming, Disposition::Missed) };
        let (subject, body) = about(&withheld, false, true, Tr::new("de")).expect("a mail");
        assert_eq!(subject, "WebCTI: Verpasster Anruf von einer unterdrückten Nummer");
        assert!(body.starts_with("Verpasster Anruf an Nebenstelle 100"), "{body}");
        let (subject, _) = about(&withheld, false, true, Tr::new("pl")).expect("a mail");
        assert_eq!(subject, "WebCTI: Nieodebrane połączenie z numeru zastrzeżonego");
    }
}
