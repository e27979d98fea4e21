//! One segment (block) file: its open handle, the user-space write buffer, and what the store needs to know
//! about its contents without reading it.

use std::io;

use super::io::FsFile;
use super::record::{self, Header, Record};

/// Flush the write buffer to the file (no fsync) once it holds this much: bounds the memory a burst of
/// unsynced stores pins, and keeps the write calls large.
pub const FLUSH_AT: usize = 64 * 1024;

pub struct Segment {
    pub id: u32,
    /// Sequence the segment's first message would have, the last timestamp before it, the rewrite count.
    pub header: Header,
    file: Box<dyn FsFile>,
    /// Bytes already written to the file (not necessarily fsynced).
    flushed: u64,
    /// Bytes after `flushed`, not yet written. Owned by the segment until `flush`.
    buf: Vec<u8>,
    /// Has anything been written or buffered since the last fsync?
    dirty: bool,
    /// Live (not deleted) messages in this segment.
    pub live: u64,
    /// Lowest and highest sequence of any message record physically in the file (0, 0 when none).
    pub min_seq: u64,
    pub max_seq: u64,
    /// Timestamp of the record at `max_seq`.
    pub max_ts: i64,
    /// Sequences of the tombstones this file holds.
    pub tombs: Vec<u64>,
    /// Deleted messages whose records are still in this file. Persisted in the summary, so the tombstones
    /// that deleted them (in this or later segments) can go once the summary says so.
    pub dead: Vec<u64>,
}

impl Segment {
    /// A segment over an existing file of `len` bytes, all of them already on disk.
    pub fn existing(id: u32, header: Header, file: Box<dyn FsFile>, len: u64) -> Segment {
        Segment {
            id,
            header,
            file,
            flushed: len,
            buf: Vec::new(),
            dirty: false,
            live: 0,
            min_seq: 0,
            max_seq: 0,
            max_ts: 0,
            tombs: Vec::new(),
            dead: Vec::new(),
        }
    }

    /// A new, empty segment file: the header is buffered like any record.
    pub fn create(id: u32, header: Header, file: Box<dyn FsFile>) -> Segment {
        let mut s = Segment::existing(id, header, file, 0);
        s.buf.extend_from_slice(&record::encode_header(header));
        s.dirty = true;
        s
    }

    /// Length including buffered bytes: where the next record goes.
    pub fn len(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// Does the file hold anything besides its header?
    pub fn has_records(&self) -> bool {
        self.len() > record::SEG_HEADER_LEN as u64
    }

    /// Appends a message record; returns its offset and length.
    pub fn append_msg(&mut self, seq: u64, ts: i64, subject: &[u8], hdr: &[u8], msg: &[u8]) -> io::Result<(u64, u32)> {
        let off = self.len();
        let start = self.buf.len();
        record::encode_msg(&mut self.buf, seq, ts, subject, hdr, msg);
        let len = (self.buf.len() - start) as u32;
        self.note_msg(seq, ts);
        self.dirty = true;
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok((off, len))
    }

    pub fn append_tomb(&mut self, seq: u64) -> io::Result<()> {
        record::encode_tomb(&mut self.buf, seq);
        self.tombs.push(seq);
        self.dirty = true;
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Records that a message record with `seq` is in the file (appended or found by recovery).
    pub fn note_msg(&mut self, seq: u64, ts: i64) {
        if self.min_seq == 0 || seq < self.min_seq {
            self.min_seq = seq;
        }
        if seq >= self.max_seq {
            self.max_seq = seq;
            self.max_ts = ts;
        }
    }

    /// Writes the buffer to the file (no fsync).
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all_at(&self.buf, self.flushed)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the buffer and fsyncs, if anything changed since the last fsync.
    pub fn sync(&mut self) -> io::Result<()> {
        self.flush()?;
        if self.dirty {
            self.file.sync()?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Cuts the file at `len` (recovery of a torn tail) and makes the cut durable.
    pub fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.buf.clear();
        self.file.set_len(len)?;
        self.file.sync()?;
        self.flushed = len;
        Ok(())
    }

    /// Reads `len` bytes at `off` (one record, or a run of them) into `out`: what is already in the file with
    /// one read, the rest from the write buffer.
    pub fn read(&self, off: u64, len: u32, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        out.resize(len as usize, 0);
        let in_file = (off + len as u64).min(self.flushed).saturating_sub(off) as usize;
        if in_file > 0 {
            self.file.read_exact_at(&mut out[..in_file], off)?;
        }
        if in_file < out.len() {
            let s = (off + in_file as u64 - self.flushed) as usize;
            match self.buf.get(s..s + out.len() - in_file) {
                Some(b) => out[in_file..].copy_from_slice(b),
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
        Ok(())
    }

    /// Decodes the record at `off`, checking it is a message with sequence `seq`.
    pub fn load(&self, seq: u64, off: u64, len: u32) -> Result<crate::StoredMsg, crate::StoreError> {
        let mut b = Vec::new();
        self.read(off, len, &mut b)?;
        match record::parse(&b) {
            Some((Record::Msg { seq: s, ts, subject, hdr, msg }, n)) if s == seq && n == len as usize => {
                Ok(crate::StoredMsg { seq, ts_ns: ts, subject: subject.to_vec(), hdr: hdr.to_vec(), msg: msg.to_vec() })
            }
            _ => Err(crate::StoreError::Corrupt(format!("segment {} offset {off}: bad record for seq {seq}", self.id))),
        }
    }
}
