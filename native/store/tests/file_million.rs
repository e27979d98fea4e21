//! A million small messages: store, sync, close, reopen from the summaries, again without closing, and
//! once more with every summary deleted (a full scan). Prints the times; asserts only the state.

use std::time::Instant;

use myelin_store::file::FileStore;
use myelin_store::{MsgStore, StoreLimits};

const N: u64 = 1_000_000;

#[test]
fn million_messages_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("stream");
    let t = Instant::now();
    {
        let mut st = FileStore::open(&d, StoreLimits::default()).unwrap();
        for i in 0..N {
            let subject = format!("orders.{}", i % 1000);
            st.store(subject.as_bytes(), b"", b"0123456789abcdef", i as i64).unwrap();
            if i % 1000 == 999 {
                st.sync().unwrap();
            }
        }
        st.remove(500_000).unwrap();
        st.sync().unwrap();
        st.close().unwrap();
    }
    eprintln!("stored {N} messages (sync every 1000) in {:?}", t.elapsed());

    let t = Instant::now();
    let st = FileStore::open(&d, StoreLimits::default()).unwrap();
    eprintln!("clean reopen in {:?}: {:?}", t.elapsed(), st.recovery_report());
    check(&st);
    assert_eq!(st.recovery_report().from_summary, st.recovery_report().segments);
    std::mem::forget(st); // as after a crash: the active segment has no fresh summary

    let t = Instant::now();
    let st = FileStore::open(&d, StoreLimits::default()).unwrap();
    eprintln!("reopen after a crash in {:?}: {:?}", t.elapsed(), st.recovery_report());
    check(&st);
    drop(st);

    // Without any summary every record is read and checked.
    for e in std::fs::read_dir(&d).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let t = Instant::now();
    let st = FileStore::open(&d, StoreLimits::default()).unwrap();
    eprintln!("reopen scanning every segment in {:?}: {:?}", t.elapsed(), st.recovery_report());
    assert_eq!(st.recovery_report().from_summary, 0);
    check(&st);
}

fn check(st: &FileStore) {
    let s = st.state();
    assert_eq!((s.msgs, s.first_seq, s.last_seq, s.num_deleted, s.num_subjects), (N - 1, 1, N, 1, 1000));
    assert_eq!(st.load(N).unwrap().subject, format!("orders.{}", (N - 1) % 1000).as_bytes());
    assert_eq!(st.load_last(b"orders.7").unwrap().seq, N - 1000 + 8);
    assert_eq!(st.seq_for_time(123_456), 123_457);
    assert!(st.recovery_report().is_clean());
}
