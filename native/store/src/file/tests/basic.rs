//! Behaviour of the file store through the `MsgStore` contract, on the real file system and in memory.

use std::path::Path;
use std::sync::Arc;

use crate::file::io::{segment_path, summary_path, Fs};
use crate::file::memfs::MemFs;
use crate::file::{FileStore, FileStoreConfig, RecoveryProblem};
use crate::{Discard, MsgStore, StoreError, StoreLimits};

fn small() -> FileStoreConfig {
    FileStoreConfig { block_size: 256 }
}

fn open_mem(fs: &MemFs, limits: StoreLimits) -> FileStore {
    FileStore::open_on(fs.shared(), Path::new("/s"), limits, small()).unwrap()
}

#[test]
fn store_load_reopen_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("stream");
    {
        let mut st = FileStore::open_with(&d, StoreLimits::default(), small()).unwrap();
        for i in 0..50u64 {
            let seq = st.store(format!("s.{}", i % 3).as_bytes(), b"", format!("m{i}").as_bytes(), i as i64).unwrap();
            assert_eq!(seq, i + 1);
        }
        st.sync().unwrap();
        assert!(st.remove(10).unwrap());
        assert!(!st.remove(10).unwrap());
        st.sync().unwrap();
    }
    let st = FileStore::open_with(&d, StoreLimits::default(), small()).unwrap();
    assert!(st.recovery_report().is_clean(), "{:?}", st.recovery_report());
    let s = st.state();
    assert_eq!((s.msgs, s.first_seq, s.last_seq, s.num_deleted, s.num_subjects), (49, 1, 50, 1, 3));
    assert_eq!(s.last_ts_ns, 49);
    let m = st.load(7).unwrap();
    assert_eq!((m.subject.as_slice(), m.msg.as_slice(), m.ts_ns), (&b"s.0"[..], &b"m6"[..], 6));
    assert!(matches!(st.load(10), Err(StoreError::NotFound)));
    assert!(st.recovery_report().from_summary > 0);
    // Cold storage on the real file system.
    let mut st = st;
    let arch = dir.path().join("archive");
    let moved = st.archive_older_than(20, &arch).unwrap();
    let mut seqs = Vec::new();
    let n = crate::file::replay_archive(&arch, |m| {
        seqs.push(m.seq);
        Ok(())
    })
    .unwrap();
    assert!(moved > 0 && n == moved && seqs.windows(2).all(|w| w[0] < w[1]) && !seqs.contains(&10));
    // File by file (the `myelin archive` command): the same messages, in the same order.
    let mut names: Vec<_> = std::fs::read_dir(&arch).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    let by_file: Vec<u64> =
        names.iter().flat_map(|p| crate::file::read_archive_file(p).unwrap()).map(|m| m.seq).collect();
    assert_eq!(by_file, seqs);
}

#[test]
fn full_purge_survives_restart() {
    let fs = MemFs::new();
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        for i in 0..30 {
            st.store(b"a", b"", b"0123456789", i).unwrap();
        }
        assert_eq!(st.purge(b"", 0, 0).unwrap(), 30);
        let s = st.state();
        assert_eq!((s.msgs, s.first_seq, s.last_seq), (0, 31, 30));
        st.sync().unwrap();
    }
    let mut st = open_mem(&fs, StoreLimits::default());
    let s = st.state();
    assert_eq!((s.msgs, s.first_seq, s.last_seq, s.last_ts_ns), (0, 31, 30, 29));
    assert_eq!(st.store(b"a", b"", b"x", 100).unwrap(), 31);
    // Only the segment that carries the sequence on remains.
    assert_eq!(fs.files().keys().filter(|p| p.extension().is_some_and(|e| e == "blk")).count(), 1);
}

#[test]
fn purge_past_the_end_moves_the_sequence_and_survives_restart() {
    let fs = MemFs::new();
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        assert_eq!(st.purge(b"", 101, 0).unwrap(), 0);
        let s = st.state();
        assert_eq!((s.msgs, s.first_seq, s.last_seq), (0, 101, 100));
        assert_eq!(st.store(b"a", b"", b"x", 1).unwrap(), 101);
        assert_eq!(st.purge(b"", 201, 0).unwrap(), 1);
        st.sync().unwrap();
    }
    let mut st = open_mem(&fs, StoreLimits::default());
    let s = st.state();
    assert_eq!((s.msgs, s.first_seq, s.last_seq), (0, 201, 200));
    assert_eq!(st.store(b"a", b"", b"y", 2).unwrap(), 201);
}

#[test]
fn deleting_everything_one_by_one_keeps_sequences() {
    let fs = MemFs::new();
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        for i in 0..40 {
            st.store(b"a", b"", b"0123456789", i).unwrap();
        }
        for seq in 1..=40 {
            assert!(st.remove(seq).unwrap());
        }
        st.sync().unwrap();
    }
    let mut st = open_mem(&fs, StoreLimits::default());
    assert_eq!((st.state().msgs, st.state().first_seq), (0, 41));
    assert_eq!(st.store(b"a", b"", b"x", 100).unwrap(), 41);
}

#[test]
fn limits() {
    let fs = MemFs::new();
    let mut st = open_mem(&fs, StoreLimits { max_msgs: 3, ..StoreLimits::default() });
    for i in 0..5 {
        st.store(b"a", b"", b"x", i).unwrap();
    }
    assert_eq!((st.state().msgs, st.state().first_seq), (3, 3));
    st.set_limits(StoreLimits { max_msgs: 3, discard: Discard::New, ..StoreLimits::default() }).unwrap();
    assert!(matches!(st.store(b"a", b"", b"x", 9), Err(StoreError::MaxMsgs)));
    st.set_limits(StoreLimits { max_msgs_per_subject: 1, ..StoreLimits::default() }).unwrap();
    assert_eq!(st.state().msgs, 1);
    st.store(b"b", b"", b"x", 10).unwrap();
    st.store(b"b", b"", b"y", 11).unwrap();
    assert_eq!(st.subjects_state(b">"), vec![(b"a".to_vec(), 1), (b"b".to_vec(), 1)]);
    assert_eq!(st.load_last(b"b").unwrap().msg, b"y");
    let lim = StoreLimits {
        max_msgs_per_subject: 1,
        discard: Discard::New,
        discard_new_per_subject: true,
        ..StoreLimits::default()
    };
    st.set_limits(lim).unwrap();
    assert!(matches!(st.store(b"b", b"", b"z", 12), Err(StoreError::MaxMsgsPerSubject)));
    st.set_limits(StoreLimits { max_msg_size: 3, ..StoreLimits::default() }).unwrap();
    assert!(matches!(st.store(b"b", b"", b"long", 12), Err(StoreError::MsgTooBig)));
    // Bytes: each message is 1 + 1 + 16 = 18 bytes.
    st.purge(b"", 0, 0).unwrap();
    st.set_limits(StoreLimits { max_bytes: 40, ..StoreLimits::default() }).unwrap();
    for i in 0..5 {
        st.store(b"c", b"", b"x", 20 + i).unwrap();
    }
    assert_eq!((st.state().msgs, st.state().bytes), (2, 36));
    // Discard::New counts headers and payload only, refusing at equality (36 + 1 >= 37), as nats-server.
    st.set_limits(StoreLimits { max_bytes: 37, discard: Discard::New, ..StoreLimits::default() }).unwrap();
    assert!(matches!(st.store(b"c", b"", b"x", 30), Err(StoreError::MaxBytes)));
    st.set_limits(StoreLimits { max_age_ns: 10, ..StoreLimits::default() }).unwrap();
    assert_eq!(st.expire(34).unwrap(), 2);
}

#[test]
fn queries() {
    let fs = MemFs::new();
    let mut st = open_mem(&fs, StoreLimits::default());
    let subjects = ["a.x", "b.y", "a.z", "a.x", "c"];
    for (i, s) in subjects.iter().enumerate() {
        st.store(s.as_bytes(), b"NATS/1.0\r\n\r\n", b"p", 100 + 10 * i as i64).unwrap();
    }
    assert_eq!(st.load_next(2, b"a.*").unwrap().unwrap().seq, 3);
    assert_eq!(st.load_next(1, b"a.x").unwrap().unwrap().seq, 1);
    assert_eq!(st.load_next(5, b"a.>").unwrap(), None);
    assert_eq!(st.load_last(b"a.*").unwrap().seq, 4);
    assert!(matches!(st.load_last(b"zz"), Err(StoreError::NotFound)));
    assert_eq!(st.num_pending(1, b"a.*", false), 3);
    assert_eq!(st.num_pending(2, b"a.x", false), 1);
    assert_eq!(st.num_pending(1, b"a.*", true), 2);
    assert_eq!(st.num_pending(3, b"", false), 3);
    assert_eq!(st.seq_for_time(0), 1);
    assert_eq!(st.seq_for_time(111), 3);
    assert_eq!(st.seq_for_time(1000), 6);
    assert_eq!(st.purge(b"a.x", 0, 0).unwrap(), 2);
    assert_eq!(st.purge(b"", 0, 2).unwrap(), 1);
    assert_eq!(st.state().first_seq, 3);
    assert_eq!(st.purge(b"", 5, 0).unwrap(), 1);
    assert_eq!(st.state().msgs, 1);
    assert_eq!(st.subjects_state(b"c"), vec![(b"c".to_vec(), 1)]);
}

#[test]
fn torn_tail_is_cut() {
    let fs = MemFs::new();
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        for i in 0..3 {
            st.store(b"a", b"", b"x", i).unwrap();
        }
        st.sync().unwrap();
        std::mem::forget(st); // a crash: no summary at close
    }
    let p = segment_path(Path::new("/s"), 1);
    let mut f = fs.open(&p, false).unwrap();
    let len = f.len().unwrap();
    f.write_all_at(&[9, 0, 0, 0, 1, 2, 3], len).unwrap();
    let mut st = open_mem(&fs, StoreLimits::default());
    assert_eq!(st.recovery_report().problems, vec![RecoveryProblem::TornTail { segment: 1, offset: len, bytes: 7 }]);
    assert_eq!(st.state().msgs, 3);
    assert_eq!(st.store(b"a", b"", b"y", 9).unwrap(), 4);
    st.sync().unwrap();
    drop(st);
    let st = open_mem(&fs, StoreLimits::default());
    assert!(st.recovery_report().is_clean());
    assert_eq!(st.load(4).unwrap().msg, b"y");
}

#[test]
fn corrupt_record_loses_only_itself() {
    let fs = MemFs::new();
    let dir = Path::new("/s");
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        for i in 0..20 {
            st.store(b"a", b"", b"0123456789", i).unwrap();
        }
        st.sync().unwrap();
    }
    // Damage a payload byte of the third record of segment 1 and drop its summary so it is scanned.
    fs.remove(&summary_path(dir, 1)).unwrap();
    let p = segment_path(dir, 1);
    let mut f = fs.open(&p, false).unwrap();
    let rec = 35 + 1 + 10;
    let off = 32 + 2 * rec as u64 + 33;
    let mut b = [0u8];
    f.read_exact_at(&mut b, off).unwrap();
    f.write_all_at(&[b[0] ^ 0xff], off).unwrap();
    let st = open_mem(&fs, StoreLimits::default());
    let probs = &st.recovery_report().problems;
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert!(matches!(probs[0], RecoveryProblem::Corrupt { segment: 1, after_seq: 2, before_seq: 4, .. }), "{probs:?}");
    assert_eq!(st.state().msgs, 19);
    assert!(matches!(st.load(3), Err(StoreError::NotFound)));
    assert_eq!(st.load(4).unwrap().msg, b"0123456789");
    assert_eq!(st.state().last_seq, 20);
}

#[test]
fn destroy_removes_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("x");
    let mut st = FileStore::open(&d, StoreLimits::default()).unwrap();
    st.store(b"a", b"", b"x", 1).unwrap();
    st.destroy().unwrap();
    assert!(!d.exists());
    assert!(matches!(st.store(b"a", b"", b"x", 1), Err(StoreError::Closed)));
    let _unused: Option<Arc<dyn Fs>> = None;
}

#[test]
fn kv_pattern_compacts_and_stays_small() {
    let fs = MemFs::new();
    let lim = StoreLimits { max_msgs_per_subject: 1, ..StoreLimits::default() };
    {
        let mut st = open_mem(&fs, lim);
        st.store(b"kv.never", b"", b"kept", 0).unwrap();
        for i in 0..3000 {
            st.store(format!("kv.{}", i % 5).as_bytes(), b"", b"0123456789", i).unwrap();
            if i % 100 == 0 {
                st.sync().unwrap();
            }
        }
        assert_eq!(st.state().msgs, 6);
        assert!(st.segs.values().any(|s| s.header.gen > 0), "nothing was compacted");
    }
    let disk: usize = fs.files().values().map(Vec::len).sum();
    assert!(disk < 20 * 256, "{disk} bytes on disk for 6 messages");
    let st = open_mem(&fs, lim);
    assert!(st.recovery_report().is_clean(), "{:?}", st.recovery_report());
    assert_eq!(st.state().msgs, 6);
    assert_eq!(st.load(1).unwrap().msg, b"kept");
    assert_eq!(st.load_last(b"kv.3").unwrap().seq, 3000);
}

#[test]
fn archive_and_replay() {
    let fs = MemFs::new();
    let arch = Path::new("/archive");
    let mut st = open_mem(&fs, StoreLimits::default());
    for i in 0..60 {
        st.store(format!("o.{}", i % 3).as_bytes(), b"", format!("m{i}").as_bytes(), i).unwrap();
    }
    st.remove(2).unwrap();
    let moved = st.archive_older_than(30, arch).unwrap();
    assert!(moved > 0 && moved < 30, "{moved}");
    let s = st.state();
    assert_eq!(s.msgs, 59 - moved);
    let mut replayed = Vec::new();
    let n = crate::file::archive::replay_on(&fs.shared(), arch, |m| {
        replayed.push(m);
        Ok(())
    })
    .unwrap();
    assert_eq!(n, moved);
    assert_eq!(replayed[0].seq, 1);
    assert!(replayed.iter().all(|m| m.seq != 2 && m.ts_ns < 30 && m.msg == format!("m{}", m.seq - 1).as_bytes()));
    assert_eq!(replayed.last().unwrap().seq + 1, s.first_seq);
    // Replaying into another stream republishes them there.
    let fs2 = MemFs::new();
    let mut other = open_mem(&fs2, StoreLimits::default());
    crate::file::archive::replay_on(&fs.shared(), arch, |m| {
        other.store(&m.subject, &m.hdr, &m.msg, m.ts_ns).map(|_| ())
    })
    .unwrap();
    assert_eq!(other.state().msgs, moved);
    // The stream, reopened, does not have them back.
    drop(st);
    let st = open_mem(&fs, StoreLimits::default());
    assert_eq!(st.state().msgs, 59 - moved);
}

#[test]
fn damaged_summary_is_ignored_and_rebuilt() {
    let fs = MemFs::new();
    let dir = Path::new("/s");
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        for i in 0..20 {
            st.store(b"a", b"", b"0123456789", i).unwrap();
        }
        st.remove(2).unwrap();
        st.sync().unwrap();
    }
    let p = summary_path(dir, 1);
    let mut b = fs.read(&p).unwrap();
    b[40] ^= 1;
    fs.write_synced(&p, &b).unwrap();
    let st = open_mem(&fs, StoreLimits::default());
    assert_eq!(st.recovery_report().problems, vec![RecoveryProblem::BadSummary { segment: 1 }]);
    assert_eq!((st.state().msgs, st.state().last_seq), (19, 20));
    assert!(matches!(st.load(2), Err(StoreError::NotFound)));
    drop(st);
    let st = open_mem(&fs, StoreLimits::default());
    assert!(st.recovery_report().is_clean(), "{:?}", st.recovery_report());
    assert_eq!(st.recovery_report().from_summary, st.recovery_report().segments);
}

#[test]
fn damage_under_a_summary_is_found_on_read() {
    let fs = MemFs::new();
    let dir = Path::new("/s");
    {
        let mut st = open_mem(&fs, StoreLimits::default());
        for i in 0..20 {
            st.store(b"a", b"", b"0123456789", i).unwrap();
        }
    }
    let mut f = fs.open(&segment_path(dir, 1), false).unwrap();
    f.write_all_at(b"X", 32 + 40).unwrap(); // inside the first record's payload
    let st = open_mem(&fs, StoreLimits::default());
    assert!(st.recovery_report().is_clean(), "the summary is trusted at open");
    assert!(matches!(st.load(1), Err(StoreError::Corrupt(_))));
    assert_eq!(st.load(2).unwrap().msg, b"0123456789");
}
