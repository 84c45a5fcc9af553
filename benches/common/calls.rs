//! What the benches store: calls (one extension in a thousand per record, a mix
//! of directions and dispositions as an exchange sees them) and contacts.
#![allow(dead_code)]

use webcti::domain::cdr::{Cdr, Direction, Disposition};

/// How many extensions the records are spread over (1000 to 1999).
pub const EXTENSIONS: u64 = 1000;

/// Record `id` (the core's id is `id + 1`), started at `at`.
pub fn cdr(id: u64, at: i64) -> Cdr {
    Cdr {
        core_id: id + 1,
        extension: format!("{}", 1000 + id % EXTENSIONS),
        direction: if id.is_multiple_of(3) { Direction::Outgoing } else { Direction::Incoming },
        disposition: match id % 7 {
            0 | 1 => Disposition::Missed,
            2 => Disposition::AnsweredElsewhere,
            _ => Disposition::Answered,
        },
        peer: format!("0048{:09}", (id * 7919) % 1_000_000_000),
        external: !id.is_multiple_of(4),
        withheld: false,
        voicemail_listen: false,
        answered_by: None,
        started_at: at,
        ring_secs: (id % 20) as u32,
        talk_secs: (id % 600) as u32,
    }
}

/// An Outlook CSV export of `n` contacts with two numbers each, in five groups.
pub fn contacts_csv(n: u32) -> String {
    let mut csv = String::from("First Name,Last Name,Company,Business Phone,Mobile Phone,Categories\r\n");
    for i in 0..n {
        csv.push_str(&format!(
            "Name{i},Surname{},Company {},+48 22 {:03} {:02} {:02},600 {:03} {:03},Group{}\r\n",
            i % 997,
            i % 113,
            i / 1000,
            (i / 10) % 100,
            i % 100,
            i % 1000,
            i / 7,
            i % 5
        ));
    }
    csv
}
