//! Property test: the file store against a plain model (a sorted map and the limit rules written out
//! directly) over random sequences of store / remove / purge / expire / limit changes / reopen.

use std::collections::BTreeMap;
use std::path::Path;

use myelin_core::subject::subject_matches;
use proptest::prelude::*;

use crate::file::memfs::MemFs;
use crate::file::{FileStore, FileStoreConfig};
use crate::{msg_size, Discard, MsgStore, StoreError, StoreLimits, StreamState};

const SUBJECTS: [&str; 4] = ["a", "b.x", "b.y", "c"];
const FILTERS: [&str; 7] = ["", ">", "a", "b.x", "b.*", "b.>", "c"];

#[derive(Clone, Debug)]
enum Op {
    Store {
        subject: usize,
        len: usize,
        dts: i64,
        hdr: bool,
    },
    Remove(usize),
    Purge {
        filter: usize,
        upto: u64,
        keep: u64,
    },
    Expire(i64),
    Limits(StoreLimits),
    Sync,
    Reopen,
    /// Sync, then lose the process (no close, no summary of the active segment), then reopen.
    CrashReopen,
}

fn limits() -> impl Strategy<Value = StoreLimits> {
    (
        prop_oneof![Just(-1i64), Just(3), Just(10)],
        prop_oneof![Just(-1i64), Just(120), Just(400)],
        prop_oneof![Just(0i64), Just(30)],
        prop_oneof![Just(-1i32), Just(20)],
        prop_oneof![Just(-1i64), Just(1), Just(3)],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(max_msgs, max_bytes, max_age_ns, max_msg_size, per, new, dnps)| StoreLimits {
            max_msgs,
            max_bytes,
            max_age_ns,
            max_msg_size,
            max_msgs_per_subject: per,
            discard: if new { Discard::New } else { Discard::Old },
            discard_new_per_subject: dnps,
            subject_delete_markers: false,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0..SUBJECTS.len(), 0usize..30, -3i64..10, any::<bool>())
            .prop_map(|(subject, len, dts, hdr)| Op::Store { subject, len, dts, hdr }),
        3 => (0usize..50).prop_map(Op::Remove),
        2 => (0..FILTERS.len(), prop_oneof![Just(0u64), 0u64..8], prop_oneof![Just(0u64), 0u64..4])
            .prop_map(|(filter, upto, keep)| Op::Purge { filter, upto, keep }),
        1 => (0i64..40).prop_map(Op::Expire),
        1 => limits().prop_map(Op::Limits),
        2 => Just(Op::Sync),
        1 => Just(Op::Reopen),
        1 => Just(Op::CrashReopen),
    ]
}

#[derive(Clone)]
struct Msg {
    subject: Vec<u8>,
    hdr: Vec<u8>,
    msg: Vec<u8>,
    ts: i64,
}

struct Model {
    msgs: BTreeMap<u64, Msg>,
    last_seq: u64,
    last_ts: i64,
    limits: StoreLimits,
}

fn matches(filter: &[u8], subject: &[u8]) -> bool {
    filter.is_empty() || subject_matches(filter, subject)
}

impl Model {
    fn bytes(&self) -> u64 {
        self.msgs.values().map(|m| msg_size(&m.subject, &m.hdr, &m.msg)).sum()
    }
    fn count(&self, subject: &[u8]) -> u64 {
        self.msgs.values().filter(|m| m.subject == subject).count() as u64
    }
    fn enforce_subject(&mut self, subject: &[u8]) {
        let per = self.limits.max_msgs_per_subject;
        while per > 0 && self.count(subject) > per as u64 {
            let first = *self.msgs.iter().find(|(_, m)| m.subject == subject).unwrap().0;
            self.msgs.remove(&first);
        }
    }
    fn enforce_totals(&mut self) {
        let l = self.limits;
        while (l.max_msgs > 0 && self.msgs.len() as i64 > l.max_msgs)
            || (l.max_bytes > 0 && self.bytes() as i64 > l.max_bytes)
        {
            let first = *self.msgs.keys().next().unwrap();
            self.msgs.remove(&first);
        }
    }
    fn store(&mut self, m: Msg) -> Result<u64, StoreError> {
        let l = self.limits;
        if l.max_msg_size > 0 && m.hdr.len() + m.msg.len() > l.max_msg_size as usize {
            return Err(StoreError::MsgTooBig);
        }
        if l.discard == Discard::New {
            // nats-server's rules: at the per-subject limit the new message replaces the subject's oldest.
            let payload = (m.hdr.len() + m.msg.len()) as u64;
            let at_subject_limit =
                l.max_msgs_per_subject > 0 && self.count(&m.subject) as i64 >= l.max_msgs_per_subject;
            if at_subject_limit && l.discard_new_per_subject {
                return Err(StoreError::MaxMsgsPerSubject);
            }
            if l.max_msgs > 0 && self.msgs.len() as i64 >= l.max_msgs && !at_subject_limit {
                return Err(StoreError::MaxMsgs);
            }
            if l.max_bytes > 0 && (self.bytes() + payload) as i64 >= l.max_bytes {
                let oldest = self.msgs.values().find(|x| x.subject == m.subject);
                let freed = oldest.filter(|_| at_subject_limit).map(|x| msg_size(&x.subject, &x.hdr, &x.msg));
                if freed.is_none_or(|f| f <= payload) {
                    return Err(StoreError::MaxBytes);
                }
            }
        }
        self.last_seq += 1;
        self.last_ts = m.ts;
        let subject = m.subject.clone();
        self.msgs.insert(self.last_seq, m);
        self.enforce_subject(&subject);
        self.enforce_totals();
        Ok(self.last_seq)
    }
    fn set_limits(&mut self, l: StoreLimits) {
        self.limits = l;
        for s in SUBJECTS {
            self.enforce_subject(s.as_bytes());
        }
        self.enforce_totals();
    }
    fn state(&self) -> StreamState {
        let first = self.msgs.iter().next();
        let (first_seq, first_ts_ns) = first.map_or((self.last_seq + 1, 0), |(s, m)| (*s, m.ts));
        let msgs = self.msgs.len() as u64;
        let mut subjects: Vec<&[u8]> = self.msgs.values().map(|m| m.subject.as_slice()).collect();
        subjects.sort();
        subjects.dedup();
        StreamState {
            msgs,
            bytes: self.bytes(),
            first_seq,
            first_ts_ns,
            last_seq: self.last_seq,
            last_ts_ns: self.last_ts,
            num_deleted: if msgs > 0 { self.last_seq + 1 - first_seq - msgs } else { 0 },
            num_subjects: subjects.len() as u64,
        }
    }
}

fn same_error(a: &StoreError, b: &StoreError) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn check(st: &FileStore, m: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(st.state(), m.state());
    for (&seq, x) in &m.msgs {
        let got = st.load(seq).map_err(|e| TestCaseError::fail(format!("load {seq}: {e}")))?;
        prop_assert_eq!((&got.subject, &got.hdr, &got.msg, got.ts_ns), (&x.subject, &x.hdr, &x.msg, x.ts));
    }
    for f in FILTERS {
        let f = f.as_bytes();
        let want: Vec<(Vec<u8>, u64)> = {
            let mut c: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            for x in m.msgs.values().filter(|x| matches(f, &x.subject)) {
                *c.entry(x.subject.clone()).or_default() += 1;
            }
            c.into_iter().collect()
        };
        prop_assert_eq!(st.subjects_state(f), want);
        let last = m.msgs.iter().rev().find(|(_, x)| matches(f, &x.subject)).map(|(s, _)| *s);
        prop_assert_eq!(st.load_last(f).ok().map(|x| x.seq), last);
        for start in [0, m.last_seq.saturating_sub(5), m.last_seq] {
            let next = m.msgs.range(start..).find(|(_, x)| matches(f, &x.subject)).map(|(s, _)| *s);
            prop_assert_eq!(st.load_next(start, f).unwrap().map(|x| x.seq), next);
            // visit_from lends what load_next would return one by one, up to `max`, read in runs.
            type Seen = (u64, i64, Vec<u8>, Vec<u8>, Vec<u8>);
            let all: Vec<Seen> = m
                .msgs
                .range(start..)
                .filter(|(_, x)| matches(f, &x.subject))
                .map(|(s, x)| (*s, x.ts, x.subject.clone(), x.hdr.clone(), x.msg.clone()))
                .collect();
            for max in [0, 1, 3, usize::MAX] {
                let mut got: Vec<Seen> = Vec::new();
                st.visit_from(start, f, max, &mut |v| {
                    got.push((v.seq, v.ts_ns, v.subject.to_vec(), v.hdr.to_vec(), v.msg.to_vec()));
                    true
                })
                .unwrap();
                prop_assert_eq!(&got[..], &all[..all.len().min(max)]);
            }
            let mut lent = 0;
            st.visit_from(start, f, usize::MAX, &mut |_| {
                lent += 1;
                lent < 2
            })
            .unwrap();
            prop_assert_eq!(lent, all.len().min(2));
            let pending = m.msgs.range(start..).filter(|(_, x)| matches(f, &x.subject)).count() as u64;
            prop_assert_eq!(st.num_pending(start, f, false), pending);
            let mut lps: Vec<&[u8]> = m
                .msgs
                .range(start..)
                .filter(|(_, x)| matches(f, &x.subject))
                .map(|(_, x)| x.subject.as_slice())
                .collect();
            lps.sort();
            lps.dedup();
            // last_per_subject counts subjects whose last message is at or after start.
            let lps = lps
                .iter()
                .filter(|s| m.msgs.iter().rev().find(|(_, x)| x.subject == **s).is_some_and(|(q, _)| *q >= start))
                .count() as u64;
            prop_assert_eq!(st.num_pending(start, f, true), lps);
        }
    }
    for t in [-100, m.last_ts - 5, m.last_ts, m.last_ts + 1] {
        let want = m.msgs.iter().find(|(_, x)| x.ts >= t).map_or(m.last_seq + 1, |(s, _)| *s);
        prop_assert_eq!(st.seq_for_time(t), want, "seq_for_time({})", t);
    }
    Ok(())
}

fn open(fs: &MemFs, l: StoreLimits) -> FileStore {
    FileStore::open_on(fs.shared(), Path::new("/m"), l, FileStoreConfig { block_size: 200 }).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn file_store_matches_model(initial in limits(), ops in prop::collection::vec(op(), 1..120)) {
        let fs = MemFs::new();
        let mut st = open(&fs, initial);
        let mut m = Model { msgs: BTreeMap::new(), last_seq: 0, last_ts: 0, limits: initial };
        let mut now = 0i64;
        for op in ops {
            match op {
                Op::Store { subject, len, dts, hdr } => {
                    now += dts;
                    let x = Msg {
                        subject: SUBJECTS[subject].as_bytes().to_vec(),
                        hdr: if hdr { b"NATS/1.0\r\nK: v\r\n\r\n".to_vec() } else { Vec::new() },
                        msg: (0..len).map(|i| (i as i64 + now) as u8).collect(),
                        ts: now,
                    };
                    let got = st.store(&x.subject, &x.hdr, &x.msg, x.ts);
                    match (got, m.store(x)) {
                        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                        (Err(a), Err(b)) => prop_assert!(same_error(&a, &b), "{a} vs {b}"),
                        (a, b) => prop_assert!(false, "store: {a:?} vs {b:?}"),
                    }
                }
                Op::Remove(i) => {
                    let seq = m.msgs.keys().nth(i).copied().unwrap_or(m.last_seq + 1 + i as u64);
                    prop_assert_eq!(st.remove(seq).unwrap(), m.msgs.remove(&seq).is_some());
                }
                Op::Purge { filter, upto, keep } => {
                    let f = FILTERS[filter].as_bytes();
                    let upto = if upto == 0 { 0 } else { m.state().first_seq + upto };
                    let mut seqs: Vec<u64> = m.msgs.iter().filter(|(_, x)| matches(f, &x.subject)).map(|(s, _)| *s).collect();
                    seqs.truncate(seqs.len().saturating_sub(keep as usize));
                    if upto > 0 {
                        seqs.retain(|&s| s < upto);
                    }
                    for s in &seqs {
                        m.msgs.remove(s);
                    }
                    if (f.is_empty() || f == b">") && keep == 0 && upto > m.last_seq + 1 {
                        m.last_seq = upto - 1; // Compact past the end: the stream continues at upto
                    }
                    prop_assert_eq!(st.purge(f, upto, keep).unwrap(), seqs.len() as u64);
                }
                Op::Expire(ahead) => {
                    let t = now + ahead;
                    let mut n = 0;
                    if m.limits.max_age_ns > 0 {
                        let cutoff = t - m.limits.max_age_ns;
                        let old: Vec<u64> = m.msgs.iter().take_while(|(_, x)| x.ts <= cutoff).map(|(s, _)| *s).collect();
                        for s in &old {
                            m.msgs.remove(s);
                        }
                        n = old.len() as u64;
                    }
                    prop_assert_eq!(st.expire(t).unwrap(), n);
                }
                Op::Limits(l) => {
                    st.set_limits(l).unwrap();
                    m.set_limits(l);
                }
                Op::Sync => st.sync().unwrap(),
                Op::Reopen => {
                    drop(st);
                    st = open(&fs, m.limits);
                    prop_assert!(st.recovery_report().is_clean(), "{:?}", st.recovery_report());
                }
                Op::CrashReopen => {
                    st.sync().unwrap();
                    std::mem::forget(st);
                    st = open(&fs, m.limits);
                    prop_assert!(st.recovery_report().is_clean(), "{:?}", st.recovery_report());
                }
            }
            check(&st, &m)?;
        }
    }
}
