//! The event log's conformance suite: gapless ordered `seq` under
//! concurrent writers, and tamper detection, on both backends.

use harbour_server::store::events::{append, ChainFault, NewEvent};
use harbour_tests::db::write_test_events;
use harbour_tests::{on_both_backends, Backend, TestDb};
use serde_json::json;

on_both_backends!(
    concurrent_writers_get_gapless_seq_in_commit_order,
    verify_names_an_altered_row,
    verify_names_a_deleted_row,
    verify_names_reordered_rows,
    verify_names_a_truncated_tail,
    a_rolled_back_transaction_leaves_no_gap,
);

async fn concurrent_writers_get_gapless_seq_in_commit_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    // Two stores = two pools, as two nodes would have.
    let stores = [db.store().await, db.store().await];
    let mut tasks = Vec::new();
    for writer in 0..32 {
        let store = stores[writer % 2].clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let mut tx = store.begin().await.expect("begin");
                let events = [
                    NewEvent::new("test.a", None, json!({ "writer": writer, "i": i })),
                    NewEvent::new("test.b", None, json!({ "writer": writer, "i": i })),
                ];
                let appended = append(&mut tx, 5, &events).await.expect("append");
                assert_eq!(
                    appended[1].seq.0,
                    appended[0].seq.0 + 1,
                    "one transaction's events are adjacent"
                );
                store.commit(tx).await.expect("commit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer");
    }
    let events = stores[0]
        .events_after(shared::Seq(0), 10_000)
        .await
        .expect("read");
    assert_eq!(events.len(), 640);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq.0, i as i64 + 1, "gapless");
    }
    let report = stores[1].verify_chain().await.expect("verify");
    assert_eq!((report.checked, report.fault), (640, None));
}

async fn verify_names_an_altered_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    write_test_events(&store, 10).await;
    db.tamper("UPDATE events SET payload = '{\"i\":99}' WHERE seq = 4")
        .await;
    let report = store.verify_chain().await.expect("verify");
    assert_eq!(report.fault, Some(ChainFault::HashMismatch { seq: 4 }));
    assert_eq!(report.checked, 3);
}

async fn verify_names_a_deleted_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    write_test_events(&store, 10).await;
    db.tamper("DELETE FROM events WHERE seq = 6").await;
    let fault = store
        .verify_chain()
        .await
        .expect("verify")
        .fault
        .expect("a fault");
    assert_eq!(
        fault,
        ChainFault::Gap {
            expected: 6,
            found: 7
        }
    );
    assert_eq!(fault.first_bad_seq(), 6);
}

async fn verify_names_reordered_rows(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    write_test_events(&store, 10).await;
    // Swap rows 3 and 8 by renumbering them through a free seq.
    db.tamper("UPDATE events SET seq = 1000 WHERE seq = 3")
        .await;
    db.tamper("UPDATE events SET seq = 3 WHERE seq = 8").await;
    db.tamper("UPDATE events SET seq = 8 WHERE seq = 1000")
        .await;
    let fault = store
        .verify_chain()
        .await
        .expect("verify")
        .fault
        .expect("a fault");
    assert_eq!(fault.first_bad_seq(), 3);
}

async fn verify_names_a_truncated_tail(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    write_test_events(&store, 5).await;
    db.tamper("DELETE FROM events WHERE seq = 5").await;
    let fault = store
        .verify_chain()
        .await
        .expect("verify")
        .fault
        .expect("a fault");
    assert_eq!(fault.first_bad_seq(), 5);
}

async fn a_rolled_back_transaction_leaves_no_gap(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    write_test_events(&store, 2).await;
    let mut tx = store.begin().await.expect("begin");
    append(
        &mut tx,
        1,
        &[NewEvent::new("test.rolled_back", None, json!({}))],
    )
    .await
    .expect("append");
    drop(tx);
    write_test_events(&store, 1).await;
    let seqs: Vec<i64> = store
        .events_after(shared::Seq(0), 100)
        .await
        .expect("read")
        .iter()
        .map(|e| e.seq.0)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(store.verify_chain().await.expect("verify").fault, None);
}
