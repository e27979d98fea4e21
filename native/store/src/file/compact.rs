//! Compaction: rewriting a sealed segment without its deleted records, so a stream that keeps a few old
//! messages among many deleted ones (a KV bucket with `max_msgs_per_subject: 1`, say) does not keep the
//! deleted ones' bytes forever.
//!
//! When: after a removal leaves a sealed segment with more deleted records than live ones (so every live
//! record is copied at most once per halving of its segment: amortised O(1) copies per delete).
//!
//! How, crash-safely: the new file (header `gen` + 1, live records, the tombstones still needed) is
//! written to `<id>.blk.tmp` and fsynced, renamed over `<id>.blk`, the directory fsynced, then the summary
//! rewritten. A crash before the rename leaves the old file (the `.tmp` is removed at open); after it, the
//! old summary names the old generation and is ignored, and the new file, which holds no deleted record,
//! is scanned.

use std::collections::HashSet;

use super::io::segment_path;
use super::record::{encode_header, encode_tomb, Header};
use super::segment::Segment;
use super::store::FileStore;
use crate::Result;

impl FileStore {
    /// Is segment `id` worth compacting?
    pub(super) fn wants_compaction(&self, id: u32) -> bool {
        let s = &self.segs[&id];
        id != self.active_id() && s.live > 0 && s.dead.len() as u64 > s.live
    }

    pub(super) fn compact_segment(&mut self, id: u32) -> Result<()> {
        // The records dropped may include the highest sequence on disk: the active segment's header, which
        // carries last_seq on, must be durable first (as before any file is removed).
        self.active().sync()?;
        self.sync_dir()?;
        let seg = &self.segs[&id];
        let elsewhere: HashSet<u64> =
            self.segs.values().filter(|s| s.id != id).flat_map(|s| s.dead.iter().copied()).collect();
        let tombs: Vec<u64> = seg.tombs.iter().copied().filter(|t| elsewhere.contains(t)).collect();
        let header = Header { gen: seg.header.gen.wrapping_add(1), ..seg.header };
        let mut out = encode_header(header).to_vec();
        let mut moved = Vec::with_capacity(seg.live as usize);
        let mut rec = Vec::new();
        for (&seq, e) in self.idx.msgs.range(seg.min_seq..=seg.max_seq.max(seg.min_seq)) {
            if e.seg != id {
                continue;
            }
            seg.read(e.off as u64, e.len, &mut rec)?;
            moved.push((seq, out.len() as u32, e.ts));
            out.extend_from_slice(&rec);
        }
        for &t in &tombs {
            encode_tomb(&mut out, t);
        }
        let path = segment_path(&self.dir, id);
        let tmp = path.with_extension("blk.tmp");
        self.fs.write_synced(&tmp, &out)?;
        self.fs.rename(&tmp, &path)?;
        self.fs.sync_dir(&self.dir)?;
        let file = self.fs.open(&path, false)?;
        let mut fresh = Segment::existing(id, header, file, out.len() as u64);
        fresh.live = moved.len() as u64;
        fresh.tombs = tombs;
        for &(seq, off, ts) in &moved {
            fresh.note_msg(seq, ts);
            self.idx.msgs.get_mut(&seq).expect("moved a live message").off = off;
        }
        self.segs.insert(id, fresh);
        self.write_summary(id)
    }
}
