//! Per-message TTL and subject delete markers, through the `MsgStore` contract, on both stores; and the
//! file store keeping TTLs across a reopen (from summaries and from scans).

use std::path::Path;

use crate::file::memfs::MemFs;
use crate::file::{FileStore, FileStoreConfig};
use crate::mem::MemStore;
use crate::{MsgStore, StoreLimits};

const S: i64 = 1_000_000_000;

fn ttl(v: &str) -> Vec<u8> {
    format!("NATS/1.0\r\nNats-TTL: {v}\r\n\r\n").into_bytes()
}

fn seqs(st: &dyn MsgStore) -> Vec<u64> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = st.load_next(at, b"").unwrap() {
        out.push(m.seq);
        at = m.seq + 1;
    }
    out
}

/// TTLs expire on their own, `never` outlives max_age, a TTL longer than max_age does not.
fn ttl_and_age(st: &mut dyn MsgStore) {
    st.store(b"a", &ttl("2s"), b"1", 0).unwrap(); // 1: due at 2s
    st.store(b"b", &ttl("never"), b"2", 0).unwrap(); // 2: never
    st.store(b"c", &ttl("1h"), b"3", 0).unwrap(); // 3: max_age (10s) first
    st.store(b"d", b"", b"4", 0).unwrap(); // 4: max_age
    st.store(b"e", &ttl("1"), b"5", S).unwrap(); // 5: due at 2s
    assert_eq!(st.expire(S).unwrap(), 0);
    assert_eq!(st.expire(2 * S).unwrap(), 2);
    assert_eq!(seqs(st), vec![2, 3, 4]);
    assert_eq!(st.expire(10 * S).unwrap(), 2);
    assert_eq!(seqs(st), vec![2]);
    assert_eq!(st.expire(1_000_000 * S).unwrap(), 0);
}

/// With markers on, the last message of a subject is left for the caller; a marker itself just goes.
fn markers(st: &mut dyn MsgStore) {
    st.store(b"a", b"", b"1", 0).unwrap(); // 1
    st.store(b"a", b"", b"2", 0).unwrap(); // 2: the last of a
    st.store(b"b", &ttl("1s"), b"3", 0).unwrap(); // 3: the last of b, by TTL
    let marker = b"NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: 1s\r\nNats-Rollup: sub\r\n\r\n";
    st.store(b"c", marker, b"", 0).unwrap(); // 4: a marker
    let e = st.expire_due(10 * S).unwrap();
    assert_eq!((e.removed, e.await_marker.clone()), (2, vec![2, 3]));
    assert_eq!(st.expire_due(10 * S).unwrap().await_marker, vec![2, 3], "reported until replaced");
    let m = st.store(b"a", marker, b"", 10 * S).unwrap();
    st.purge(b"a", m, 0).unwrap();
    assert_eq!(seqs(st), vec![3, 5]);
}

fn limits(max_age_s: i64, markers: bool) -> StoreLimits {
    StoreLimits { max_age_ns: max_age_s * S, subject_delete_markers: markers, ..Default::default() }
}

fn open(fs: &MemFs, l: StoreLimits) -> FileStore {
    FileStore::open_on(fs.shared(), Path::new("/s"), l, FileStoreConfig { block_size: 200 }).unwrap()
}

#[test]
fn ttl_and_age_both_stores() {
    ttl_and_age(&mut MemStore::new(limits(10, false)));
    ttl_and_age(&mut open(&MemFs::default(), limits(10, false)));
}

#[test]
fn markers_both_stores() {
    markers(&mut MemStore::new(limits(5, true)));
    markers(&mut open(&MemFs::default(), limits(5, true)));
}

#[test]
fn file_store_keeps_ttls_across_reopen() {
    keeps_ttls(false);
}

#[test]
fn file_store_keeps_ttls_across_a_crash() {
    keeps_ttls(true);
}

/// With `crash`, the store is synced and never closed: the active segment has no summary and is scanned.
fn keeps_ttls(crash: bool) {
    let fs = MemFs::default();
    {
        let mut st = open(&fs, limits(0, false));
        // Small segments: the early ones are sealed (summaries), the last is scanned at reopen.
        for i in 0..20u64 {
            let h = match i % 3 {
                0 => ttl("5s"),
                1 => ttl("never"),
                _ => Vec::new(),
            };
            st.store(format!("k.{i}").as_bytes(), &h, b"0123456789", 0).unwrap();
        }
        st.sync().unwrap();
        if crash {
            std::mem::forget(st);
        }
    }
    let mut st = open(&fs, limits(0, false));
    let report = st.recovery_report();
    assert!(report.from_summary > 0 && report.is_clean(), "{report:?}");
    assert_eq!(report.scanned_bytes > 0, crash, "{report:?}");
    assert_eq!(st.expire(4 * S).unwrap(), 0);
    assert_eq!(st.expire(5 * S).unwrap(), 7);
    assert_eq!(st.state().msgs, 13);
    st.set_limits(limits(1, false)).unwrap();
    assert_eq!(st.expire(100 * S).unwrap(), 6, "never outlives max_age after a reopen too");
    assert_eq!(st.state().msgs, 7);
}
