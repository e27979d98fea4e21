//! JetStream's direct get (`$JS.API.DIRECT.GET.<stream>`), answered inside the engine on whichever worker
//! thread received the request ([`myelin_core::router::Service`]): one store read (under one lock) and the
//! reply framing, no hop to the thread that runs JetStream's control plane and no JavaScript. A KV `get` is
//! one of these.
//!
//! Two request forms, as nats-server takes them (`request`):
//! * `$JS.API.DIRECT.GET.<stream>` with a JSON body: one message (`seq`, `last_by_subj`, `next_by_subj` from
//!   `seq`, or the first at `start_time`), a batch of them (`batch`, `max_bytes`: `lookup`), or the last
//!   message of each subject matching `multi_last` (up to `up_to_seq` / `up_to_time`: `multi_last`);
//! * `$JS.API.DIRECT.GET.<stream>.<subject>` with an empty body (or only `max_bytes` / `no_hdr`): the last
//!   message on that subject.
//!
//! A reply is the stored message itself, its headers (if any) extended with `Nats-Stream`, `Nats-Subject`,
//! `Nats-Sequence` and `Nats-Time-Stamp` (plus `Nats-Num-Pending` and `Nats-Last-Sequence` in a batch, which
//! ends with a `204 EOB` status), or a status: `404 Message Not Found`, `404 No Results`, `408 …` for a
//! request refused, `413 Too Many Results`.

mod lookup;
mod multi_last;
mod request;

use std::io::Write;
use std::sync::{Arc, Mutex};

use myelin_core::router::{Service, ServiceReply};

use crate::{MsgStore, StoredMsg};

pub use myelin_core::time::rfc3339_nanos;

/// A stream's store, shared by the JetStream control plane (which writes it) and the direct-get service
/// (which reads it from any worker thread). Every call takes the lock for its own duration only.
pub type SharedStore = Arc<Mutex<Box<dyn MsgStore>>>;

const NOT_FOUND: &[u8] = b"NATS/1.0 404 Message Not Found\r\n\r\n";

/// What a batch sends at most without a `max_bytes`: nats-server's default `max_pending` (64 MiB), the
/// slow-consumer limit it uses there.
const DEFAULT_MAX_BYTES: i64 = 64 * 1024 * 1024;

/// Tokens before the stream name: `$JS.API.DIRECT.GET.`.
const PREFIX: &[u8] = b"$JS.API.DIRECT.GET.";

/// The direct-get responder of one stream.
pub struct DirectGet {
    stream: Box<str>,
    store: SharedStore,
    api_level: u32,
}

impl DirectGet {
    /// `api_level`: the JetStream API level the server serves; a request whose `Nats-Required-Api-Level`
    /// asks for more is refused with `412 Required Api Level`, as by nats-server.
    pub fn new(stream: &str, store: SharedStore, api_level: u32) -> DirectGet {
        DirectGet { stream: stream.into(), store, api_level }
    }

    /// The subjects it answers on.
    pub fn subjects(stream: &str) -> [Vec<u8>; 2] {
        let base = [PREFIX, stream.as_bytes()].concat();
        let all = [&base[..], b".>"].concat();
        [base, all]
    }
}

const REQUIRED_API_LEVEL: &[u8] = b"NATS/1.0 412 Required Api Level\r\n\r\n";

/// Whether a request's `Nats-Required-Api-Level` asks for more than `served` (or is not an integer), as
/// nats-server's `errorOnRequiredApiLevel` decides with `strconv.Atoi`.
fn level_refused(hdr: &[u8], served: u32) -> bool {
    let Some(v) = crate::ttl::header_value(hdr, b"Nats-Required-Api-Level").filter(|v| !v.is_empty()) else {
        return false;
    };
    let digits = v.strip_prefix(b"+").or_else(|| v.strip_prefix(b"-")).unwrap_or(v);
    let level = std::str::from_utf8(v).ok().filter(|_| !digits.is_empty() && digits.iter().all(u8::is_ascii_digit));
    level.and_then(|l| l.parse::<i64>().ok()).is_none_or(|l| l > i64::from(served))
}

impl Service for DirectGet {
    fn answer(&self, subject: &[u8], hdr: Option<&[u8]>, body: &[u8], reply: &mut ServiceReply) -> bool {
        let Some(rest) = subject.strip_prefix(PREFIX).and_then(|r| r.strip_prefix(self.stream.as_bytes())) else {
            return false;
        };
        if hdr.is_some_and(|h| level_refused(h, self.api_level)) {
            reply.hdr.extend_from_slice(REQUIRED_API_LEVEL);
            return true;
        }
        let req = match rest.strip_prefix(b".") {
            Some(filter) => request::parse_subject_form(filter, body),
            None if rest.is_empty() => request::parse_body(body),
            None => return false,
        };
        let req = match req {
            Ok(req) => req,
            Err(status) => {
                reply.hdr.extend_from_slice(status);
                return true;
            }
        };
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Replies { reply, started: false };
        if req.multi_last.is_empty() {
            lookup::answer(store.as_ref(), &self.stream, &req, &mut out);
        } else {
            multi_last::answer(store.as_ref(), &self.stream, &req, &mut out);
        }
        true
    }
}

/// The replies to one request, in order: each `next` starts another.
struct Replies<'a> {
    reply: &'a mut ServiceReply,
    started: bool,
}

impl Replies<'_> {
    fn next(&mut self) -> &mut ServiceReply {
        if self.started {
            self.reply.next();
        }
        self.started = true;
        self.reply
    }

    /// A status reply (header block only).
    fn status(&mut self, status: &[u8]) {
        self.next().hdr.extend_from_slice(status);
    }
}

/// The stored header block (or a new one) with the four fields a direct get adds, and in a batch `pending`
/// (`Nats-Num-Pending`, `Nats-Last-Sequence`), before its final CRLF.
fn write_headers(out: &mut Vec<u8>, m: &StoredMsg, stream: &str, pending: Option<(u64, u64)>) {
    if m.hdr.len() >= 12 {
        out.extend_from_slice(&m.hdr[..m.hdr.len() - 2]);
    } else {
        out.extend_from_slice(b"NATS/1.0\r\n");
    }
    out.extend_from_slice(b"Nats-Stream: ");
    out.extend_from_slice(stream.as_bytes());
    out.extend_from_slice(b"\r\nNats-Subject: ");
    out.extend_from_slice(&m.subject);
    let _ = write!(out, "\r\nNats-Sequence: {}\r\nNats-Time-Stamp: {}\r\n", m.seq, rfc3339_nanos(m.ts_ns));
    if let Some((num_pending, last_seq)) = pending {
        let _ = write!(out, "Nats-Num-Pending: {num_pending}\r\nNats-Last-Sequence: {last_seq}\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// What nats-server counts against a batch's `max_bytes`.
fn sent_size(m: &StoredMsg) -> i64 {
    (m.subject.len() + m.hdr.len() + m.msg.len()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::MemStore;
    use crate::StoreLimits;

    pub(super) fn service() -> DirectGet {
        let mut store = MemStore::new(StoreLimits::default());
        store.store(b"kv.a", b"", b"one", 1_700_000_000_123_456_789).unwrap();
        store.store(b"kv.b", b"NATS/1.0\r\nX: y\r\n\r\n", b"two", 1_700_000_001_000_000_000).unwrap();
        store.store(b"kv.a", b"", b"three", 1_700_000_002_500_000_000).unwrap();
        DirectGet::new("S", Arc::new(Mutex::new(Box::new(store))), 2)
    }

    #[test]
    fn a_higher_required_api_level_is_refused_with_412() {
        let s = service();
        let ask = |level: &str| {
            let hdr = format!("NATS/1.0\r\nNats-Required-Api-Level: {level}\r\n\r\n");
            let mut r = ServiceReply::default();
            assert!(s.answer(b"$JS.API.DIRECT.GET.S.kv.a", Some(hdr.as_bytes()), b"", &mut r));
            String::from_utf8(r.hdr.clone()).unwrap()
        };
        assert_eq!(ask("3"), "NATS/1.0 412 Required Api Level\r\n\r\n");
        assert_eq!(ask("one"), "NATS/1.0 412 Required Api Level\r\n\r\n");
        assert!(ask("2").contains("Nats-Sequence: 3"));
        assert!(ask("-1").contains("Nats-Sequence: 3"));
    }

    /// Every reply to a request, as (header block, body).
    pub(super) fn ask_all(s: &DirectGet, subject: &str, body: &str) -> Vec<(String, String)> {
        let mut r = ServiceReply::default();
        assert!(s.answer(subject.as_bytes(), None, body.as_bytes(), &mut r));
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        let mut all: Vec<(String, String)> = r
            .earlier()
            .map(|(h, p)| {
                let (h, b) = p.split_at(h.unwrap_or(0));
                (text(h), text(b))
            })
            .collect();
        all.push((text(&r.hdr), text(&r.body)));
        all
    }

    fn ask(s: &DirectGet, subject: &str, body: &str) -> (String, String) {
        let mut all = ask_all(s, subject, body);
        assert_eq!(all.len(), 1, "one reply");
        all.pop().unwrap()
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
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"start_time":"2023-11-14T22:13:21Z"}"#).1, "two");
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S.kv.b", r#"{"no_hdr":true}"#), (String::new(), "two".into()));
    }

    #[test]
    fn not_found_and_refusals() {
        let s = service();
        let nf = ("NATS/1.0 404 Message Not Found\r\n\r\n".to_string(), String::new());
        let status = |t: &str| (format!("NATS/1.0 {t}\r\n\r\n"), String::new());
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S.kv.zz", ""), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":99}"#), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"next_by_subj":"kv.b","seq":3}"#), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"start_time":"2030-01-01T00:00:00Z"}"#), nf);
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", ""), status("408 Empty Request"));
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", "{"), status("408 Malformed Request"));
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":"1"}"#), status("408 Malformed Request"));
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S", r#"{"seq":1,"last_by_subj":"a"}"#), status("408 Bad Request"));
        assert_eq!(ask(&s, "$JS.API.DIRECT.GET.S.kv.a", r#"{"seq":1}"#), status("408 Bad Request"));
        let mut r = ServiceReply::default();
        assert!(!s.answer(b"$JS.API.DIRECT.GET.OTHER", None, b"", &mut r));
        assert!(!s.answer(b"$JS.API.DIRECT.GET.SS", None, b"", &mut r));
    }

    const GET: &str = "$JS.API.DIRECT.GET.S";

    /// The replies as `<status or subject>:<seq> <pending>/<last> <body>` lines, to compare whole batches.
    fn brief(all: &[(String, String)]) -> Vec<String> {
        let field = |h: &str, k: &str| {
            h.split("\r\n").find_map(|l| l.strip_prefix(k).map(|v| v.to_string())).unwrap_or_default()
        };
        all.iter()
            .map(|(h, b)| {
                let status = h.lines().next().unwrap_or("").trim_start_matches("NATS/1.0").trim().to_string();
                let what = if status.is_empty() {
                    format!("{}:{}", field(h, "Nats-Subject: "), field(h, "Nats-Sequence: "))
                } else {
                    status
                };
                let mut line =
                    format!("{what} {}/{}", field(h, "Nats-Num-Pending: "), field(h, "Nats-Last-Sequence: "));
                let up_to = field(h, "Nats-UpTo-Sequence: ");
                if !up_to.is_empty() {
                    line += &format!(" upto {up_to}");
                }
                if !b.is_empty() {
                    line += &format!(" {b}");
                }
                line
            })
            .collect()
    }

    /// The probe stream of the integration test: a.1 a.2 b.1 a.1 b.2 a.3 (a.3 with a header), one second apart.
    fn six() -> DirectGet {
        let mut store = MemStore::new(StoreLimits::default());
        let msgs: [(&[u8], &[u8], &[u8]); 6] = [
            (b"a.1", b"", b"one"),
            (b"a.2", b"", b"two"),
            (b"b.1", b"", b"three"),
            (b"a.1", b"", b"four"),
            (b"b.2", b"", b"five"),
            (b"a.3", b"NATS/1.0\r\nX: y\r\n\r\n", b"six"),
        ];
        for (i, (s, h, m)) in msgs.iter().enumerate() {
            store.store(s, h, m, 1_700_000_000_000_000_000 + i as i64 * 1_000_000_000).unwrap();
        }
        DirectGet::new("S", Arc::new(Mutex::new(Box::new(store))), 2)
    }

    fn batch(s: &DirectGet, body: &str) -> Vec<String> {
        brief(&ask_all(s, GET, body))
    }

    #[test]
    fn batches_as_nats_server_sends_them() {
        let s = six();
        assert_eq!(
            batch(&s, r#"{"seq":1,"batch":3}"#),
            ["a.1:1 5/0 one", "a.2:2 4/1 two", "b.1:3 3/2 three", "204 EOB 3/3"]
        );
        assert_eq!(
            batch(&s, r#"{"next_by_subj":"a.*","batch":10}"#),
            ["a.1:1 3/0 one", "a.2:2 2/1 two", "a.1:4 1/2 four", "a.3:6 0/4 six", "204 EOB 0/6"]
        );
        assert_eq!(batch(&s, r#"{"seq":3,"next_by_subj":"a.1","batch":5}"#), ["a.1:4 0/0 four", "204 EOB 0/4"]);
        assert_eq!(batch(&s, r#"{"seq":1,"batch":5,"max_bytes":5}"#), ["a.1:1 5/0 one", "204 EOB 5/1"]);
        assert_eq!(
            batch(&s, r#"{"start_time":"2023-11-14T22:13:24Z","batch":9}"#),
            ["b.2:5 1/0 five", "a.3:6 0/5 six", "204 EOB 0/6"]
        );
        // nats-server's corners: a negative batch sends only the EOB; without headers nothing is counted down.
        assert_eq!(batch(&s, r#"{"seq":1,"batch":-2}"#), ["204 EOB 6/0"]);
        assert_eq!(batch(&s, r#"{"seq":5,"batch":5,"no_hdr":true}"#), [": / five", ": / six", "204 EOB 2/6"]);
        assert_eq!(batch(&s, r#"{"seq":99,"batch":3}"#), ["404 Message Not Found /"]);
        // The stored header block is kept, the batch fields appended.
        let all = ask_all(&s, GET, r#"{"seq":6,"batch":1}"#);
        assert!(all[0].0.starts_with("NATS/1.0\r\nX: y\r\nNats-Stream: S\r\nNats-Subject: a.3\r\n"), "{all:?}");
        assert!(all[0].0.ends_with("\r\nNats-Num-Pending: 0\r\nNats-Last-Sequence: 0\r\n\r\n"), "{all:?}");
        assert_eq!(all[1].0, "NATS/1.0 204 EOB\r\nNats-Num-Pending: 0\r\nNats-Last-Sequence: 6\r\n\r\n");
    }

    #[test]
    fn multi_last_as_nats_server_sends_it() {
        let s = six();
        assert_eq!(
            batch(&s, r#"{"multi_last":["a.*","b.>"]}"#),
            [
                "a.2:2 4/0 two",
                "b.1:3 3/2 three",
                "a.1:4 2/3 four",
                "b.2:5 1/4 five",
                "a.3:6 0/5 six",
                "204 EOB 0/6 upto 6"
            ]
        );
        assert_eq!(
            batch(&s, r#"{"multi_last":["a.*"],"up_to_seq":3}"#),
            ["a.1:1 1/0 one", "a.2:2 0/1 two", "204 EOB 0/2 upto 3"]
        );
        // Before the time of seq 4: the ceiling is 3.
        assert_eq!(
            batch(&s, r#"{"multi_last":["a.1"],"up_to_time":"2023-11-14T22:13:23Z"}"#),
            ["a.1:1 0/0 one", "204 EOB 0/1 upto 3"]
        );
        // `seq` is a floor, `batch` a count; overlapping filters select a subject once.
        assert_eq!(
            batch(&s, r#"{"multi_last":["a.*","a.1"],"seq":3,"batch":1}"#),
            ["a.1:4 1/0 four", "204 EOB 1/4 upto 6"]
        );
        assert_eq!(batch(&s, r#"{"multi_last":["a.1"],"up_to_time":"2000-01-01T00:00:00Z"}"#), ["404 No Results /"]);
        assert_eq!(batch(&s, r#"{"multi_last":["zz",""]}"#), ["404 No Results /"]);
        assert_eq!(batch(&s, r#"{"multi_last":["a.1"],"last_by_subj":"a.1"}"#), ["408 Bad Request /"]);
    }

    #[test]
    fn multi_last_selects_at_most_1024_subjects() {
        let mut store = MemStore::new(StoreLimits::default());
        for i in 0..1025 {
            store.store(format!("k.{i}").as_bytes(), b"", b"v", 1).unwrap();
        }
        let s = DirectGet::new("S", Arc::new(Mutex::new(Box::new(store))), 2);
        assert_eq!(batch(&s, r#"{"multi_last":["k.*"]}"#), ["413 Too Many Results /"]);
        let all = ask_all(&s, GET, r#"{"multi_last":["k.1","k.2"]}"#);
        assert_eq!(all.len(), 3);
        assert_eq!(ask_all(&s, GET, r#"{"multi_last":["k.*"],"up_to_seq":1024}"#).len(), 1025);
    }
}
