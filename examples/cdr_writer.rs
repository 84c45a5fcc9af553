//! The crash test's victim: writes call records through the store's writer as
//! fast as it can from several tasks, and prints each record's id on a line of its
//! own once its commit has been acknowledged. The test kills it with SIGKILL at a
//! random moment and then checks that every printed id is in the database.
//!
//! usage: cdr_writer DB FIRST_ID

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use webcti::domain::cdr::{Cdr, Direction, Disposition};
use webcti::store::Store;

const TASKS: usize = 4;

fn cdr(id: u64) -> Cdr {
    Cdr {
        core_id: id,
        extension: format!("{}", 100 + id % 50),
        direction: if id.is_multiple_of(2) { Direction::Incoming } else { Direction::Outgoing },
        disposition: if id.is_multiple_of(3) { Disposition::Missed } else { Disposition::Answered },
        peer: format!("0048221234{:03}", id % 1000),
        external: true,
        withheld: false,
        voicemail_listen: false,
        answered_by: None,
        started_at: 1_700_000_000 + id as i64,
        ring_secs: 5,
        talk_secs: (id % 300) as u32,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(db), Some(first)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: cdr_writer DB FIRST_ID");
        std::process::exit(2);
    };
    let store = match Store::open(std::path::Path::new(db)).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cdr_writer: {e}");
            std::process::exit(1);
        }
    };
    let next = Arc::new(AtomicU64::new(first));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                // Batches of 1 to 8 records, so the writer's batches vary too.
                let n = 1 + (next.load(Ordering::Relaxed) as usize + t) % 8;
                let ids: Vec<u64> = (0..n).map(|_| next.fetch_add(1, Ordering::Relaxed)).collect();
                if let Err(e) = store.insert_cdrs(ids.iter().copied().map(cdr).collect()).await {
                    eprintln!("cdr_writer: {e}");
                    std::process::exit(1);
                }
                let mut out = std::io::stdout().lock();
                for id in ids {
                    let _ = writeln!(out, "{id}");
                }
                let _ = out.flush();
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}
