//! The in-memory indexes over the live messages: by sequence (where each record is), by subject (count,
//! first and last sequence per subject) and by time (for `seq_for_time`). Rebuilt at open from summaries
//! and scans; never written to disk as such.

use std::collections::{BTreeMap, HashMap, VecDeque};

use myelin_core::subject::{subject_matches, SubjectHash};

use super::record::stored_size;
use crate::ttl::TtlIndex;

/// Where a live message is. 24 bytes per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seg: u32,
    pub off: u32,
    /// Record length in bytes.
    pub len: u32,
    /// Subject id: an index into `Index::slots`.
    pub subj: u32,
    pub ts: i64,
}

pub struct SubjectSlot {
    pub subject: Box<[u8]>,
    pub count: u64,
    pub first: u64,
    pub last: u64,
}

#[derive(Default)]
pub struct Index {
    pub msgs: BTreeMap<u64, Entry>,
    /// Sum of `stored_size` over live messages (`state.bytes`).
    pub bytes: u64,
    ids: HashMap<Box<[u8]>, u32, SubjectHash>,
    slots: Vec<SubjectSlot>,
    free: Vec<u32>,
    /// (running maximum of ts, first sequence reaching it), in sequence order. A new entry only when the
    /// maximum grows, so a binary search finds the first sequence with ts >= t even if clocks step back.
    times: VecDeque<(i64, u64)>,
    /// Expiry of the live messages with a `Nats-TTL` (from the headers when appended or scanned, from the
    /// summary otherwise).
    pub ttl: TtlIndex,
}

/// Is `filter` "everything"?
pub fn is_all(filter: &[u8]) -> bool {
    filter.is_empty() || filter == b">"
}

impl Index {
    pub fn len(&self) -> u64 {
        self.msgs.len() as u64
    }

    pub fn first_seq(&self) -> Option<u64> {
        self.msgs.keys().next().copied()
    }

    pub fn subject(&self, id: u32) -> &[u8] {
        &self.slots[id as usize].subject
    }

    pub fn slot_of(&self, subject: &[u8]) -> Option<&SubjectSlot> {
        self.ids.get(subject).map(|&id| &self.slots[id as usize])
    }

    pub fn slots(&self) -> impl Iterator<Item = &SubjectSlot> {
        self.slots.iter().filter(|s| s.count > 0)
    }

    pub fn num_subjects(&self) -> u64 {
        self.ids.len() as u64
    }

    /// Adds a message. Sequences arrive in increasing order (appends, and recovery in file order).
    pub fn insert(&mut self, seq: u64, seg: u32, off: u32, len: u32, subject: &[u8], ts: i64) {
        let subj = match self.ids.get(subject) {
            Some(&id) => {
                let s = &mut self.slots[id as usize];
                s.count += 1;
                s.last = seq;
                id
            }
            None => {
                let slot = SubjectSlot { subject: subject.into(), count: 1, first: seq, last: seq };
                let id = match self.free.pop() {
                    Some(id) => {
                        self.slots[id as usize] = slot;
                        id
                    }
                    None => {
                        self.slots.push(slot);
                        (self.slots.len() - 1) as u32
                    }
                };
                self.ids.insert(subject.into(), id);
                id
            }
        };
        self.msgs.insert(seq, Entry { seg, off, len, subj, ts });
        self.bytes += stored_size(len);
        if self.times.back().is_none_or(|&(t, _)| ts > t) {
            self.times.push_back((ts, seq));
        }
    }

    /// Removes a message; `None` when it is not live.
    pub fn remove(&mut self, seq: u64) -> Option<Entry> {
        let e = self.msgs.remove(&seq)?;
        self.ttl.remove(seq);
        self.bytes -= stored_size(e.len);
        let id = e.subj;
        let slot = &mut self.slots[id as usize];
        slot.count -= 1;
        if slot.count == 0 {
            let subject = std::mem::take(&mut slot.subject);
            self.ids.remove(&subject);
            self.free.push(id);
        } else if slot.count == 1 {
            let other = if slot.first == seq { slot.last } else { slot.first };
            slot.first = other;
            slot.last = other;
        } else if slot.first == seq {
            // The next of this subject: a scan, but only over messages between the two.
            let next = self.msgs.range(seq + 1..).find(|(_, x)| x.subj == id).map(|(s, _)| *s);
            self.slots[id as usize].first = next.expect("subject count says another message exists");
        } else if slot.last == seq {
            let prev = self.msgs.range(..seq).rev().find(|(_, x)| x.subj == id).map(|(s, _)| *s);
            self.slots[id as usize].last = prev.expect("subject count says another message exists");
        }
        // Time entries wholly before the first live message can go.
        let first = self.first_seq().unwrap_or(u64::MAX);
        while self.times.len() > 1 && self.times[1].1 <= first {
            self.times.pop_front();
        }
        Some(e)
    }

    /// The first live sequence with ts >= `ts`.
    pub fn seq_for_time(&self, ts: i64) -> Option<u64> {
        let i = self.times.partition_point(|&(t, _)| t < ts);
        let from = self.times.get(i)?.1;
        self.msgs.range(from..).find(|(_, e)| e.ts >= ts).map(|(s, _)| *s)
    }

    /// Live sequences >= `start` whose subject matches `filter`, in order, for the caller to walk lazily.
    pub fn matching<'a>(&'a self, start: u64, filter: &'a [u8]) -> Box<dyn Iterator<Item = (u64, &'a Entry)> + 'a> {
        let all = is_all(filter);
        if all {
            return Box::new(self.msgs.range(start..).map(|(s, e)| (*s, e)));
        }
        if !myelin_core::subject::has_wildcard(filter) {
            let Some(&id) = self.ids.get(filter) else { return Box::new(std::iter::empty()) };
            let slot = &self.slots[id as usize];
            let from = start.max(slot.first);
            let to = slot.last;
            return Box::new(
                self.msgs.range(from..=to.max(from)).filter(move |(_, e)| e.subj == id).map(|(s, e)| (*s, e)),
            );
        }
        // Wildcards: decide each subject once.
        let mut verdict: Vec<u8> = vec![0; self.slots.len()];
        Box::new(self.msgs.range(start..).filter_map(move |(s, e)| {
            let v = &mut verdict[e.subj as usize];
            if *v == 0 {
                *v = if subject_matches(filter, &self.slots[e.subj as usize].subject) { 1 } else { 2 };
            }
            (*v == 1).then_some((*s, e))
        }))
    }

    /// Does `filter` match `subject`? (`filter` empty or `>` matches all.)
    pub fn filter_matches(filter: &[u8], subject: &[u8]) -> bool {
        is_all(filter) || subject_matches(filter, subject)
    }
}
