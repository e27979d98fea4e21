//! The summary (`<id>.idx`) of a segment: what recovery would learn by scanning it, so a restart reads a
//! few bytes per message instead of every payload.
//!
//! Written when a segment is sealed (it never changes afterwards) and for the active segment at a clean
//! close, and rewritten (atomically: temporary file, fsync, rename) when a segment holding tombstones for
//! this one is removed. It covers the first `seg_len` bytes of the segment file; recovery trusts it only if
//! its checksum holds, its base sequence matches the segment header and the file is at least `seg_len`
//! long, and then scans only the bytes after `seg_len`. It lists the messages that were live when it was
//! written, the deleted ones still in the file (`dead`: the segment's delete map; deletes after that are
//! tombstones in the active segment) and the tombstones the segment holds.
//!
//! ```text
//! magic "MYELIDX1" | base_seq u64 | gen u32 | seg_len u64 | min_seq u64 | max_seq u64 | max_ts i64
//! | n_subjects u32 | (len u16, bytes)*  | n_msgs u32 | (seq u64, ts i64, off u32, len u32, subject u32)*
//! | n_tombs u32 | seq u64* | n_dead u32 | seq u64* | [n_ttls u32 | (seq u64, expires i64)*] | crc32c u32
//! ```
//!
//! The TTL section (messages with a `Nats-TTL`: expiry in Unix ns, `i64::MAX` for `never`) is written only
//! when there is one, so a summary without TTLs reads as before; a Myelin that predates it rejects a summary
//! that has one and rescans the segment instead.

use super::crc::crc32c;

const MAGIC: &[u8; 8] = b"MYELIDX1";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub base_seq: u64,
    /// The segment header's `gen`: a summary of an older generation of a compacted file is ignored.
    pub gen: u32,
    pub seg_len: u64,
    pub min_seq: u64,
    pub max_seq: u64,
    pub max_ts: i64,
    /// Distinct subjects; messages refer to them by position.
    pub subjects: Vec<Vec<u8>>,
    pub msgs: Vec<SummaryMsg>,
    pub tombs: Vec<u64>,
    pub dead: Vec<u64>,
    /// (seq, expiry) of the listed messages that carry a TTL.
    pub ttls: Vec<(u64, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryMsg {
    pub seq: u64,
    pub ts: i64,
    pub off: u32,
    pub len: u32,
    pub subject: u32,
}

impl Summary {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + self.msgs.len() * 28 + self.tombs.len() * 8);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.base_seq.to_le_bytes());
        b.extend_from_slice(&self.gen.to_le_bytes());
        for v in [self.seg_len, self.min_seq, self.max_seq] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&self.max_ts.to_le_bytes());
        b.extend_from_slice(&(self.subjects.len() as u32).to_le_bytes());
        for s in &self.subjects {
            b.extend_from_slice(&(s.len() as u16).to_le_bytes());
            b.extend_from_slice(s);
        }
        b.extend_from_slice(&(self.msgs.len() as u32).to_le_bytes());
        for m in &self.msgs {
            b.extend_from_slice(&m.seq.to_le_bytes());
            b.extend_from_slice(&m.ts.to_le_bytes());
            b.extend_from_slice(&m.off.to_le_bytes());
            b.extend_from_slice(&m.len.to_le_bytes());
            b.extend_from_slice(&m.subject.to_le_bytes());
        }
        for list in [&self.tombs, &self.dead] {
            b.extend_from_slice(&(list.len() as u32).to_le_bytes());
            for t in list {
                b.extend_from_slice(&t.to_le_bytes());
            }
        }
        if !self.ttls.is_empty() {
            b.extend_from_slice(&(self.ttls.len() as u32).to_le_bytes());
            for &(seq, exp) in &self.ttls {
                b.extend_from_slice(&seq.to_le_bytes());
                b.extend_from_slice(&exp.to_le_bytes());
            }
        }
        let crc = crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// `None` when the bytes are not a whole, intact summary.
    pub fn decode(b: &[u8]) -> Option<Summary> {
        if b.len() < 4 + MAGIC.len() {
            return None;
        }
        let (body, crc) = b.split_at(b.len() - 4);
        if crc32c(body) != u32::from_le_bytes(crc.try_into().ok()?) {
            return None;
        }
        let mut r = Reader { b: body, at: 0 };
        if r.take(8)? != MAGIC {
            return None;
        }
        let mut s = Summary {
            base_seq: r.u64()?,
            gen: r.u32()?,
            seg_len: r.u64()?,
            min_seq: r.u64()?,
            max_seq: r.u64()?,
            max_ts: r.u64()? as i64,
            ..Summary::default()
        };
        let n = r.u32()? as usize;
        for _ in 0..n {
            let l = u16::from_le_bytes(r.take(2)?.try_into().ok()?) as usize;
            s.subjects.push(r.take(l)?.to_vec());
        }
        let n = r.u32()? as usize;
        s.msgs.reserve(n.min(body.len() / 28));
        for _ in 0..n {
            let m = SummaryMsg { seq: r.u64()?, ts: r.u64()? as i64, off: r.u32()?, len: r.u32()?, subject: r.u32()? };
            if m.subject as usize >= s.subjects.len() {
                return None;
            }
            s.msgs.push(m);
        }
        for list in [&mut s.tombs, &mut s.dead] {
            let n = r.u32()? as usize;
            for _ in 0..n {
                list.push(r.u64()?);
            }
        }
        if r.at < body.len() {
            let n = r.u32()? as usize;
            for _ in 0..n {
                s.ttls.push((r.u64()?, r.u64()? as i64));
            }
        }
        (r.at == body.len()).then_some(s)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let s = Summary {
            base_seq: 3,
            gen: 2,
            seg_len: 999,
            min_seq: 3,
            max_seq: 9,
            max_ts: 77,
            subjects: vec![b"a".to_vec(), b"b.c".to_vec()],
            msgs: vec![SummaryMsg { seq: 3, ts: 1, off: 20, len: 40, subject: 1 }],
            tombs: vec![4, 5],
            dead: vec![6],
            ttls: vec![(3, 5_000_000_000)],
        };
        let b = s.encode();
        assert_eq!(Summary::decode(&b), Some(s));
        for cut in 0..b.len() {
            assert_eq!(Summary::decode(&b[..cut]), None);
        }
        let mut d = b.clone();
        d[30] ^= 4;
        assert_eq!(Summary::decode(&d), None);
    }
}
