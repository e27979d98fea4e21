//! Per-message TTL (`Nats-TTL` header) and subject delete markers, as nats-server 2.11+ defines them.
//!
//! * [`msg_ttl`]: the header's value as nats-server reads it (server/stream.go `getMessageTTL`): a Go
//!   duration of at least one second (`90s`, `1h`), or plain seconds (`90`), or `never`. The JetStream layer
//!   asks this (through the binding) for the publish checks, and the stores ask it to index what they hold,
//!   so the rules live here only.
//! * [`TtlIndex`]: the expiry times of a store's live messages, by sequence and in expiry order. Both stores
//!   keep one; the file store rebuilds it from its segment summaries (which list each TTL) and scans.
//! * [`is_marker`]: whether a message is a delete marker (its removal never places another marker).

use std::collections::{BTreeSet, HashMap};

/// The header nats-server reads a message's TTL from.
pub const TTL_HEADER: &[u8] = b"Nats-TTL";
/// Set on the markers the server places (`MaxAge`), and on the purge markers clients publish.
pub const MARKER_REASON_HEADER: &[u8] = b"Nats-Marker-Reason";
const KV_OPERATION_HEADER: &[u8] = b"KV-Operation";

/// What a message's `Nats-TTL` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// No header, or one that reads as 0 seconds (nats-server ignores those).
    None,
    /// Removed this many seconds after it was stored.
    Secs(i64),
    /// Never removed, not even by the stream's max_age.
    Never,
    /// Not a TTL nats-server accepts (the publish is refused with "invalid per-message TTL").
    Invalid,
}

/// The value of header `key` in a NATS header block, as nats-server's `sliceHeader` finds it: the key
/// (case-sensitive) at the start of a line and followed by `:`, leading spaces skipped, up to the CRLF.
pub fn header_value<'a>(hdr: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while from + key.len() < hdr.len() {
        let at = from + hdr[from..].windows(key.len()).position(|w| w == key)?;
        let line_start = at >= 2 && &hdr[at - 2..at] == b"\r\n";
        if line_start && hdr.get(at + key.len()) == Some(&b':') {
            let mut v = at + key.len() + 1;
            while hdr.get(v) == Some(&b' ') {
                v += 1;
            }
            let end = hdr[v..].windows(2).position(|w| w == b"\r\n").map_or(hdr.len(), |e| v + e);
            return Some(&hdr[v..end]);
        }
        from = at + 1;
    }
    None
}

/// The TTL a message's headers carry.
pub fn msg_ttl(hdr: &[u8]) -> Ttl {
    match header_value(hdr, TTL_HEADER) {
        None | Some(b"") => Ttl::None,
        Some(v) => parse_ttl(v),
    }
}

/// A `Nats-TTL` value: `never` (any case); else a Go duration, which must be at least 1s and is truncated to
/// whole seconds; else decimal digits only, as seconds.
pub fn parse_ttl(v: &[u8]) -> Ttl {
    if v.eq_ignore_ascii_case(b"never") {
        return Ttl::Never;
    }
    if let Some(ns) = go_duration_ns(v) {
        return if ns < 1_000_000_000 { Ttl::Invalid } else { Ttl::Secs(ns / 1_000_000_000) };
    }
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Ttl::Invalid;
    }
    // nats-server's parseInt64 wraps on overflow; a wrapped negative value reads as a parse failure.
    let n = v.iter().fold(0i64, |n, d| n.wrapping_mul(10).wrapping_add((d - b'0') as i64));
    match n {
        0 => Ttl::None,
        n if n < 0 => Ttl::Invalid,
        n => Ttl::Secs(n),
    }
}

/// Go's `time.ParseDuration` in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?unit)+` or `0`; `None` where Go errors.
fn go_duration_ns(s: &[u8]) -> Option<i64> {
    let (neg, mut s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s == b"0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let int_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let (int, rest) = s.split_at(int_len);
        let (frac, rest) = match rest.strip_prefix(b".") {
            Some(r) => r.split_at(r.iter().take_while(|c| c.is_ascii_digit()).count()),
            None => (&rest[..0], rest),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let unit_len = rest.iter().take_while(|c| !c.is_ascii_digit() && **c != b'.').count();
        let (unit, rest) = rest.split_at(unit_len);
        let unit: u64 = match unit {
            b"ns" => 1,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000, // us, U+00B5 µs, U+03BC μs
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => return None,
        };
        let mut v: u64 = 0;
        for d in int {
            v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
        }
        v = v.checked_mul(unit)?;
        let mut scale = 1f64;
        let mut f = 0f64;
        for d in frac {
            scale *= 10.0;
            f = f * 10.0 + (d - b'0') as f64;
        }
        if !frac.is_empty() {
            v = v.checked_add((f * (unit as f64 / scale)) as u64)?;
        }
        total = total.checked_add(v)?;
        if total > 1 << 63 {
            return None;
        }
        s = rest;
    }
    if total == 1 << 63 && !neg {
        return None;
    }
    let t = total as i64;
    Some(if neg { t.wrapping_neg() } else { t })
}

/// A delete marker: one the server placed (`Nats-Marker-Reason`) or a KV purge.
pub fn is_marker(hdr: &[u8]) -> bool {
    !hdr.is_empty()
        && (header_value(hdr, MARKER_REASON_HEADER).is_some_and(|v| !v.is_empty())
            || header_value(hdr, KV_OPERATION_HEADER) == Some(b"PURGE"))
}

/// Expiry time meaning "never" (the `never` TTL: exempt from max_age too).
pub const NEVER: i64 = i64::MAX;

/// The live messages that carry a TTL: sequence → expiry (Unix ns, or [`NEVER`]), and the finite ones in
/// expiry order. Empty for streams whose messages carry no TTL, so it costs them nothing.
#[derive(Default, Debug)]
pub struct TtlIndex {
    by_seq: HashMap<u64, i64>,
    due: BTreeSet<(i64, u64)>,
}

impl TtlIndex {
    /// Index a stored message by its headers. A header-less message costs one length check.
    pub fn add_msg(&mut self, seq: u64, ts_ns: i64, hdr: &[u8]) {
        if hdr.is_empty() {
            return;
        }
        match msg_ttl(hdr) {
            Ttl::Secs(s) => self.insert(seq, ts_ns.saturating_add(s.saturating_mul(1_000_000_000))),
            Ttl::Never => self.insert(seq, NEVER),
            Ttl::None | Ttl::Invalid => {}
        }
    }

    pub fn insert(&mut self, seq: u64, expires: i64) {
        self.by_seq.insert(seq, expires);
        if expires != NEVER {
            self.due.insert((expires, seq));
        }
    }

    pub fn remove(&mut self, seq: u64) {
        if let Some(exp) = self.by_seq.remove(&seq) {
            self.due.remove(&(exp, seq));
        }
    }

    pub fn clear(&mut self) {
        self.by_seq.clear();
        self.due.clear();
    }

    /// The message's expiry, if it carries a TTL.
    pub fn expires(&self, seq: u64) -> Option<i64> {
        self.by_seq.get(&seq).copied()
    }

    /// Exempt from max_age (`Nats-TTL: never`).
    pub fn is_never(&self, seq: u64) -> bool {
        self.by_seq.get(&seq) == Some(&NEVER)
    }

    /// Sequences whose TTL has passed as of `now_ns`, in expiry order.
    pub fn due(&self, now_ns: i64) -> impl Iterator<Item = u64> + '_ {
        self.due.range(..=(now_ns, u64::MAX)).map(|&(_, s)| s)
    }

    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(v: &str) -> Vec<u8> {
        format!("NATS/1.0\r\nA: b\r\nNats-TTL: {v}\r\n\r\n").into_bytes()
    }

    #[test]
    fn ttl_values_as_nats_server_reads_them() {
        let cases: &[(&str, Ttl)] = &[
            ("5", Ttl::Secs(5)),
            ("5s", Ttl::Secs(5)),
            ("1m", Ttl::Secs(60)),
            ("1h30m", Ttl::Secs(5400)),
            ("1.9s", Ttl::Secs(1)),
            ("2.5m", Ttl::Secs(150)),
            ("1500ms", Ttl::Secs(1)),
            ("never", Ttl::Never),
            ("NEVER", Ttl::Never),
            ("00", Ttl::None),
            ("0", Ttl::Invalid),
            ("0s", Ttl::Invalid),
            ("500ms", Ttl::Invalid),
            ("-1", Ttl::Invalid),
            ("-5s", Ttl::Invalid),
            ("+5", Ttl::Invalid),
            ("1.5", Ttl::Invalid),
            ("abc", Ttl::Invalid),
            ("5 s", Ttl::Invalid),
            ("1d", Ttl::Invalid),
        ];
        for (v, want) in cases {
            assert_eq!(msg_ttl(&hdr(v)), *want, "Nats-TTL: {v}");
        }
        assert_eq!(msg_ttl(b""), Ttl::None);
        assert_eq!(msg_ttl(b"NATS/1.0\r\nnats-ttl: 5\r\n\r\n"), Ttl::None, "the key is case-sensitive");
        assert_eq!(msg_ttl(b"NATS/1.0\r\nX-Nats-TTL: 5\r\n\r\n"), Ttl::None, "a key only at a line start");
        assert_eq!(msg_ttl(b"NATS/1.0\r\nNats-TTL:   7\r\n\r\n"), Ttl::Secs(7));
    }

    #[test]
    fn markers() {
        assert!(is_marker(b"NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: 1s\r\n\r\n"));
        assert!(is_marker(b"NATS/1.0\r\nKV-Operation: PURGE\r\n\r\n"));
        assert!(!is_marker(b"NATS/1.0\r\nKV-Operation: DEL\r\n\r\n"));
        assert!(!is_marker(b""));
    }

    #[test]
    fn index_orders_by_expiry() {
        let mut ix = TtlIndex::default();
        ix.add_msg(1, 0, &hdr("10"));
        ix.add_msg(2, 0, &hdr("5"));
        ix.add_msg(3, 0, &hdr("never"));
        ix.add_msg(4, 0, b"");
        assert_eq!(ix.due(6_000_000_000).collect::<Vec<_>>(), vec![2]);
        assert_eq!(ix.due(i64::MAX - 1).collect::<Vec<_>>(), vec![2, 1]);
        assert!(ix.is_never(3));
        ix.remove(2);
        assert_eq!(ix.due(i64::MAX - 1).collect::<Vec<_>>(), vec![1]);
        assert_eq!(ix.expires(1), Some(10_000_000_000));
    }
}
