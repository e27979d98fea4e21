//! Cold storage: moving old sealed segments out of a stream into an archive directory, and replaying them.
//!
//! [`FileStore::archive_older_than`] takes the oldest sealed segments whose live messages are all older
//! than a cutoff, writes each one's live messages to `<archive>/<first_seq>-<last_seq>.blk` (the segment
//! format: header, checksummed records), fsyncs it and the archive directory, and only then removes those
//! messages from the stream. A crash in between leaves them in both places (at least once, never lost);
//! archiving again rewrites the same file name. [`replay_archive`] reads an archive directory back in
//! sequence order, checking every checksum, and hands each message (original sequence and timestamp) to a
//! callback: to republish into a stream (it gets new sequences there: a stream never reuses one), to
//! export, or to inspect.

use std::path::Path;
use std::sync::Arc;

use super::io::{Fs, OsFs};
use super::record::{self, encode_header, Header, Record, SEG_HEADER_LEN};
use super::store::FileStore;
use crate::{Result, StoreError, StoredMsg};

impl FileStore {
    /// Archives the oldest sealed segments whose live messages all have a timestamp before `before_ts_ns`.
    /// Returns how many messages left the stream for `archive_dir`.
    pub fn archive_older_than(&mut self, before_ts_ns: i64, archive_dir: &Path) -> Result<u64> {
        self.check_open()?;
        self.fs.create_dir_all(archive_dir)?;
        let active = self.active_id();
        let ids: Vec<u32> = self.segs.keys().copied().filter(|&id| id != active).collect();
        let mut moved = 0;
        for id in ids {
            let seg = &self.segs[&id];
            let live: Vec<(u64, super::index::Entry)> = if seg.min_seq == 0 {
                Vec::new()
            } else {
                self.idx
                    .msgs
                    .range(seg.min_seq..=seg.max_seq)
                    .filter(|(_, e)| e.seg == id)
                    .map(|(s, e)| (*s, *e))
                    .collect()
            };
            if live.iter().any(|(_, e)| e.ts >= before_ts_ns) {
                break; // keep the archive a contiguous prefix of the stream
            }
            let (Some(first), Some(last)) = (live.first(), live.last()) else { continue };
            let mut out = encode_header(Header { base_seq: first.0, base_ts: first.1.ts, gen: 0 }).to_vec();
            let mut rec = Vec::new();
            for (_, e) in &live {
                seg.read(e.off as u64, e.len, &mut rec)?;
                out.extend_from_slice(&rec);
            }
            let name = format!("{:020}-{:020}.blk", first.0, last.0);
            let tmp = archive_dir.join(format!("{name}.tmp"));
            self.fs.write_synced(&tmp, &out)?;
            self.fs.rename(&tmp, &archive_dir.join(&name))?;
            self.fs.sync_dir(archive_dir)?;
            let seqs: Vec<u64> = live.iter().map(|(s, _)| *s).collect();
            moved += self.remove_seqs(&seqs)?;
        }
        Ok(moved)
    }
}

/// Replays every message archived in `archive_dir`, in sequence order. Returns how many were replayed.
pub fn replay_archive(archive_dir: &Path, f: impl FnMut(StoredMsg) -> Result<()>) -> Result<u64> {
    replay_on(&OsFs::shared(), archive_dir, f)
}

/// The messages of one archive file (`<first_seq>-<last_seq>.blk`), in the order written, every checksum
/// checked. For tools that stream an archive one file at a time (list, replay over the network).
pub fn read_archive_file(path: &Path) -> Result<Vec<StoredMsg>> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let data = OsFs::shared().read(path)?;
    let mut out = Vec::new();
    parse_file(&name, &data, |m| {
        out.push(m);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn replay_on(
    fs: &Arc<dyn Fs>,
    archive_dir: &Path,
    mut f: impl FnMut(StoredMsg) -> Result<()>,
) -> Result<u64> {
    let mut names: Vec<String> = fs.list(archive_dir)?.into_iter().filter(|n| n.ends_with(".blk")).collect();
    names.sort(); // zero-padded first sequences: name order is sequence order
    let mut n = 0;
    let mut last = 0u64;
    for name in names {
        let data = fs.read(&archive_dir.join(&name))?;
        parse_file(&name, &data, |m| {
            // Overlapping files (an archive run cut by a crash, then redone) replay each message once.
            if m.seq > last {
                last = m.seq;
                n += 1;
                return f(m);
            }
            Ok(())
        })?;
    }
    Ok(n)
}

/// Hands each message record of one archive file's bytes to `f`.
fn parse_file(name: &str, data: &[u8], mut f: impl FnMut(StoredMsg) -> Result<()>) -> Result<()> {
    let bad = |what: &str| StoreError::Corrupt(format!("archive {name}: {what}"));
    record::decode_header(data).ok_or_else(|| bad("bad header"))?;
    let mut at = SEG_HEADER_LEN;
    while at < data.len() {
        let (rec, len) = record::parse(&data[at..]).ok_or_else(|| bad(&format!("bad record at {at}")))?;
        if let Record::Msg { seq, ts, subject, hdr, msg } = rec {
            f(StoredMsg { seq, ts_ns: ts, subject: subject.to_vec(), hdr: hdr.to_vec(), msg: msg.to_vec() })?;
        }
        at += len;
    }
    Ok(())
}
