//! The department's callback list in the store (SPEC Y5; schema 14), as the
//! call records' intake and the members' steps change it: a real database file,
//! records as the exchange sends them.

use webcti::domain::callback::{Refused, Resolution, Step, MAX_OPEN};
use webcti::domain::cdr::{Cdr, Direction, Disposition};
use webcti::domain::dialplan::DiallingPlan;
use webcti::store::cdr::Intake;
use webcti::store::Store;

const T0: i64 = 1_800_000_000;

fn cdr(id: u64, ext: &str, direction: Direction, disposition: Disposition, peer: &str, at: i64) -> Cdr {
    Cdr {
        core_id: id,
        extension: ext.into(),
        direction,
        disposition,
        peer: peer.into(),
        external: true,
        withheld: false,
        voicemail_listen: false,
        answered_by: None,
        started_at: at,
        ring_secs: 10,
        talk_secs: 0,
    }
}

/// 100 and 101 in Sales, 107 in the pool.
async fn store(dir: &tempfile::TempDir) -> (Store, i64) {
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    for ext in ["100", "101", "107"] {
        store.upsert_extension(ext, &format!("Ext {ext}"), T0).await.expect("extension");
    }
    store.close().await.expect("close");
    let db = rusqlite::Connection::open(dir.path().join("webcti.db")).expect("db");
    db.execute_batch(
        "INSERT INTO department (name) VALUES ('Sales');
         UPDATE extension SET department_id = 1 WHERE number IN ('100', '101');",
    )
    .expect("department");
    drop(db);
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    let poland = DiallingPlan { country_code: "48".into(), national_digits: 9, ..DiallingPlan::default() };
    store.use_dialling_plan(poland).await.expect("plan");
    (store, 1)
}

#[tokio::test]
async fn missed_callers_wait_until_someone_reaches_them() {
    use Direction::*;
    use Disposition::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, sales) = store(&dir).await;
    // A group call that rang 100 and 101 is one missed call; a second call later is another.
    let intake = store
        .insert_cdrs(vec![
            cdr(1, "100", Incoming, Missed, "0221234567", T0),
            cdr(2, "101", Incoming, Missed, "0221234567", T0),
            cdr(3, "100", Incoming, Voicemail, "+48 22 123 45 67", T0 + 600),
            // Köln: another subscriber, though the last nine digits are the same.
            cdr(50, "101", Incoming, Missed, "+49 221 234567", T0 + 650),
        ])
        .await
        .expect("stored");
    assert_eq!(intake, vec![Intake::StoredOnList(sales); 4]);
    // The same records again change nothing; the pool, withheld numbers and
    // colleagues' calls put nobody on a list.
    let again = store.insert_cdrs(vec![cdr(1, "100", Incoming, Missed, "0221234567", T0)]).await;
    assert_eq!(again.expect("stored"), vec![Intake::Duplicate]);
    let withheld = Cdr { withheld: true, ..cdr(4, "100", Incoming, Missed, "0229999999", T0) };
    let elsewhere = cdr(5, "100", Incoming, AnsweredElsewhere, "0228888888", T0);
    let pool = cdr(6, "107", Incoming, Missed, "0227777777", T0);
    let intake = store.insert_cdrs(vec![withheld, elsewhere, pool]).await.expect("stored");
    assert_eq!(intake, vec![Intake::Stored; 3]);
    let list = store.callbacks(sales, 10, 10).await.expect("list");
    assert_eq!(list.open.len(), 2, "{list:?}");
    let koeln = list.open.iter().find(|e| e.number == "+49 221 234567").expect("the caller from Köln");
    assert_eq!((koeln.calls, koeln.called.as_str()), (1, "101"));
    // 101 calls Köln back at once and marks it done.
    let koeln = koeln.id;
    assert_eq!(
        store.callback_step(sales, koeln, "101", Step::Resolve, T0 + 660).await.expect("step"),
        Ok(())
    );
    let list = store.callbacks(sales, 10, 10).await.expect("list");
    assert_eq!(list.open.len(), 1, "{list:?}");
    let entry = list.open.iter().find(|e| e.number != "+49 221 234567").expect("the caller from Warsaw");
    assert_eq!((entry.calls, entry.first_at, entry.last_at), (2, T0, T0 + 600));
    assert_eq!((entry.number.as_str(), entry.called.as_str()), ("+48 22 123 45 67", "100"));

    // 100 claims it; 101 can neither claim nor give it back; 100 can.
    let id = entry.id;
    assert_eq!(store.callback_step(sales, id, "100", Step::Claim, T0 + 700).await.expect("step"), Ok(()));
    let taken = Err(Refused::ClaimedBy("100".into()));
    assert_eq!(store.callback_step(sales, id, "101", Step::Claim, T0 + 710).await.expect("step"), taken);
    assert_eq!(store.callback_step(sales, id, "101", Step::Release, T0 + 710).await.expect("step"), taken);
    let list = store.callbacks(sales, 10, 10).await.expect("list");
    assert_eq!(list.open[0].claimed_by.as_deref(), Some("100"));

    // An outgoing call that was not answered does not resolve it; the caller
    // calling again and 101 answering does, as 101's.
    let tried = cdr(7, "100", Outgoing, Missed, "00221234567", T0 + 800);
    assert_eq!(store.insert_cdrs(vec![tried]).await.expect("stored"), vec![Intake::Stored]);
    let answered = cdr(8, "101", Incoming, Answered, "0221234567", T0 + 900);
    assert_eq!(store.insert_cdrs(vec![answered]).await.expect("stored"), vec![Intake::StoredOnList(sales)]);
    let list = store.callbacks(sales, 10, 10).await.expect("list");
    assert!(list.open.is_empty(), "{list:?}");
    let done = &list.done[0];
    assert_eq!(
        (done.resolved_by.as_deref(), done.resolved_at, done.resolution),
        (Some("101"), Some(T0 + 900), Some(Resolution::CalledAgain))
    );
    assert_eq!(
        store.callback_step(sales, id, "100", Step::Resolve, T0 + 950).await.expect("step"),
        Err(Refused::Gone)
    );

    // A call back from before the missed call does not count.
    store.insert_cdrs(vec![cdr(9, "100", Incoming, Missed, "0601000000", T0 + 1000)]).await.expect("stored");
    store
        .insert_cdrs(vec![cdr(10, "101", Outgoing, Answered, "0601000000", T0 + 500)])
        .await
        .expect("stored");
    assert_eq!(store.callbacks(sales, 10, 10).await.expect("list").open.len(), 1);

    // The list is bounded: past MAX_OPEN open entries, no more are added.
    let many: Vec<Cdr> = (0..u64::from(MAX_OPEN))
        .map(|i| cdr(100 + i, "100", Incoming, Missed, &format!("0602{i:06}"), T0 + 2000))
        .collect();
    store.insert_cdrs(many).await.expect("stored");
    let list = store.callbacks(sales, MAX_OPEN + 10, 0).await.expect("list");
    assert_eq!(list.open.len() as u32, MAX_OPEN);
    assert!(!store.callback_later(sales, "0609999999", "100", T0 + 3000).await.expect("later"), "full");

    // Resolved entries go a month after they were resolved.
    assert_eq!(store.prune_callbacks(T0 + 659).await.expect("prune"), 0);
    assert_eq!(store.prune_callbacks(T0 + 901).await.expect("prune"), 2);
}
