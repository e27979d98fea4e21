//! The bytes of a segment file: a header, then records, each self-delimiting and checksummed.
//!
//! ```text
//! header   magic "MYELSEG1" | base_seq u64 | base_ts i64 | gen u32 | crc32c u32          (32 bytes)
//! message  len u32 | kind=1 u8 | seq u64 | ts i64 | subj_len u16 | hdr_len u32 | msg_len u32
//!          | subject | hdr | msg | crc32c u32
//! tomb     len u32 | kind=2 u8 | seq u64 | crc32c u32                                    (17 bytes)
//! ```
//!
//! Little endian. `len` counts the whole record, itself and the checksum included; the checksum covers
//! everything before it. `base_seq` is the sequence the segment's first message would get: it carries
//! `last_seq` (and `base_ts` the last timestamp) across a purge that leaves no message behind. `gen` counts
//! the rewrites of the file by compaction; a summary is only trusted for the generation it was written for.

use super::crc::crc32c;

pub const SEG_MAGIC: &[u8; 8] = b"MYELSEG1";
pub const SEG_HEADER_LEN: usize = 32;

/// A segment file's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub base_seq: u64,
    pub base_ts: i64,
    pub gen: u32,
}

const KIND_MSG: u8 = 1;
const KIND_TOMB: u8 = 2;
/// Bytes of a message record besides subject, headers and payload.
pub const MSG_OVERHEAD: usize = 4 + 1 + 8 + 8 + 2 + 4 + 4 + 4;
pub const TOMB_LEN: usize = 4 + 1 + 8 + 4;
/// Longest record the scanner believes: anything longer is a corrupt length field.
pub const MAX_RECORD: usize = 1 << 30;

pub fn encode_header(h: Header) -> [u8; SEG_HEADER_LEN] {
    let mut b = [0u8; SEG_HEADER_LEN];
    b[..8].copy_from_slice(SEG_MAGIC);
    b[8..16].copy_from_slice(&h.base_seq.to_le_bytes());
    b[16..24].copy_from_slice(&h.base_ts.to_le_bytes());
    b[24..28].copy_from_slice(&h.gen.to_le_bytes());
    let crc = crc32c(&b[..28]);
    b[28..].copy_from_slice(&crc.to_le_bytes());
    b
}

/// The header, or `None` when it is short, not ours, or fails its checksum.
pub fn decode_header(b: &[u8]) -> Option<Header> {
    if b.len() < SEG_HEADER_LEN || &b[..8] != SEG_MAGIC {
        return None;
    }
    if crc32c(&b[..28]) != u32::from_le_bytes(b[28..32].try_into().unwrap()) {
        return None;
    }
    Some(Header {
        base_seq: u64::from_le_bytes(b[8..16].try_into().unwrap()),
        base_ts: i64::from_le_bytes(b[16..24].try_into().unwrap()),
        gen: u32::from_le_bytes(b[24..28].try_into().unwrap()),
    })
}

pub fn msg_record_len(subject: &[u8], hdr: &[u8], msg: &[u8]) -> usize {
    MSG_OVERHEAD + subject.len() + hdr.len() + msg.len()
}

/// The `state.bytes` charge of a message record of `rec_len` bytes (see `crate::msg_size`).
pub fn stored_size(rec_len: u32) -> u64 {
    rec_len as u64 - MSG_OVERHEAD as u64 + 16
}

/// Appends a message record to `out`. The caller has checked `subject.len()` fits in a u16.
pub fn encode_msg(out: &mut Vec<u8>, seq: u64, ts: i64, subject: &[u8], hdr: &[u8], msg: &[u8]) {
    let start = out.len();
    let len = msg_record_len(subject, hdr, msg) as u32;
    out.extend_from_slice(&len.to_le_bytes());
    out.push(KIND_MSG);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&(subject.len() as u16).to_le_bytes());
    out.extend_from_slice(&(hdr.len() as u32).to_le_bytes());
    out.extend_from_slice(&(msg.len() as u32).to_le_bytes());
    out.extend_from_slice(subject);
    out.extend_from_slice(hdr);
    out.extend_from_slice(msg);
    let crc = crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Appends a tombstone: "the message `seq` is deleted".
pub fn encode_tomb(out: &mut Vec<u8>, seq: u64) {
    let start = out.len();
    out.extend_from_slice(&(TOMB_LEN as u32).to_le_bytes());
    out.push(KIND_TOMB);
    out.extend_from_slice(&seq.to_le_bytes());
    let crc = crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// A decoded record, borrowing the buffer it was parsed from.
#[derive(Debug, PartialEq, Eq)]
pub enum Record<'a> {
    Msg { seq: u64, ts: i64, subject: &'a [u8], hdr: &'a [u8], msg: &'a [u8] },
    Tomb { seq: u64 },
}

/// The record at the start of `b` and its length, or `None` when these bytes are not a whole valid record
/// (cut short, bad length, bad checksum, inconsistent fields).
pub fn parse(b: &[u8]) -> Option<(Record<'_>, usize)> {
    if b.len() < TOMB_LEN {
        return None;
    }
    let len = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
    let kind = b[4];
    // Cheap filters first, so resynchronising over garbage rarely computes a checksum.
    if !(TOMB_LEN..=MAX_RECORD).contains(&len) || len > b.len() || (kind != KIND_MSG && kind != KIND_TOMB) {
        return None;
    }
    let body = &b[..len - 4];
    if crc32c(body) != u32::from_le_bytes(b[len - 4..len].try_into().unwrap()) {
        return None;
    }
    let seq = u64::from_le_bytes(b[5..13].try_into().unwrap());
    if kind == KIND_TOMB {
        return (len == TOMB_LEN).then_some((Record::Tomb { seq }, len));
    }
    if len < MSG_OVERHEAD {
        return None;
    }
    let ts = i64::from_le_bytes(b[13..21].try_into().unwrap());
    let sl = u16::from_le_bytes(b[21..23].try_into().unwrap()) as usize;
    let hl = u32::from_le_bytes(b[23..27].try_into().unwrap()) as usize;
    let ml = u32::from_le_bytes(b[27..31].try_into().unwrap()) as usize;
    if MSG_OVERHEAD + sl + hl + ml != len {
        return None;
    }
    let subject = &b[31..31 + sl];
    let hdr = &b[31 + sl..31 + sl + hl];
    let msg = &b[31 + sl + hl..31 + sl + hl + ml];
    Some((Record::Msg { seq, ts, subject, hdr, msg }, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut b = Vec::new();
        encode_msg(&mut b, 7, -3, b"a.b", b"NATS/1.0\r\n\r\n", b"hello");
        encode_tomb(&mut b, 5);
        let (r, n) = parse(&b).unwrap();
        assert_eq!(r, Record::Msg { seq: 7, ts: -3, subject: b"a.b", hdr: b"NATS/1.0\r\n\r\n", msg: b"hello" });
        assert_eq!(n, msg_record_len(b"a.b", b"NATS/1.0\r\n\r\n", b"hello"));
        assert_eq!(parse(&b[n..]).unwrap(), (Record::Tomb { seq: 5 }, TOMB_LEN));
        // Every cut and every single flipped bit is refused.
        for cut in 0..n {
            assert!(parse(&b[..cut]).is_none(), "cut at {cut}");
        }
        for bit in 0..n * 8 {
            let mut d = b[..n].to_vec();
            d[bit / 8] ^= 1 << (bit % 8);
            assert!(parse(&d).is_none(), "bit {bit}");
        }
        let hd = Header { base_seq: 42, base_ts: -9, gen: 3 };
        assert_eq!(decode_header(&encode_header(hd)), Some(hd));
        let mut h = encode_header(hd);
        h[9] ^= 1;
        assert_eq!(decode_header(&h), None);
    }
}
