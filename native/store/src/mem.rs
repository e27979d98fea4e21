//! The memory store (`storage: memory`): messages in a sequence-ordered map, with a per-subject index of
//! sequences for per-subject limits, last-by-subject lookups and subject counts. Nothing survives a restart;
//! `sync` has nothing to do.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use myelin_core::subject::subject_matches;

use crate::ttl::{is_marker, TtlIndex};
use crate::{msg_size, Discard, Expired, MsgStore, MsgView, Result, StoreError, StoreLimits, StoredMsg, StreamState};

/// Whether `filter` selects every subject.
fn is_all(filter: &[u8]) -> bool {
    filter.is_empty() || filter == b">"
}

fn matches(filter: &[u8], subject: &[u8]) -> bool {
    is_all(filter) || subject_matches(filter, subject)
}

pub struct MemStore {
    limits: StoreLimits,
    msgs: BTreeMap<u64, StoredMsg>,
    /// subject → sequences held for it, ascending.
    by_subject: HashMap<Vec<u8>, BTreeSet<u64>>,
    bytes: u64,
    /// Next sequence minus one; never goes down.
    last_seq: u64,
    last_ts_ns: i64,
    /// First sequence of the stream: the lowest held, or last_seq + 1 once everything was removed.
    first_seq: u64,
    /// Expiry of the messages with a `Nats-TTL`.
    ttl: TtlIndex,
    closed: bool,
}

impl MemStore {
    pub fn new(limits: StoreLimits) -> MemStore {
        MemStore {
            limits,
            msgs: BTreeMap::new(),
            by_subject: HashMap::new(),
            bytes: 0,
            last_seq: 0,
            last_ts_ns: 0,
            first_seq: 0,
            ttl: TtlIndex::default(),
            closed: false,
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(StoreError::Closed)
        } else {
            Ok(())
        }
    }

    fn remove_seq(&mut self, seq: u64) -> bool {
        let Some(m) = self.msgs.remove(&seq) else { return false };
        self.bytes -= msg_size(&m.subject, &m.hdr, &m.msg);
        self.ttl.remove(seq);
        if let Some(set) = self.by_subject.get_mut(&m.subject) {
            set.remove(&seq);
            if set.is_empty() {
                self.by_subject.remove(&m.subject);
            }
        }
        self.first_seq = self.msgs.keys().next().copied().unwrap_or(self.last_seq + 1);
        true
    }

    fn remove_first(&mut self) -> bool {
        match self.msgs.keys().next().copied() {
            Some(seq) => self.remove_seq(seq),
            None => false,
        }
    }

    /// Apply the limits with discard-old semantics (used after a store and after a limits change).
    fn enforce(&mut self, now_ns: i64) {
        let l = self.limits;
        if l.max_msgs_per_subject > 0 {
            let over: Vec<u64> = self
                .by_subject
                .values()
                .filter(|s| s.len() as i64 > l.max_msgs_per_subject)
                .flat_map(|s| s.iter().take(s.len() - l.max_msgs_per_subject as usize).copied().collect::<Vec<_>>())
                .collect();
            for seq in over {
                self.remove_seq(seq);
            }
        }
        if l.max_msgs > 0 {
            while self.msgs.len() as i64 > l.max_msgs {
                self.remove_first();
            }
        }
        if l.max_bytes > 0 {
            while self.bytes as i64 > l.max_bytes && self.remove_first() {}
        }
        if l.max_age_ns > 0 && now_ns > 0 {
            self.expire_as_of(now_ns);
        }
    }

    /// Sequences due as of `now_ns` (age limit or TTL), ascending.
    fn due(&self, now_ns: i64) -> Vec<u64> {
        let mut due: Vec<u64> = self.ttl.due(now_ns).collect();
        if self.limits.max_age_ns > 0 {
            let cutoff = now_ns - self.limits.max_age_ns;
            let old = self.msgs.values().take_while(|m| m.ts_ns <= cutoff).map(|m| m.seq);
            due.extend(old.filter(|&s| !self.ttl.is_never(s)));
        }
        due.sort_unstable();
        due.dedup();
        due
    }

    fn expire_as_of(&mut self, now_ns: i64) -> Expired {
        let mut out = Expired::default();
        for seq in self.due(now_ns) {
            if self.limits.subject_delete_markers {
                let m = &self.msgs[&seq];
                if self.by_subject.get(&m.subject).map_or(0, |s| s.len()) == 1 && !is_marker(&m.hdr) {
                    out.await_marker.push(seq);
                    continue;
                }
            }
            self.remove_seq(seq);
            out.removed += 1;
        }
        out
    }
}

impl MsgStore for MemStore {
    fn store(&mut self, subject: &[u8], hdr: &[u8], msg: &[u8], ts_ns: i64) -> Result<u64> {
        self.check_open()?;
        let l = self.limits;
        if l.max_msg_size > 0 && hdr.len() + msg.len() > l.max_msg_size as usize {
            return Err(StoreError::MsgTooBig);
        }
        let size = msg_size(subject, hdr, msg);
        if l.discard == Discard::New {
            if l.max_msgs > 0 && self.msgs.len() as i64 >= l.max_msgs {
                return Err(StoreError::MaxMsgs);
            }
            if l.max_bytes > 0 && (self.bytes + size) as i64 > l.max_bytes {
                return Err(StoreError::MaxBytes);
            }
            if l.discard_new_per_subject && l.max_msgs_per_subject > 0 {
                let held = self.by_subject.get(subject).map_or(0, |s| s.len()) as i64;
                if held >= l.max_msgs_per_subject {
                    return Err(StoreError::MaxMsgsPerSubject);
                }
            }
        }
        self.last_seq += 1;
        let seq = self.last_seq;
        self.last_ts_ns = ts_ns;
        if self.msgs.is_empty() {
            self.first_seq = seq;
        }
        self.bytes += size;
        self.by_subject.entry(subject.to_vec()).or_default().insert(seq);
        self.msgs
            .insert(seq, StoredMsg { seq, ts_ns, subject: subject.to_vec(), hdr: hdr.to_vec(), msg: msg.to_vec() });
        self.ttl.add_msg(seq, ts_ns, hdr);
        self.enforce(ts_ns);
        Ok(seq)
    }

    fn sync(&mut self) -> Result<()> {
        self.check_open()
    }

    fn load(&self, seq: u64) -> Result<StoredMsg> {
        self.check_open()?;
        self.msgs.get(&seq).cloned().ok_or(StoreError::NotFound)
    }

    fn load_next(&self, start: u64, filter: &[u8]) -> Result<Option<StoredMsg>> {
        self.check_open()?;
        if !is_all(filter) && myelin_core::subject::is_literal(filter) {
            // A literal filter: go straight to that subject's sequences.
            return Ok(self
                .by_subject
                .get(filter)
                .and_then(|s| s.range(start..).next())
                .and_then(|seq| self.msgs.get(seq).cloned()));
        }
        Ok(self.msgs.range(start..).map(|(_, m)| m).find(|m| matches(filter, &m.subject)).cloned())
    }

    fn visit_from(
        &self,
        start: u64,
        filter: &[u8],
        max: usize,
        visit: &mut dyn FnMut(MsgView<'_>) -> bool,
    ) -> Result<()> {
        self.check_open()?;
        if !is_all(filter) && myelin_core::subject::is_literal(filter) {
            let Some(seqs) = self.by_subject.get(filter) else { return Ok(()) };
            for seq in seqs.range(start..).take(max) {
                if let Some(m) = self.msgs.get(seq) {
                    if !visit(MsgView::from(m)) {
                        break;
                    }
                }
            }
            return Ok(());
        }
        for (_, m) in self.msgs.range(start..).filter(|(_, m)| matches(filter, &m.subject)).take(max) {
            if !visit(MsgView::from(m)) {
                break;
            }
        }
        Ok(())
    }

    fn load_last(&self, filter: &[u8]) -> Result<StoredMsg> {
        self.check_open()?;
        if !is_all(filter) && myelin_core::subject::is_literal(filter) {
            return self
                .by_subject
                .get(filter)
                .and_then(|s| s.iter().next_back())
                .and_then(|seq| self.msgs.get(seq).cloned())
                .ok_or(StoreError::NotFound);
        }
        self.msgs.values().rev().find(|m| matches(filter, &m.subject)).cloned().ok_or(StoreError::NotFound)
    }

    fn seq_for_time(&self, ts_ns: i64) -> u64 {
        self.msgs.values().find(|m| m.ts_ns >= ts_ns).map_or(self.last_seq + 1, |m| m.seq)
    }

    fn remove(&mut self, seq: u64) -> Result<bool> {
        self.check_open()?;
        Ok(self.remove_seq(seq))
    }

    fn purge(&mut self, filter: &[u8], upto_seq: u64, keep: u64) -> Result<u64> {
        self.check_open()?;
        let mut candidates: Vec<u64> = self
            .msgs
            .values()
            .filter(|m| (upto_seq == 0 || m.seq < upto_seq) && matches(filter, &m.subject))
            .map(|m| m.seq)
            .collect();
        if keep > 0 {
            // Keep the newest `keep` of everything the filter selects (not only those below upto_seq).
            let selected = self.msgs.values().filter(|m| matches(filter, &m.subject)).count() as u64;
            let removable = selected.saturating_sub(keep) as usize;
            candidates.truncate(removable.min(candidates.len()));
        }
        let n = candidates.len() as u64;
        for seq in candidates {
            self.remove_seq(seq);
        }
        if self.msgs.is_empty() {
            // A purge moves the stream past everything it removed, and a purge up to a sequence past the
            // end moves it there.
            self.first_seq = self.last_seq + 1;
            if upto_seq > self.first_seq && is_all(filter) {
                self.last_seq = upto_seq - 1;
                self.first_seq = upto_seq;
            }
        }
        Ok(n)
    }

    fn expire_due(&mut self, now_ns: i64) -> Result<Expired> {
        self.check_open()?;
        Ok(self.expire_as_of(now_ns))
    }

    fn set_limits(&mut self, limits: StoreLimits) -> Result<()> {
        self.check_open()?;
        self.limits = limits;
        self.enforce(0);
        Ok(())
    }

    fn state(&self) -> StreamState {
        let msgs = self.msgs.len() as u64;
        let (first_ts_ns, num_deleted) = match self.msgs.values().next() {
            Some(m) => (m.ts_ns, self.last_seq - self.first_seq + 1 - msgs),
            None => (0, 0),
        };
        StreamState {
            msgs,
            bytes: self.bytes,
            first_seq: self.first_seq,
            first_ts_ns,
            last_seq: self.last_seq,
            last_ts_ns: self.last_ts_ns,
            num_deleted,
            num_subjects: self.by_subject.len() as u64,
        }
    }

    fn subjects_state(&self, filter: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let mut out: Vec<(Vec<u8>, u64)> = self
            .by_subject
            .iter()
            .filter(|(s, _)| matches(filter, s))
            .map(|(s, seqs)| (s.clone(), seqs.len() as u64))
            .collect();
        out.sort();
        out
    }

    fn num_pending(&self, start: u64, filter: &[u8], last_per_subject: bool) -> u64 {
        if last_per_subject {
            return self
                .by_subject
                .iter()
                .filter(|(s, seqs)| matches(filter, s) && seqs.iter().next_back().is_some_and(|&l| l >= start))
                .count() as u64;
        }
        if is_all(filter) {
            return self.msgs.range(start..).count() as u64;
        }
        self.msgs.range(start..).filter(|(_, m)| matches(filter, &m.subject)).count() as u64
    }

    fn destroy(&mut self) -> Result<()> {
        self.msgs.clear();
        self.by_subject.clear();
        self.ttl.clear();
        self.bytes = 0;
        self.closed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(limits: StoreLimits) -> MemStore {
        MemStore::new(limits)
    }

    #[test]
    fn sequences_and_state() {
        let mut s = store(StoreLimits::default());
        assert_eq!(s.state(), StreamState::default());
        assert_eq!(s.store(b"a", b"", b"1", 10).unwrap(), 1);
        assert_eq!(s.store(b"b", b"", b"22", 20).unwrap(), 2);
        let st = s.state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq, st.num_subjects), (2, 1, 2, 2));
        assert_eq!(st.bytes, msg_size(b"a", b"", b"1") + msg_size(b"b", b"", b"22"));
        assert_eq!(s.load(2).unwrap().msg, b"22");
        assert!(matches!(s.load(3), Err(StoreError::NotFound)));
    }

    #[test]
    fn remove_leaves_interior_gap_and_seq_never_reused() {
        let mut s = store(StoreLimits::default());
        for i in 0..3 {
            s.store(b"a", b"", b"x", i).unwrap();
        }
        assert!(s.remove(2).unwrap());
        assert!(!s.remove(2).unwrap());
        assert_eq!(s.state().num_deleted, 1);
        assert!(s.remove(1).unwrap() && s.remove(3).unwrap());
        let st = s.state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq), (0, 4, 3));
        assert_eq!(s.store(b"a", b"", b"x", 9).unwrap(), 4);
    }

    #[test]
    fn visit_from_lends_what_load_next_returns() {
        let mut s = store(StoreLimits::default());
        for (i, subj) in [&b"a.1"[..], b"b.1", b"a.2", b"a.1"].iter().enumerate() {
            s.store(subj, b"", &[i as u8], i as i64).unwrap();
        }
        s.remove(3).unwrap();
        for (filter, max, want) in
            [(&b""[..], 9, vec![1, 2, 4]), (b"a.*", 9, vec![1, 4]), (b"a.1", 9, vec![1, 4]), (b">", 2, vec![1, 2])]
        {
            let mut got = Vec::new();
            s.visit_from(1, filter, max, &mut |m| {
                assert_eq!(m.msg, &[m.seq as u8 - 1]);
                got.push(m.seq);
                true
            })
            .unwrap();
            assert_eq!(got, want, "filter {:?}", std::str::from_utf8(filter));
        }
        let mut got = Vec::new();
        s.visit_from(2, b"", 9, &mut |m| {
            got.push(m.seq);
            false
        })
        .unwrap();
        assert_eq!(got, vec![2]);
    }

    #[test]
    fn load_next_last_with_filters() {
        let mut s = store(StoreLimits::default());
        s.store(b"a.1", b"", b"1", 1).unwrap();
        s.store(b"b.1", b"", b"2", 2).unwrap();
        s.store(b"a.2", b"", b"3", 3).unwrap();
        assert_eq!(s.load_next(2, b"a.*").unwrap().unwrap().seq, 3);
        assert_eq!(s.load_next(1, b"b.1").unwrap().unwrap().seq, 2);
        assert!(s.load_next(4, b"").unwrap().is_none());
        assert_eq!(s.load_last(b"a.>").unwrap().seq, 3);
        assert_eq!(s.load_last(b"a.1").unwrap().seq, 1);
        assert!(matches!(s.load_last(b"c"), Err(StoreError::NotFound)));
        assert_eq!(s.seq_for_time(2), 2);
        assert_eq!(s.seq_for_time(99), 4);
    }

    #[test]
    fn discard_old_limits() {
        let mut s = store(StoreLimits { max_msgs: 2, ..Default::default() });
        for i in 0..5 {
            s.store(b"a", b"", b"x", i).unwrap();
        }
        let st = s.state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq), (2, 4, 5));
        let mut s = store(StoreLimits { max_msgs_per_subject: 1, ..Default::default() });
        s.store(b"k.a", b"", b"1", 1).unwrap();
        s.store(b"k.b", b"", b"1", 1).unwrap();
        s.store(b"k.a", b"", b"2", 1).unwrap();
        assert_eq!(s.state().msgs, 2);
        assert_eq!(s.load_last(b"k.a").unwrap().msg, b"2");
        let mut s = store(StoreLimits { max_bytes: 2 * msg_size(b"a", b"", b"x") as i64, ..Default::default() });
        for i in 0..4 {
            s.store(b"a", b"", b"x", i).unwrap();
        }
        assert_eq!(s.state().msgs, 2);
    }

    #[test]
    fn discard_new_refuses() {
        let mut s = store(StoreLimits { max_msgs: 1, discard: Discard::New, ..Default::default() });
        s.store(b"a", b"", b"x", 1).unwrap();
        assert!(matches!(s.store(b"a", b"", b"x", 1), Err(StoreError::MaxMsgs)));
        let mut s = store(StoreLimits {
            max_msgs_per_subject: 1,
            discard: Discard::New,
            discard_new_per_subject: true,
            ..Default::default()
        });
        s.store(b"a", b"", b"x", 1).unwrap();
        assert!(matches!(s.store(b"a", b"", b"x", 1), Err(StoreError::MaxMsgsPerSubject)));
        s.store(b"b", b"", b"x", 1).unwrap();
        let mut s = store(StoreLimits { max_msg_size: 2, ..Default::default() });
        assert!(matches!(s.store(b"a", b"", b"xyz", 1), Err(StoreError::MsgTooBig)));
    }

    #[test]
    fn age_expiry() {
        let mut s = store(StoreLimits { max_age_ns: 100, ..Default::default() });
        s.store(b"a", b"", b"x", 1000).unwrap();
        s.store(b"a", b"", b"x", 1050).unwrap();
        assert_eq!(s.expire(1120).unwrap(), 1);
        assert_eq!(s.state().first_seq, 2);
        // Storing at a later time expires the rest.
        s.store(b"a", b"", b"x", 1300).unwrap();
        assert_eq!(s.state().msgs, 1);
    }

    #[test]
    fn purge_forms() {
        let mut s = store(StoreLimits::default());
        for (i, subj) in [&b"a"[..], b"b", b"a", b"b", b"a"].iter().enumerate() {
            s.store(subj, b"", b"x", i as i64).unwrap();
        }
        assert_eq!(s.purge(b"a", 0, 1).unwrap(), 2);
        assert_eq!(s.state().msgs, 3);
        assert_eq!(s.purge(b"", 4, 0).unwrap(), 1);
        assert_eq!(s.state().first_seq, 4);
        assert_eq!(s.purge(b"", 0, 0).unwrap(), 2);
        let st = s.state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq), (0, 6, 5));
    }

    #[test]
    fn pending_and_subjects() {
        let mut s = store(StoreLimits::default());
        s.store(b"k.a", b"", b"1", 1).unwrap();
        s.store(b"k.b", b"", b"1", 1).unwrap();
        s.store(b"k.a", b"", b"2", 1).unwrap();
        assert_eq!(s.num_pending(1, b"", false), 3);
        assert_eq!(s.num_pending(2, b"k.a", false), 1);
        assert_eq!(s.num_pending(1, b"k.>", true), 2);
        assert_eq!(s.subjects_state(b"k.*"), vec![(b"k.a".to_vec(), 2), (b"k.b".to_vec(), 1)]);
        s.destroy().unwrap();
        assert!(matches!(s.load(1), Err(StoreError::Closed)));
    }
}
