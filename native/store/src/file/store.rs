//! `FileStore`: the segments, the indexes, and the write path (append, roll, tombstones, segment removal).
//! The `MsgStore` methods built on them are in `msg_store.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::index::Index;
use super::io::{segment_path, summary_path, Fs, OsFs};
use super::record::Header;
use super::recovery::{self, remove_if_exists, RecoveryReport};
use super::segment::Segment;
use super::summary::{Summary, SummaryMsg};
use crate::{Result, StoreError, StoreLimits};

/// Tunables that are not stream configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStoreConfig {
    /// A segment is sealed and a new one started when the next record would take it past this many bytes
    /// (a single larger message gets a segment of its own).
    pub block_size: u64,
}

impl Default for FileStoreConfig {
    fn default() -> Self {
        FileStoreConfig { block_size: 8 << 20 }
    }
}

/// A stream's messages in a directory of segment files. See the module docs for the format and policies.
pub struct FileStore {
    pub(super) fs: Arc<dyn Fs>,
    pub(super) dir: PathBuf,
    pub(super) cfg: FileStoreConfig,
    pub(super) limits: StoreLimits,
    /// By id; the last one is the active segment, the only one appended to.
    pub(super) segs: BTreeMap<u32, Segment>,
    pub(super) idx: Index,
    pub(super) last_seq: u64,
    pub(super) last_ts: i64,
    /// Were files created or removed since the directory was last fsynced?
    dir_dirty: bool,
    report: RecoveryReport,
    pub(super) closed: bool,
}

impl FileStore {
    /// Opens the store in `dir`, creating it, or recovering what is there (see [`FileStore::recovery_report`]).
    pub fn open(dir: &Path, limits: StoreLimits) -> Result<FileStore> {
        Self::open_with(dir, limits, FileStoreConfig::default())
    }

    pub fn open_with(dir: &Path, limits: StoreLimits, cfg: FileStoreConfig) -> Result<FileStore> {
        Self::open_on(OsFs::shared(), dir, limits, cfg)
    }

    /// Opens over any [`Fs`] (tests substitute a recording one).
    pub(crate) fn open_on(fs: Arc<dyn Fs>, dir: &Path, limits: StoreLimits, cfg: FileStoreConfig) -> Result<FileStore> {
        let r = recovery::recover(&*fs, dir)?;
        let mut st = FileStore {
            fs,
            dir: dir.to_path_buf(),
            cfg,
            limits,
            segs: r.segs,
            idx: r.idx,
            last_seq: r.last_seq,
            last_ts: r.last_ts,
            dir_dirty: false,
            report: r.report,
            closed: false,
        };
        if st.segs.is_empty() {
            st.new_segment()?;
        }
        let active = st.active_id();
        let empty: Vec<u32> = st.segs.values().filter(|s| s.live == 0 && s.id != active).map(|s| s.id).collect();
        for id in empty {
            st.delete_segment(id)?;
        }
        for id in r.need_summary {
            if id != active && st.segs.contains_key(&id) {
                st.write_summary(id)?;
            }
        }
        st.enforce_limits()?;
        st.sync_all()?;
        Ok(st)
    }

    /// What recovery found when this store was opened. The caller logs it; the store does not.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Flushes, fsyncs and writes the active segment's summary so the next open reads no record. Dropping
    /// the store does the same, ignoring errors.
    pub fn close(mut self) -> Result<()> {
        self.close_inner()
    }

    fn close_inner(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let id = self.active_id();
        self.active().sync()?;
        self.write_summary(id)?;
        self.sync_dir()?;
        Ok(())
    }

    pub(super) fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(StoreError::Closed)
        } else {
            Ok(())
        }
    }

    pub(super) fn active_id(&self) -> u32 {
        *self.segs.keys().next_back().expect("a store always has an active segment")
    }

    pub(super) fn active(&mut self) -> &mut Segment {
        self.segs.values_mut().next_back().expect("a store always has an active segment")
    }

    /// Appends a message as `last_seq + 1`, rolling to a new segment first if this one is full. No limits.
    pub(super) fn append(&mut self, subject: &[u8], hdr: &[u8], msg: &[u8], ts: i64) -> Result<u64> {
        let rec_len = super::record::msg_record_len(subject, hdr, msg) as u64;
        let a = self.active();
        if a.has_records() && a.len() + rec_len > self.cfg.block_size {
            self.roll()?;
        }
        let seq = self.last_seq + 1;
        let a = self.active();
        let (off, len) = a.append_msg(seq, ts, subject, hdr, msg)?;
        a.live += 1;
        let id = a.id;
        self.idx.insert(seq, id, off as u32, len, subject, ts);
        self.idx.ttl.add_msg(seq, ts, hdr);
        self.last_seq = seq;
        self.last_ts = ts;
        Ok(seq)
    }

    /// Removes live messages. A tombstone goes to the active segment for each one whose segment stays (and
    /// the segment's delete map notes it); segments left with no live message are deleted instead.
    /// Returns how many were live.
    pub(super) fn remove_seqs(&mut self, seqs: &[u64]) -> Result<u64> {
        let active = self.active_id();
        let mut removed = Vec::new();
        for &seq in seqs {
            if let Some(e) = self.idx.remove(seq) {
                self.segs.get_mut(&e.seg).expect("entry's segment exists").live -= 1;
                removed.push((seq, e.seg));
            }
        }
        let mut emptied = Vec::new();
        for &(seq, seg) in &removed {
            let s = self.segs.get_mut(&seg).expect("entry's segment exists");
            if seg == active || s.live > 0 {
                s.dead.push(seq);
                self.active().append_tomb(seq)?;
            } else {
                emptied.push(seg);
            }
        }
        emptied.sort_unstable();
        emptied.dedup();
        for id in emptied {
            self.delete_segment(id)?;
        }
        let mut touched: Vec<u32> = removed.iter().map(|&(_, s)| s).collect();
        touched.sort_unstable();
        touched.dedup();
        for id in touched {
            if self.segs.contains_key(&id) && self.wants_compaction(id) {
                self.compact_segment(id)?;
            }
        }
        Ok(removed.len() as u64)
    }

    /// Removes a sealed segment that holds no live message. Where its tombstones hide records still in
    /// another (older, sealed) segment, that segment's summary is rewritten first with its delete map, so
    /// the deletes outlive the tombstones. The active segment's header and the directory are made durable
    /// before the file goes, so `last_seq` survives whatever is removed.
    pub(super) fn delete_segment(&mut self, id: u32) -> Result<()> {
        let Some(seg) = self.segs.remove(&id) else { return Ok(()) };
        let active = self.active_id();
        let hidden: HashSet<u64> = seg.tombs.iter().copied().collect();
        drop(seg);
        let holders: Vec<u32> =
            self.segs.values().filter(|s| s.dead.iter().any(|d| hidden.contains(d))).map(|s| s.id).collect();
        for h in holders {
            if h == active {
                // Not reachable (a segment's tombstones name older messages), but cheap to keep correct.
                let carry: Vec<u64> = self.segs[&h].dead.iter().copied().filter(|d| hidden.contains(d)).collect();
                for t in carry {
                    self.active().append_tomb(t)?;
                }
            } else {
                self.write_summary(h)?;
            }
        }
        let a = self.active();
        a.sync()?;
        self.sync_dir()?;
        self.fs.remove(&segment_path(&self.dir, id))?;
        remove_if_exists(&*self.fs, &summary_path(&self.dir, id))?;
        self.dir_dirty = true;
        Ok(())
    }

    /// Seals the active segment (fsync, summary) and starts the next one.
    fn roll(&mut self) -> Result<()> {
        let id = self.active_id();
        self.active().sync()?;
        self.write_summary(id)?;
        self.new_segment()?;
        if self.segs[&id].live == 0 {
            self.delete_segment(id)?;
        }
        Ok(())
    }

    /// Starts a new active segment whose header carries `last_seq + 1` and `last_ts`.
    pub(super) fn new_segment(&mut self) -> Result<()> {
        let id = self.segs.keys().next_back().map_or(1, |&i| i + 1);
        let path = segment_path(&self.dir, id);
        remove_if_exists(&*self.fs, &summary_path(&self.dir, id))?;
        let mut file = self.fs.open(&path, true)?;
        file.set_len(0)?;
        let header = Header { base_seq: self.last_seq + 1, base_ts: self.last_ts, gen: 0 };
        self.segs.insert(id, Segment::create(id, header, file));
        self.dir_dirty = true;
        Ok(())
    }

    /// A full purge: a new segment carries the sequence on; every older file goes, once that is durable.
    pub(super) fn purge_all(&mut self) -> Result<u64> {
        let n = self.idx.len();
        if !self.active().has_records() && self.segs.len() == 1 {
            return Ok(n);
        }
        self.replace_all_segments()?;
        Ok(n)
    }

    /// nats-server's Compact past the end: everything goes and the stream continues at `next` (> last + 1),
    /// carried by the new segment's header as a full purge carries the sequence on.
    pub(super) fn purge_to(&mut self, next: u64) -> Result<u64> {
        let n = self.idx.len();
        self.last_seq = next - 1;
        self.replace_all_segments()?;
        Ok(n)
    }

    /// A new segment (made durable first), then every older file removed and the index emptied.
    fn replace_all_segments(&mut self) -> Result<()> {
        let old: Vec<u32> = self.segs.keys().copied().collect();
        self.new_segment()?;
        self.active().sync()?;
        self.sync_dir()?;
        for id in old {
            self.segs.remove(&id);
            self.fs.remove(&segment_path(&self.dir, id))?;
            remove_if_exists(&*self.fs, &summary_path(&self.dir, id))?;
        }
        self.dir_dirty = true;
        self.idx = Index::default();
        Ok(())
    }

    /// Writes the summary of segment `id`, whose bytes must all be in its file: to a temporary file, fsynced,
    /// then renamed over the old one, so a crash leaves the old summary or the new, never a torn one.
    pub(super) fn write_summary(&mut self, id: u32) -> Result<()> {
        let seg = &self.segs[&id];
        let mut s = Summary {
            base_seq: seg.header.base_seq,
            gen: seg.header.gen,
            seg_len: seg.len(),
            min_seq: seg.min_seq,
            max_seq: seg.max_seq,
            max_ts: seg.max_ts,
            tombs: seg.tombs.clone(),
            dead: seg.dead.clone(),
            ..Summary::default()
        };
        if seg.min_seq != 0 {
            let mut local: HashMap<u32, u32> = HashMap::new();
            for (&seq, e) in self.idx.msgs.range(seg.min_seq..=seg.max_seq) {
                if e.seg != id {
                    continue;
                }
                let subject = *local.entry(e.subj).or_insert_with(|| {
                    s.subjects.push(self.idx.subject(e.subj).to_vec());
                    (s.subjects.len() - 1) as u32
                });
                s.msgs.push(SummaryMsg { seq, ts: e.ts, off: e.off, len: e.len, subject });
                if let Some(expires) = self.idx.ttl.expires(seq) {
                    s.ttls.push((seq, expires));
                }
            }
        }
        let path = summary_path(&self.dir, id);
        let tmp = path.with_extension("idx.tmp");
        self.fs.write_synced(&tmp, &s.encode())?;
        self.fs.rename(&tmp, &path)?;
        self.dir_dirty = true;
        Ok(())
    }

    pub(super) fn sync_dir(&mut self) -> io::Result<()> {
        if self.dir_dirty {
            self.fs.sync_dir(&self.dir)?;
            self.dir_dirty = false;
        }
        Ok(())
    }

    /// Group commit: write the buffered records and fsync the active segment (sealed ones were fsynced
    /// when sealed) and, if files came or went, the directory.
    pub(super) fn sync_all(&mut self) -> Result<()> {
        self.active().sync()?;
        self.sync_dir()?;
        Ok(())
    }

    /// Removes the store's directory and everything in it.
    pub(super) fn destroy_files(&mut self) -> Result<()> {
        self.closed = true;
        self.segs.clear();
        self.idx = Index::default();
        match self.fs.remove_dir_all(&self.dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        let _ = self.close_inner();
    }
}
