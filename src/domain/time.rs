//! Unix seconds as calendar dates (UTC), without a time-zone database: pages send
//! UTC in `<time datetime>` and the browser shows it in the subscriber's own zone.

/// `(year, month, day, hour, minute, second)` of Unix seconds, UTC.
pub fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's days-from-civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, (secs / 3600) as u32, ((secs % 3600) / 60) as u32, (secs % 60) as u32)
}

/// `2026-11-22T10:05:00Z`
pub fn iso(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    let mut out = date(y, mo, d);
    out.push('T');
    for (n, end) in [(h, ':'), (mi, ':'), (s, 'Z')] {
        two(&mut out, n);
        out.push(end);
    }
    out
}

/// `2026-11-22 10:05 UTC`, shown until the browser puts it in local time.
pub fn short(t: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(t);
    let mut out = date(y, mo, d);
    out.push(' ');
    two(&mut out, h);
    out.push(':');
    two(&mut out, mi);
    out.push_str(" UTC");
    out
}

/// `2026-11-22`, in a string with room for the time after it. A history page
/// writes two of these per call: written digit by digit, not through
/// `format!`'s padding.
fn date(y: i64, mo: u32, d: u32) -> String {
    let mut out = String::with_capacity(20);
    match u32::try_from(y) {
        Ok(y) if y <= 9999 => {
            two(&mut out, y / 100);
            two(&mut out, y % 100);
        }
        _ => out.push_str(&format!("{y:04}")),
    }
    out.push('-');
    two(&mut out, mo);
    out.push('-');
    two(&mut out, d);
    out
}

/// `n` (below 100) as two digits.
fn two(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// `YYYY-MM-DD` (a date field's value) as the Unix seconds of its midnight, UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t = days * 86_400;
    // Reject 2026-02-31 and the like: the date must come back the same.
    let (cy, cm, cd, ..) = civil(t);
    (cy == y && cm as i64 == m && cd as i64 == d).then_some(t)
}

/// `1:05` or `1:02:03`.
pub fn duration(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Minutes after local midnight in `tz` at Unix time `ts`.
pub fn minute_of_day(ts: i64, tz: &jiff::tz::TimeZone) -> u16 {
    match jiff::Timestamp::from_second(ts) {
        Ok(t) => {
            let local = t.to_zoned(tz.clone());
            local.hour() as u16 * 60 + local.minute() as u16
        }
        Err(_) => (ts.rem_euclid(86_400) / 60) as u16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_800_000_000, "2027-01-15T08:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
            (253_402_300_800, "10000-01-01T00:00:00Z"),
            (-62_135_596_800, "0001-01-01T00:00:00Z"),
        ];
        for (t, want) in cases {
            assert_eq!(iso(t), want);
        }
        assert_eq!(short(1_800_000_059), "2027-01-15 08:00 UTC");
        assert_eq!(short(0), "1970-01-01 00:00 UTC");
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_date("2026-02-31"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(duration(65), "1:05");
        assert_eq!(duration(3723), "1:02:03");
    }
}
