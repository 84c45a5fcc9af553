//! The administrator's pages (SPEC A1-A7), each taking an [`Administrator`]:
//! for now "About", what runs here and how it fares.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{render, HttpError};
use super::i18n::Tr;
use super::session::Administrator;
use super::HttpState;
use crate::services::about::AboutView;

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
        v,
    };
    render(page)
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
