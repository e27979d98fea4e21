//! The `MsgStore` contract on top of the file store's write path and indexes: reads, limits, purge.

use super::index::{is_all, Entry, Index};
use super::record::{self, msg_record_len, stored_size, Record, MAX_RECORD};
use super::store::FileStore;
use crate::ttl::is_marker;
use crate::{Discard, Expired, MsgStore, MsgView, Result, StoreError, StoreLimits, StreamState};

/// `visit_from` reads adjacent records of one segment with one read while the run stays under this many
/// bytes, stepping over gaps (deleted or unmatched records) of up to `RUN_GAP` bytes.
const RUN_MAX: u64 = 256 * 1024;
const RUN_GAP: u64 = 4 * 1024;

impl FileStore {
    fn load_entry(&self, seq: u64) -> Result<crate::StoredMsg> {
        let e = self.idx.msgs.get(&seq).ok_or(StoreError::NotFound)?;
        self.segs[&e.seg].load(seq, e.off as u64, e.len)
    }

    /// Discard::New refusals, before anything is written, as nats-server's file store decides them: a
    /// message for a subject at its per-subject limit replaces that subject's oldest, so it is not refused
    /// for max_msgs, nor for max_bytes if the one it replaces is larger; the byte check counts headers and
    /// payload only, and refuses at equality.
    fn check_room(&self, subject: &[u8], payload: u64) -> Result<()> {
        let l = &self.limits;
        if l.discard != Discard::New {
            return Ok(());
        }
        let mut replaces = None;
        if l.max_msgs_per_subject > 0 {
            if let Some(slot) = self.idx.slot_of(subject).filter(|s| s.count >= l.max_msgs_per_subject as u64) {
                if l.discard_new_per_subject {
                    return Err(StoreError::MaxMsgsPerSubject);
                }
                replaces = Some(slot.first);
            }
        }
        if l.max_msgs > 0 && self.idx.len() >= l.max_msgs as u64 && replaces.is_none() {
            return Err(StoreError::MaxMsgs);
        }
        if l.max_bytes > 0 && self.idx.bytes + payload >= l.max_bytes as u64 {
            let freed = replaces.and_then(|s| self.idx.msgs.get(&s)).map(|e| stored_size(e.len));
            if freed.is_none_or(|f| f <= payload) {
                return Err(StoreError::MaxBytes);
            }
        }
        Ok(())
    }

    /// Drops the oldest messages of `subject` beyond the per-subject limit.
    fn enforce_subject(&mut self, subject: &[u8]) -> Result<()> {
        let max = self.limits.max_msgs_per_subject;
        if max <= 0 {
            return Ok(());
        }
        while let Some(slot) = self.idx.slot_of(subject) {
            if slot.count <= max as u64 {
                break;
            }
            let first = slot.first;
            self.remove_seqs(&[first])?;
        }
        Ok(())
    }

    /// Drops the oldest messages while over max_msgs or max_bytes (whatever the discard policy: with
    /// Discard::New this only happens when the limits are lowered), as nats-server does.
    fn enforce_totals(&mut self) -> Result<()> {
        let l = self.limits;
        loop {
            let over_msgs = l.max_msgs > 0 && self.idx.len() > l.max_msgs as u64;
            let over_bytes = l.max_bytes > 0 && self.idx.bytes > l.max_bytes as u64;
            if !over_msgs && !over_bytes {
                return Ok(());
            }
            let first = self.idx.first_seq().expect("over a limit means not empty");
            self.remove_seqs(&[first])?;
        }
    }

    /// Applies every limit but age (which needs the caller's clock: `expire`).
    pub(super) fn enforce_limits(&mut self) -> Result<()> {
        if self.limits.max_msgs_per_subject > 0 {
            let over: Vec<Vec<u8>> = self
                .idx
                .slots()
                .filter(|s| s.count > self.limits.max_msgs_per_subject as u64)
                .map(|s| s.subject.to_vec())
                .collect();
            for subject in over {
                self.enforce_subject(&subject)?;
            }
        }
        self.enforce_totals()
    }
}

impl MsgStore for FileStore {
    fn store(&mut self, subject: &[u8], hdr: &[u8], msg: &[u8], ts_ns: i64) -> Result<u64> {
        self.check_open()?;
        let max_size = self.limits.max_msg_size;
        if (max_size > 0 && hdr.len() + msg.len() > max_size as usize)
            || subject.len() > u16::MAX as usize
            || msg_record_len(subject, hdr, msg) > MAX_RECORD
        {
            return Err(StoreError::MsgTooBig);
        }
        self.check_room(subject, (hdr.len() + msg.len()) as u64)?;
        let seq = self.append(subject, hdr, msg, ts_ns)?;
        self.enforce_subject(subject)?;
        self.enforce_totals()?;
        Ok(seq)
    }

    fn sync(&mut self) -> Result<()> {
        self.check_open()?;
        self.sync_all()
    }

    fn flush(&mut self) -> Result<()> {
        self.check_open()?;
        self.active().flush()?;
        Ok(())
    }

    fn load(&self, seq: u64) -> Result<crate::StoredMsg> {
        self.check_open()?;
        self.load_entry(seq)
    }

    fn load_next(&self, start: u64, filter: &[u8]) -> Result<Option<crate::StoredMsg>> {
        self.check_open()?;
        let next = self.idx.matching(start, filter).next().map(|(s, _)| s);
        next.map(|s| self.load_entry(s)).transpose()
    }

    fn visit_from(
        &self,
        start: u64,
        filter: &[u8],
        max: usize,
        visit: &mut dyn FnMut(MsgView<'_>) -> bool,
    ) -> Result<()> {
        self.check_open()?;
        let spots: Vec<(u64, Entry)> = self.idx.matching(start, filter).take(max).map(|(s, e)| (s, *e)).collect();
        // One read per run, into one buffer the views borrow from; a run is read only once the one before
        // it has been visited, so a visitor that stops early costs no more reads.
        let mut run = Vec::new();
        let mut i = 0;
        while i < spots.len() {
            let first = spots[i].1;
            let from = first.off as u64;
            let mut to = from + first.len as u64;
            let mut j = i + 1;
            while let Some((_, e)) = spots.get(j) {
                let (off, end) = (e.off as u64, e.off as u64 + e.len as u64);
                if e.seg != first.seg || off < to || off - to > RUN_GAP || end - from > RUN_MAX {
                    break;
                }
                to = end;
                j += 1;
            }
            let seg = &self.segs[&first.seg];
            seg.read(from, (to - from) as u32, &mut run)?;
            for &(seq, e) in &spots[i..j] {
                let at = (e.off as u64 - from) as usize;
                let view = match record::parse(&run[at..at + e.len as usize]) {
                    Some((Record::Msg { seq: s, ts, subject, hdr, msg }, n)) if s == seq && n == e.len as usize => {
                        MsgView { seq, ts_ns: ts, subject, hdr, msg }
                    }
                    _ => {
                        let off = e.off;
                        return Err(StoreError::Corrupt(format!(
                            "segment {} offset {off}: bad record for seq {seq}",
                            seg.id
                        )));
                    }
                };
                if !visit(view) {
                    return Ok(());
                }
            }
            i = j;
        }
        Ok(())
    }

    fn load_last(&self, filter: &[u8]) -> Result<crate::StoredMsg> {
        self.check_open()?;
        let last = if is_all(filter) {
            self.idx.msgs.keys().next_back().copied()
        } else if myelin_core::subject::is_literal(filter) {
            // One subject (a KV get): its slot, not a scan of every subject.
            self.idx.slot_of(filter).filter(|s| s.count > 0).map(|s| s.last)
        } else {
            self.idx.slots().filter(|s| Index::filter_matches(filter, &s.subject)).map(|s| s.last).max()
        };
        self.load_entry(last.ok_or(StoreError::NotFound)?)
    }

    fn seq_for_time(&self, ts_ns: i64) -> u64 {
        self.idx.seq_for_time(ts_ns).unwrap_or(self.last_seq + 1)
    }

    fn remove(&mut self, seq: u64) -> Result<bool> {
        self.check_open()?;
        Ok(self.remove_seqs(&[seq])? == 1)
    }

    fn purge(&mut self, filter: &[u8], upto_seq: u64, keep: u64) -> Result<u64> {
        self.check_open()?;
        if is_all(filter) && upto_seq == 0 && keep == 0 {
            return self.purge_all();
        }
        if is_all(filter) && keep == 0 && upto_seq > self.last_seq + 1 {
            return self.purge_to(upto_seq);
        }
        let mut seqs: Vec<u64> = self.idx.matching(0, filter).map(|(s, _)| s).collect();
        if keep > 0 {
            seqs.truncate(seqs.len().saturating_sub(keep as usize));
        }
        if upto_seq > 0 {
            seqs.retain(|&s| s < upto_seq);
        }
        self.remove_seqs(&seqs)
    }

    fn expire_due(&mut self, now_ns: i64) -> Result<Expired> {
        self.check_open()?;
        let mut due: Vec<u64> = self.idx.ttl.due(now_ns).collect();
        let max_age = self.limits.max_age_ns;
        if max_age > 0 {
            let cutoff = now_ns.saturating_sub(max_age);
            let old = self.idx.msgs.iter().take_while(|(_, e)| e.ts <= cutoff).map(|(s, _)| *s);
            due.extend(old.filter(|&s| !self.idx.ttl.is_never(s)));
        }
        due.sort_unstable();
        due.dedup();
        let mut out = Expired::default();
        if self.limits.subject_delete_markers {
            // Decided in sequence order, counting each subject down: whether a message is the last of its
            // subject depends on the due ones before it. Only a last one is read, to see if it is a marker.
            let mut go = Vec::with_capacity(due.len());
            let mut left: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
            for seq in due {
                let Some(subj) = self.idx.msgs.get(&seq).map(|e| e.subj) else { continue };
                let count = *left
                    .entry(subj)
                    .or_insert_with(|| self.idx.slot_of(self.idx.subject(subj)).map_or(0, |s| s.count));
                if count == 1 && !is_marker(&self.load_entry(seq)?.hdr) {
                    out.await_marker.push(seq);
                    continue;
                }
                left.insert(subj, count - 1);
                go.push(seq);
            }
            due = go;
        }
        out.removed = self.remove_seqs(&due)?;
        Ok(out)
    }

    fn set_limits(&mut self, limits: StoreLimits) -> Result<()> {
        self.check_open()?;
        self.limits = limits;
        self.enforce_limits()
    }

    fn state(&self) -> StreamState {
        let msgs = self.idx.len();
        let first = self.idx.msgs.iter().next();
        let (first_seq, first_ts_ns) = first.map_or((self.last_seq + 1, 0), |(s, e)| (*s, e.ts));
        StreamState {
            msgs,
            bytes: self.idx.bytes,
            first_seq,
            first_ts_ns,
            last_seq: self.last_seq,
            last_ts_ns: self.last_ts,
            num_deleted: if msgs > 0 { self.last_seq + 1 - first_seq - msgs } else { 0 },
            num_subjects: self.idx.num_subjects(),
        }
    }

    fn subjects_state(&self, filter: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let mut v: Vec<(Vec<u8>, u64)> = self
            .idx
            .slots()
            .filter(|s| Index::filter_matches(filter, &s.subject))
            .map(|s| (s.subject.to_vec(), s.count))
            .collect();
        v.sort_unstable();
        v
    }

    fn num_pending(&self, start: u64, filter: &[u8], last_per_subject: bool) -> u64 {
        if last_per_subject {
            return self.idx.slots().filter(|s| s.last >= start && Index::filter_matches(filter, &s.subject)).count()
                as u64;
        }
        if is_all(filter) && self.idx.first_seq().is_none_or(|f| start <= f) {
            return self.idx.len();
        }
        if let Some(slot) = self.idx.slot_of(filter) {
            if start <= slot.first {
                return slot.count;
            }
        }
        self.idx.matching(start, filter).count() as u64
    }

    fn destroy(&mut self) -> Result<()> {
        self.destroy_files()
    }

    fn archive_older_than(&mut self, before_ts_ns: i64, archive_dir: &std::path::Path) -> Result<u64> {
        FileStore::archive_older_than(self, before_ts_ns, archive_dir)
    }
}
