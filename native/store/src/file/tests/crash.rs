//! Crash consistency at the storage layer: run a workload on a recording file system, then for every
//! prefix of its writes and fsyncs build what a power loss there would leave (unsynced bytes lost, half
//! there, zeroed or all there), recover, and check the durability contract:
//!
//! * every message live at the last `sync()` that returned before the crash is there, with its exact
//!   sequence and content (unless a removal had started since);
//! * nothing removed before that sync comes back;
//! * whatever is there is a message that was stored, byte for byte;
//! * the next store gets a sequence above every synced one;
//! * a second open finds nothing left to repair.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::file::archive::replay_on;
use crate::file::memfs::{crash_images, MemFs, Op, Unsynced};
use crate::file::{FileStore, FileStoreConfig};
use crate::{MsgStore, StoreLimits, StoredMsg};

const DIR: &str = "/crash";
const ARCHIVE: &str = "/crash-archive";

fn cfg() -> FileStoreConfig {
    FileStoreConfig { block_size: 300 }
}

fn open(fs: &MemFs, limits: StoreLimits) -> FileStore {
    FileStore::open_on(fs.shared(), Path::new(DIR), limits, cfg()).unwrap()
}

fn live(st: &FileStore) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    let mut at = 1;
    while let Some(m) = st.load_next(at, b"").unwrap() {
        out.insert(m.seq);
        at = m.seq + 1;
    }
    out
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A sync that returned: the op count then, what was live, the last sequence.
struct SyncPoint {
    ops: usize,
    live: BTreeSet<u64>,
    last_seq: u64,
}

struct Recorded {
    fs: MemFs,
    limits: StoreLimits,
    stored: BTreeMap<u64, StoredMsg>,
    syncs: Vec<SyncPoint>,
    /// Per removed sequence, the op count when the call that removed it started.
    removed_from: BTreeMap<u64, usize>,
    /// Sequences that left the stream for the archive.
    archived: BTreeSet<u64>,
}

fn workload(seed: u64, steps: usize, limits: StoreLimits) -> Recorded {
    let fs = MemFs::new();
    let mut rng = Rng(seed);
    let mut st = open(&fs, limits);
    let mut rec = Recorded {
        fs: fs.clone(),
        limits,
        stored: BTreeMap::new(),
        syncs: Vec::new(),
        removed_from: BTreeMap::new(),
        archived: BTreeSet::new(),
    };
    let mut now = live(&st);
    for step in 0..steps {
        let start = fs.op_count();
        let r = rng.below(100);
        if r < 65 {
            let subject = format!("s.{}", rng.below(4));
            let hdr: &[u8] = if rng.below(4) == 0 { b"NATS/1.0\r\nA: b\r\n\r\n" } else { b"" };
            let body: Vec<u8> = (0..rng.below(40)).map(|i| (i ^ step as u64) as u8).collect();
            let ts = step as i64 * 10;
            let seq = st.store(subject.as_bytes(), hdr, &body, ts).unwrap();
            rec.stored
                .insert(seq, StoredMsg { seq, ts_ns: ts, subject: subject.into_bytes(), hdr: hdr.to_vec(), msg: body });
        } else if r < 80 {
            st.sync().unwrap();
            rec.syncs.push(SyncPoint { ops: fs.op_count(), live: now.clone(), last_seq: st.state().last_seq });
        } else if r < 88 {
            if let Some(&seq) = now.iter().nth(rng.below(now.len() as u64 + 1) as usize) {
                st.remove(seq).unwrap();
            }
        } else if r < 91 {
            st.purge(format!("s.{}", rng.below(4)).as_bytes(), 0, 0).unwrap();
        } else if r < 93 {
            st.purge(b"", 0, 0).unwrap();
        } else if r < 95 {
            let upto = st.state().first_seq + rng.below(10);
            st.purge(b"", upto, 0).unwrap();
        } else if r < 97 {
            st.purge(b"", 0, 1 + rng.below(5)).unwrap();
        } else if r < 98 {
            let before = live(&st);
            st.archive_older_than(step as i64 * 10 - 150, Path::new(ARCHIVE)).unwrap();
            rec.archived.extend(before.difference(&live(&st)));
        } else {
            drop(st);
            st = open(&fs, limits);
        }
        let after = live(&st);
        for gone in now.difference(&after) {
            rec.removed_from.insert(*gone, start);
        }
        now = after;
    }
    st.sync().unwrap();
    rec.syncs.push(SyncPoint { ops: fs.op_count(), live: now, last_seq: st.state().last_seq });
    drop(st);
    rec
}

fn check_image(rec: &Recorded, n: usize, image: BTreeMap<std::path::PathBuf, Vec<u8>>, how: Unsynced) {
    let ctx = format!("crash after op {n} ({how:?})");
    let fs = MemFs::with_files(image);
    let mut st = open(&fs, rec.limits);
    let got = live(&st);
    let synced = rec.syncs.iter().rev().find(|s| s.ops <= n);
    for &seq in &got {
        let m = st.load(seq).unwrap();
        assert_eq!(Some(&m), rec.stored.get(&seq), "{ctx}: seq {seq} is not what was stored");
    }
    let mut archive = BTreeMap::new();
    replay_on(&fs.shared(), Path::new(ARCHIVE), |m| {
        archive.insert(m.seq, m);
        Ok(())
    })
    .unwrap();
    for (seq, m) in &archive {
        assert_eq!(Some(m), rec.stored.get(seq), "{ctx}: archived seq {seq} is not what was stored");
    }
    let mut floor = 0;
    if let Some(sp) = synced {
        for &seq in &sp.live {
            let removal_started = rec.removed_from.get(&seq).is_some_and(|&at| at < n);
            assert!(got.contains(&seq) || removal_started, "{ctx}: synced seq {seq} lost");
            if rec.archived.contains(&seq) && !got.contains(&seq) {
                assert!(archive.contains_key(&seq), "{ctx}: synced seq {seq} left the stream but is not archived");
            }
        }
        for &seq in &got {
            assert!(sp.live.contains(&seq) || seq > sp.last_seq, "{ctx}: seq {seq}, removed before a sync, is back");
        }
        floor = sp.last_seq;
    }
    let last = st.state().last_seq;
    assert!(last >= floor, "{ctx}: last_seq {last} below the synced {floor}");
    let next = st.store(b"after", b"", b"crash", 0).unwrap();
    assert_eq!(next, last + 1, "{ctx}");
    st.sync().unwrap();
    drop(st);
    let st = open(&fs, rec.limits);
    assert!(st.recovery_report().is_clean(), "{ctx}: second open {:?}", st.recovery_report());
    assert_eq!(st.load(next).unwrap().msg, b"crash", "{ctx}");
}

#[test]
fn every_crash_point_keeps_synced_messages() {
    let per_subject = StoreLimits { max_msgs_per_subject: 2, ..StoreLimits::default() };
    let max_msgs = StoreLimits { max_msgs: 20, ..StoreLimits::default() };
    for (seed, limits) in [
        (0x9E37_79B9_7F4A_7C15u64, StoreLimits::default()),
        (0x1234_5678_9ABC_DEF1, per_subject),
        (0x0F0F_1E1E_2D2D_3C3C, max_msgs),
    ] {
        let rec = workload(seed, 400, limits);
        let ops = rec.fs.ops();
        assert!(rec.syncs.len() > 10);
        for how in [Unsynced::Lost, Unsynced::Half, Unsynced::Zeroed, Unsynced::All] {
            for (n, image) in crash_images(&ops, how).into_iter().enumerate() {
                check_image(&rec, n, image, how);
            }
        }
        let compactions = ops
            .iter()
            .filter(|op| matches!(op, Op::Rename(from, _) if from.to_string_lossy().ends_with(".blk.tmp")))
            .count();
        let removals =
            ops.iter().filter(|op| matches!(op, Op::Remove(p) if p.extension().is_some_and(|e| e == "blk"))).count();
        eprintln!(
            "seed {seed:#x}: {} ops, {} syncs, {} messages, {removals} segments removed, {compactions} compactions, \
             {} archived, 4 crash variants each",
            ops.len(),
            rec.syncs.len(),
            rec.stored.len(),
            rec.archived.len()
        );
    }
}
