//! Opening a store directory: load each segment from its summary (scanning only what the summary does not
//! cover) or by scanning it, cut a torn tail, skip corrupt ranges, apply tombstones, and say what was lost.
//!
//! Recovery never logs: everything it repaired or skipped is in the [`RecoveryReport`], for the caller to
//! log or surface.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use super::index::Index;
use super::io::{parse_segment_name, segment_path, summary_path, Fs};
use super::record::{self, Header, Record, SEG_HEADER_LEN, TOMB_LEN};
use super::segment::Segment;
use super::summary::Summary;

/// What recovery found and did. `problems` is empty after a clean close; a crash in the middle of a write
/// shows up as a torn tail (only unsynced bytes, but bytes were dropped, so it is listed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files found.
    pub segments: usize,
    /// Of those, how many were loaded from their summary (the rest, and any tail after a summary, scanned).
    pub from_summary: usize,
    /// Bytes read record by record.
    pub scanned_bytes: u64,
    /// Live messages after recovery (before limits were applied).
    pub msgs: u64,
    pub problems: Vec<RecoveryProblem>,
}

impl RecoveryReport {
    /// Did recovery find nothing to repair?
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecoveryProblem {
    /// The segment ended in an incomplete or invalid record (a write cut by a crash): the file was cut at
    /// `offset`, dropping `bytes` bytes. Only unsynced stores can be lost this way.
    TornTail { segment: u32, offset: u64, bytes: u64 },
    /// Unreadable bytes `from..to` inside the segment, skipped; messages with sequences strictly between
    /// `after_seq` and `before_seq` (0 = unknown) that were in that range are lost.
    Corrupt { segment: u32, from: u64, to: u64, after_seq: u64, before_seq: u64 },
    /// The segment header was unreadable: the records after it were still scanned, or, when the file had
    /// none, the file was removed.
    BadHeader { segment: u32, removed: bool },
    /// The summary was damaged or stale and was ignored (the segment was scanned instead; nothing lost).
    BadSummary { segment: u32 },
}

/// The state rebuilt from disk, handed to the store.
pub struct Recovered {
    pub segs: BTreeMap<u32, Segment>,
    pub idx: Index,
    pub last_seq: u64,
    pub last_ts: i64,
    /// Sealed segments that were scanned and deserve a summary for next time.
    pub need_summary: Vec<u32>,
    pub report: RecoveryReport,
}

pub fn recover(fs: &dyn Fs, dir: &Path) -> io::Result<Recovered> {
    fs.create_dir_all(dir)?;
    let names = fs.list(dir)?;
    for n in names.iter().filter(|n| n.ends_with(".tmp")) {
        fs.remove(&dir.join(n))?; // a summary rewrite (or compaction) a crash cut short
    }
    let mut ids: Vec<u32> = names.iter().filter_map(|n| parse_segment_name(n)).collect();
    ids.sort_unstable();
    let mut r = Recovered {
        segs: BTreeMap::new(),
        idx: Index::default(),
        last_seq: 0,
        last_ts: 0,
        need_summary: Vec::new(),
        report: RecoveryReport { segments: ids.len(), ..RecoveryReport::default() },
    };
    let mut tombs = Vec::new();
    let mut last_inserted = 0u64;
    for (i, &id) in ids.iter().enumerate() {
        let is_last = i + 1 == ids.len();
        let path = segment_path(dir, id);
        let file = fs.open(&path, false)?;
        let len = file.len()?;
        let mut head = [0u8; SEG_HEADER_LEN];
        let header = if len >= SEG_HEADER_LEN as u64 {
            file.read_exact_at(&mut head, 0)?;
            record::decode_header(&head)
        } else {
            None
        };
        let bad_header_at = r.report.problems.len();
        if header.is_none() {
            r.report.problems.push(RecoveryProblem::BadHeader { segment: id, removed: false });
        }
        let mut seg = Segment::existing(id, header.unwrap_or(Header { base_seq: 0, base_ts: 0, gen: 0 }), file, len);
        let mut scan_from = SEG_HEADER_LEN as u64;
        let mut summarized = false;
        if let Some(h) = header {
            match fs.read(&summary_path(dir, id)) {
                Ok(b) => match Summary::decode(&b) {
                    Some(s)
                        if s.base_seq == h.base_seq && s.gen == h.gen && s.seg_len <= len && s.seg_len >= scan_from =>
                    {
                        scan_from = s.seg_len;
                        summarized = true;
                        r.report.from_summary += 1;
                        for m in &s.msgs {
                            if m.seq > last_inserted {
                                last_inserted = m.seq;
                                r.idx.insert(m.seq, id, m.off, m.len, &s.subjects[m.subject as usize], m.ts);
                                seg.live += 1;
                            }
                        }
                        for &(seq, expires) in &s.ttls {
                            if r.idx.msgs.get(&seq).is_some_and(|e| e.seg == id) {
                                r.idx.ttl.insert(seq, expires);
                            }
                        }
                        if s.min_seq != 0 {
                            seg.note_msg(s.min_seq, 0);
                            seg.note_msg(s.max_seq, s.max_ts);
                        }
                        seg.tombs.extend_from_slice(&s.tombs);
                        tombs.extend_from_slice(&s.tombs);
                        seg.dead = s.dead;
                    }
                    _ => {
                        // Rescanned now, rewritten when sealed (or below, if sealed already).
                        fs.remove(&summary_path(dir, id))?;
                        r.report.problems.push(RecoveryProblem::BadSummary { segment: id });
                    }
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if scan_from < len {
            let mut data = vec![0u8; (len - scan_from) as usize];
            seg_read(&seg, &mut data, scan_from)?;
            r.report.scanned_bytes += data.len() as u64;
            let end = scan(&data, scan_from, &mut seg, &mut r, &mut tombs, &mut last_inserted);
            if end < len {
                seg.truncate(end)?;
            }
        }
        if header.is_none() && seg.min_seq == 0 && seg.tombs.is_empty() {
            // A segment whose creation was cut short: nothing readable in it. Its predecessors are all
            // still there (the store makes a new header durable before removing any file).
            drop(seg);
            fs.remove(&path)?;
            remove_if_exists(fs, &summary_path(dir, id))?;
            r.report.problems[bad_header_at] = RecoveryProblem::BadHeader { segment: id, removed: true };
            continue;
        }
        if !is_last && (!summarized || scan_from < seg.len()) {
            r.need_summary.push(id);
        }
        r.segs.insert(id, seg);
    }
    for seq in tombs.iter().copied() {
        if let Some(e) = r.idx.remove(seq) {
            if let Some(s) = r.segs.get_mut(&e.seg) {
                s.live -= 1;
                s.dead.push(seq);
            }
        }
    }
    for s in r.segs.values() {
        if s.header.base_seq > r.last_seq {
            r.last_seq = s.header.base_seq - 1;
            r.last_ts = s.header.base_ts;
        }
        if s.max_seq >= r.last_seq && s.max_seq > 0 {
            r.last_seq = s.max_seq;
            r.last_ts = s.max_ts;
        }
    }
    if let Some(&t) = tombs.iter().max() {
        r.last_seq = r.last_seq.max(t);
    }
    r.report.msgs = r.idx.len();
    Ok(r)
}

fn seg_read(seg: &Segment, out: &mut [u8], off: u64) -> io::Result<()> {
    let mut v = Vec::new();
    seg.read(off, out.len() as u32, &mut v)?;
    out.copy_from_slice(&v);
    Ok(())
}

/// Scans records in `data` (which starts at file offset `base`), adding them to the index; returns the
/// file offset where valid data ends (the rest is a torn tail).
fn scan(
    data: &[u8],
    base: u64,
    seg: &mut Segment,
    r: &mut Recovered,
    tombs: &mut Vec<u64>,
    last_inserted: &mut u64,
) -> u64 {
    let mut at = 0usize;
    let mut last_msg_seq = *last_inserted;
    let mut open_gap: Option<usize> = None; // index in problems of a Corrupt awaiting its before_seq
    while at < data.len() {
        match record::parse(&data[at..]) {
            Some((rec, n)) => {
                match rec {
                    Record::Msg { seq, ts, subject, hdr, .. } => {
                        if let Some(i) = open_gap.take() {
                            if let RecoveryProblem::Corrupt { before_seq, .. } = &mut r.report.problems[i] {
                                *before_seq = seq;
                            }
                        }
                        seg.note_msg(seq, ts);
                        last_msg_seq = seq;
                        // A sequence at or below one already loaded can only be a stray copy: skip it.
                        if seq > *last_inserted {
                            *last_inserted = seq;
                            r.idx.insert(seq, seg.id, (base as usize + at) as u32, n as u32, subject, ts);
                            r.idx.ttl.add_msg(seq, ts, hdr);
                            seg.live += 1;
                        }
                    }
                    Record::Tomb { seq } => {
                        seg.tombs.push(seq);
                        tombs.push(seq);
                    }
                }
                at += n;
            }
            None => {
                let next =
                    (at + 1..data.len().saturating_sub(TOMB_LEN - 1)).find(|&p| record::parse(&data[p..]).is_some());
                match next {
                    Some(p) => {
                        open_gap = Some(r.report.problems.len());
                        r.report.problems.push(RecoveryProblem::Corrupt {
                            segment: seg.id,
                            from: base + at as u64,
                            to: base + p as u64,
                            after_seq: last_msg_seq,
                            before_seq: 0,
                        });
                        at = p;
                    }
                    None => {
                        r.report.problems.push(RecoveryProblem::TornTail {
                            segment: seg.id,
                            offset: base + at as u64,
                            bytes: (data.len() - at) as u64,
                        });
                        return base + at as u64;
                    }
                }
            }
        }
    }
    base + data.len() as u64
}

pub fn remove_if_exists(fs: &dyn Fs, path: &Path) -> io::Result<()> {
    match fs.remove(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
