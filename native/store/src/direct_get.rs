//! JetStream's direct get (`$JS.API.DIRECT.GET.<stream>`), answered inside the engine on whichever worker
//! thread received the request ([`myelin_core::router::Service`]): one store read and the reply framing, no
//! hop to the thread that runs JetStream's control plane and no JavaScript. A KV `get` is one of these.
//!
//! Two request forms, as nats-server takes them:
//! * `$JS.API.DIRECT.GET.<stream>` with a JSON body: `seq`, `last_by_subj`, or `next_by_subj` (from `seq`);
//! * `$JS.API.DIRECT.GET.<stream>.<subject>` with an empty body: the last message on that subject.
//!
//! The reply is the stored message itself, its headers (if any) extended with `Nats-Stream`,
//! `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp`; `404 Message Not Found` when there is none and
//! `408 Bad Request` for a request that names nothing to look up.

use std::sync::{Arc, Mutex};

use myelin_core::router::{Service, ServiceReply};

use crate::{MsgStore, StoreError, StoredMsg};

/// A stream's store, shared by the JetStream control plane (which writes it) and the direct-get service
/// (which reads it from any worker thread). Every call takes the lock for its own duration only.
pub type SharedStore = Arc<Mutex<Box<dyn MsgStore>>>;

const NOT_FOUND: &[u8] = b"NATS/1.0 404 Message Not Found\r\n\r\n";
const BAD_REQUEST: &[u8] = b"NATS/1.0 408 Bad Request\r\n\r\n";

/// Tokens before the stream name: `$JS.API.DIRECT.GET.`.
const PREFIX: &[u8] = b"$JS.API.DIRECT.GET.";

/// The direct-get responder of one stream.
pub struct DirectGet {
    stream: Box<str>,
    store: SharedStore,
}

impl DirectGet {
    pub fn new(stream: &str, store: SharedStore) -> DirectGet {
        DirectGet { stream: stream.into(), store }
    }

    /// The subjects it answers on.
    pub fn subjects(stream: &str) -> [Vec<u8>; 2] {
        let base = [PREFIX, stream.as_bytes()].concat();
        let all = [&base[..], b".>"].concat();
        [base, all]
    }
}

/// What a request asks for.
enum Lookup {
    Seq(u64),
    LastBySubject(Vec<u8>),
    NextBySubject(u64, Vec<u8>),
}

fn parse_body(body: &[u8]) -> Option<Lookup> {
    if body.is_empty() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let o = v.as_object()?;
    // As the JSON API reads it: a non-number `seq` is no sequence at all.
    let seq = o.get("seq").and_then(serde_json::Value::as_f64).filter(|s| *s > 0.0).map_or(0, |s| s as u64);
    if let Some(s) = o.get("last_by_subj").and_then(serde_json::Value::as_str) {
        return Some(Lookup::LastBySubject(s.as_bytes().to_vec()));
    }
    if let Some(s) = o.get("next_by_subj").and_then(serde_json::Value::as_str) {
        return Some(Lookup::NextBySubject(seq.max(1), s.as_bytes().to_vec()));
    }
    (seq > 0).then_some(Lookup::Seq(seq))
}

fn find(store: &dyn MsgStore, lookup: &Lookup) -> Result<Option<StoredMsg>, StoreError> {
    let found = match lookup {
        Lookup::Seq(seq) => store.load(*seq).map(Some),
        Lookup::LastBySubject(s) => store.load_last(s).map(Some),
        Lookup::NextBySubject(start, s) => store.load_next(*start, s),
    };
    match found {
        Err(StoreError::NotFound) => Ok(None),
        other => other,
    }
}

impl Service for DirectGet {
    fn answer(&self, subject: &[u8], _hdr: Option<&[u8]>, body: &[u8], reply: &mut ServiceReply) -> bool {
        let Some(rest) = subject.strip_prefix(PREFIX).and_then(|r| r.strip_prefix(self.stream.as_bytes())) else {
            return false;
        };
        let lookup = match rest.strip_prefix(b".") {
            Some(filter) if !filter.is_empty() => Some(Lookup::LastBySubject(filter.to_vec())),
            _ => parse_body(body),
        };
        let Some(lookup) = lookup else {
            reply.hdr.extend_from_slice(BAD_REQUEST);
            return true;
        };
        let found = {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            find(store.as_ref(), &lookup)
        };
        match found {
            Ok(Some(m)) => {
                write_headers(&mut reply.hdr, &m, &self.stream);
                reply.body.extend_from_slice(&m.msg);
            }
            Ok(None) => reply.hdr.extend_from_slice(NOT_FOUND),
            Err(_) => reply.hdr.extend_from_slice(BAD_REQUEST),
        }
        true
    }
}

/// The stored header block (or a new one) with the four fields a direct get adds, before its final CRLF.
fn write_headers(out: &mut Vec<u8>, m: &StoredMsg, stream: &str) {
    if m.hdr.len() >= 12 {
        out.extend_from_slice(&m.hdr[..m.hdr.len() - 2]);
    } else {
        out.extend_from_slice(b"NATS/1.0\r\n");
    }
    out.extend_from_slice(b"Nats-Stream: ");
    out.extend_from_slice(stream.as_bytes());
    out.extend_from_slice(b"\r\nNats-Subject: ");
    out.extend_from_slice(&m.subject);
    out.extend_from_slice(b"\r\nNats-Sequence: ");
    out.extend_from_slice(m.seq.to_string().as_bytes());
    out.extend_from_slice(b"\r\nNats-Time-Stamp: ");
    out.extend_from_slice(rfc3339_nanos(m.ts_ns).as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
}

/// Unix nanoseconds as Go's `time.RFC3339Nano` in UTC (trailing zeros of the fraction dropped), and Go's zero
/// time for 0, as nats-server prints timestamps.
pub fn rfc3339_nanos(ns: i64) -> String {
    if ns == 0 {
        return "0001-01-01T00:00:00Z".to_string();
    }
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let mut s = format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", tod / 3600, tod / 60 % 60, tod % 60);
    if frac != 0 {
        let digits = format!("{frac:09}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), by whole 400-year eras.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::MemStore;
    use crate::StoreLimits;

    fn service() -> DirectGet {
        let mut store = MemStore::new(StoreLimits::default());
        store.store(b"kv.a", b"", b"one", 1_700_000_000_123_456_789).unwrap();
        store.store(b"kv.b", b"NATS/1.0\r\nX: y\r\n\r\n", b"two", 1_700_000_001_000_000_000).unwrap();
        store.store(b"kv.a", b"", b"three", 1_700_000_002_500_000_000).unwrap();
        DirectGet::new("S", Arc::new(Mutex::new(Box::new(store))))
    }

    fn ask(s: &DirectGet, subject: &str, body: &str) -> (String, String) {
        let mut r = ServiceReply::default();
        assert!(s.answer(subject.as_bytes(), None, body.as_bytes(), &mut r));
        (String::from_utf8(r.hdr).unwrap(), String::from_utf8(r.body).unwrap())
    }

    #[test]
    fn both_request_forms() {
        let s = service();
        let (h, b) = ask(&s, "$JS.API.DIRECT.GET.S.kv.a", "");
        assert_eq!(b, "three");
        assert_eq!(
            h,
            "NATS/1.0\r\nNats-Stream: S\r\nNats-Subject: kv.a\r\nNats-Sequence: 3\r\n\
             Nats-Time-Stamp: 2023-11-14T22:13:22.5Z\r\n\r\n"
        );
        let (h, b) = ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":2}"#);
        assert_eq!(b, "two");
        assert!(h.starts_with("NATS/1.0\r\nX: y\r\nNats-Stream: S\r\nNats-Subject: kv.b\r\nNats-Sequence: 2\r\n"));
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"last_by_subj":"kv.b"}"#).1, "two");
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"next_by_subj":"kv.a","seq":2}"#).1, "three");
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":1}"#).1, "one");
    }

    #[test]
    fn not_found_and_bad_requests() {
        let s = service();
        let nf = ("NATS/1.0 404 Message Not Found\r\n\r\n".to_string(), String::new());
        let bad = ("NATS/1.0 408 Bad Request\r\n\r\n".to_string(), String::new());
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S.kv.zz", ""), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":99}"#), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"next_by_subj":"kv.b","seq":3}"#), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", ""), bad);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", "{"), bad);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":"1"}"#), bad);
        let mut r = ServiceReply::default();
        assert!(!s.answer(b"$JS.API.DIRECT.GET.OTHER", None, b"", &mut r));
    }

    #[test]
    fn timestamps_as_go_prints_them() {
        assert_eq!(rfc3339_nanos(0), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339_nanos(1_000_000_000), "1970-01-01T00:00:01Z");
        assert_eq!(rfc3339_nanos(951_782_400_000_000_010), "2000-02-29T00:00:00.00000001Z");
        assert_eq!(rfc3339_nanos(1_700_000_000_123_456_789), "2023-11-14T22:13:20.123456789Z");
        assert_eq!(rfc3339_nanos(4_102_444_800_000_000_000), "2100-01-01T00:00:00Z");
    }
}
