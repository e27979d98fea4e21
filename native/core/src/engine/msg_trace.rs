//! Message tracing (`Nats-Trace-Dest`), as nats-server 2.11+ does it on one server (`msgtrace.go`).
//!
//! A client publishes with the header `Nats-Trace-Dest: <subject>` (and maybe `Nats-Trace-Only: true`); the
//! server publishes one JSON `MsgTraceEvent` to that subject, in the publisher's account, describing what it
//! did with the message: an `in` event (who published, where, and the refusal if any) and an `eg` event per
//! subscription it was delivered to (or would have been, for trace-only, or was not, with the reason).
//!
//! Cost when nothing is traced: only HPUBs are looked at, two comparisons per header line ([`find`]).
//! A traced publish builds a [`MsgTrace`] (owned by `Tables::msg_trace` while the message is routed).
//! Subscriptions owned by other workers are listed in `pending`; the trace then travels as a forward record
//! (`TRACE_RECORD` in the reply field, the JSON state as body) from worker to worker, each adding the egress
//! events of its own subscriptions, and the last one publishes the event.
//!
//! A sampled W3C `traceparent` header asks too, when the account has a `msg_trace` destination.
//!
//! Not done (no such parts in Myelin): hops over routes, gateways and leaf nodes (`Nats-Trace-Hop`), subject
//! mappings (`sm`). Not done yet: the `js` event's `nointerest` and `error` (the control plane stores the
//! message after the event has left).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

const TRACE_DEST: &[u8] = b"Nats-Trace-Dest";
/// The W3C trace context header; nats-server matches it in any case and reports it in lower case.
const TRACE_PARENT: &[u8] = b"traceparent";
const TRACE_ONLY: &str = "Nats-Trace-Only";
const TRACE_ORIGIN_ACCOUNT: &str = "Nats-Trace-Origin-Account";
/// The value nats-server writes into `Nats-Trace-Dest` to switch tracing off for a message.
const TRACE_DISABLED: &str = "trace disabled";
/// nats-server's connection kind of a client (`CLIENT`).
const KIND_CLIENT: u8 = 0;

/// Marks a forward record (in its reply field, with an empty subject) that carries a trace's state.
pub(crate) const TRACE_RECORD: &[u8] = b"$trace";

/// What the trace headers of one HPUB ask for.
pub(crate) struct TraceRequest {
    /// Empty when `external`.
    pub dest: String,
    pub only: bool,
    /// Only a sampled `traceparent` asks: the destination (and a sampling rate) is the account's
    /// `msg_trace`, if it has one.
    pub external: bool,
    /// Every header of the message, names with their case, values trimmed, as nats-server reports them.
    pub headers: BTreeMap<String, Vec<String>>,
}

/// The trace request in a header block (`NATS/1.0...\r\n\r\n`), if its keys include `Nats-Trace-Dest` or a
/// sampled `traceparent` (in any case). Only the key check runs for an HPUB that is not traced.
pub(crate) fn find(hdr: &[u8]) -> Option<TraceRequest> {
    let (mut dest_key, mut parent_key) = (false, false);
    for line in hdr.split(|&b| b == b'\n') {
        dest_key |= key_is(line, TRACE_DEST);
        parent_key |= key_is(line, TRACE_PARENT);
    }
    if !dest_key && !parent_key {
        return None;
    }
    let headers = header_map(hdr)?;
    // Looked up with their exact case, as nats-server does once the key check passed.
    let first = |name: &str| headers.get(name).and_then(|v| v.first()).cloned();
    let disabled =
        headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("Nats-Trace-Dest") && v.iter().any(|v| v == TRACE_DISABLED));
    let sampled = headers.get("traceparent").is_some_and(|v| v.iter().any(|p| is_sampled(p)));
    if disabled || (!dest_key && !sampled) || first(TRACE_ORIGIN_ACCOUNT).is_some() {
        return None;
    }
    if !dest_key {
        return Some(TraceRequest { dest: String::new(), only: false, external: true, headers });
    }
    let dest = first("Nats-Trace-Dest").filter(|d| !d.is_empty())?;
    let only = first(TRACE_ONLY).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "on"));
    Some(TraceRequest { dest, only, external: false, headers })
}

/// Whether header line `line` has key `key` (any case).
fn key_is(line: &[u8], key: &[u8]) -> bool {
    line.len() > key.len() && line[key.len()] == b':' && line[..key.len()].eq_ignore_ascii_case(key)
}

/// A `traceparent` value (`version-traceid-parentid-flags`) with the sampled flag set.
fn is_sampled(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 4 && parts[3].len() == 2 && i8::from_str_radix(parts[3], 16).is_ok_and(|f| f & 1 == 1)
}

/// A traced message a stream stores must not start a trace again when a consumer delivers it: nats-server
/// stores it with `Nats-Trace-Dest: trace disabled`. For a header block `hdr` (followed by `payload`) that
/// asks for a trace, the message with that value instead, and its new header length; `None` otherwise.
pub(crate) fn trace_disabled(hdr: &[u8], payload: &[u8]) -> Option<(Vec<u8>, usize)> {
    let req = find(hdr)?;
    if req.external || !crate::subject::is_valid_publish_subject(req.dest.as_bytes()) {
        return None;
    }
    let key = hdr
        .windows(TRACE_DEST.len() + 1)
        .position(|w| &w[..TRACE_DEST.len()] == TRACE_DEST && w[TRACE_DEST.len()] == b':')?;
    let mut start = key + TRACE_DEST.len() + 1;
    if hdr.get(start) == Some(&b' ') {
        start += 1;
    }
    let end = start + hdr[start..].iter().position(|&b| b == b'\r')?;
    let mut out = Vec::with_capacity(hdr.len() + payload.len() + TRACE_DISABLED.len());
    out.extend_from_slice(&hdr[..start]);
    out.extend_from_slice(TRACE_DISABLED.as_bytes());
    out.extend_from_slice(&hdr[end..]);
    let header_len = out.len();
    out.extend_from_slice(payload);
    Some((out, header_len))
}

/// The header block as name → values, split as nats-server splits it: each line's key ends at its first `:`,
/// values are trimmed of spaces and tabs.
fn header_map(hdr: &[u8]) -> Option<BTreeMap<String, Vec<String>>> {
    let rest = hdr.strip_prefix(b"NATS/1.0")?;
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // The status line (maybe with a code) ends at the first CRLF; header lines follow.
    let start = rest.windows(2).position(|w| w == b"\r\n")? + 2;
    for line in rest[start..].split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        if colon == 0 {
            continue;
        }
        let value = line[colon + 1..].trim_ascii_start();
        let value = trim_end_blanks(value);
        let key = &line[..colon];
        let key = if key.eq_ignore_ascii_case(TRACE_PARENT) {
            "traceparent".to_owned()
        } else {
            String::from_utf8_lossy(key).into_owned()
        };
        map.entry(key).or_default().push(String::from_utf8_lossy(value).into_owned());
    }
    Some(map)
}

fn trim_end_blanks(v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |i| i + 1);
    &v[..end]
}

/// The `client_id` of an INFO line, 0 if absent: a connection's cid as its client sees it.
pub(crate) fn client_id_of(info: &[u8]) -> u64 {
    const KEY: &[u8] = b"\"client_id\":";
    let Some(at) = info.windows(KEY.len()).position(|w| w == KEY) else { return 0 };
    info[at + KEY.len()..].iter().take_while(|b| b.is_ascii_digit()).fold(0, |n, &d| n * 10 + u64::from(d - b'0'))
}

/// One entry of the event's `events` list, with nats-server's JSON names (`type` first).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
pub(crate) enum TraceEvent {
    #[serde(rename = "in")]
    Ingress {
        ts: String,
        kind: u8,
        cid: u64,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        name: String,
        acc: String,
        subj: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        error: String,
    },
    #[serde(rename = "eg")]
    Egress {
        ts: String,
        kind: u8,
        cid: u64,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        name: String,
        /// Set only when the subscriber's account is not the publisher's (an import delivered it).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        acc: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        sub: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        queue: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        error: String,
    },
    /// The account's subject mapping changed the subject to `to` (`mappings {}`, engine/mapping.rs).
    #[serde(rename = "sm")]
    SubjectMapping { ts: String, to: String },
    /// A stream import carried the message into account `acc` as subject `to` (one per subscription there).
    #[serde(rename = "se")]
    StreamExport { ts: String, acc: String, to: String },
    /// A service import carried the message from subject `from` to `to` in the exporting account `acc`.
    #[serde(rename = "si")]
    ServiceImport { ts: String, acc: String, from: String, to: String },
    /// A stream's subscription matched it (stored, or for trace-only, would have been). nats-server also
    /// reports `nointerest` and the store's `error`; the engine does not know those.
    #[serde(rename = "js")]
    JetStream {
        ts: String,
        stream: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        subject: String,
    },
}

/// The `request` block.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct TraceRequestJson {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    header: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "is_zero")]
    msgsize: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A traced message's state while it is routed; serialized whole when it moves to another worker.
#[derive(Serialize, Deserialize, Debug)]
pub(crate) struct MsgTrace {
    pub dest: String,
    /// Router account id of the publisher: the event is published there.
    pub account: u32,
    /// Trace only: subscriptions are listed, nothing is delivered.
    pub only: bool,
    request: TraceRequestJson,
    events: Vec<TraceEvent>,
    /// Subscriptions of other workers the message was forwarded to (or, trace-only, would have been), by
    /// worker, in the order their events are added.
    pub pending: Vec<(u16, Vec<PendingTarget>)>,
    /// Events (index) naming another account (router id) whose `acc` is still to be filled in.
    #[serde(skip)]
    unresolved: Vec<(usize, u32)>,
}

/// A subscription of another worker, and the events it adds there.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct PendingTarget {
    pub slot: u32,
    pub gen: u16,
    /// It is a stream import's subscription: an `se` event with this delivery subject comes first.
    pub stream_export: Option<String>,
    /// Add its egress event (false: the import does not allow tracing past it).
    pub egress: bool,
}

/// Who a delivery went to, for an egress event.
pub(crate) struct EgressTo<'a> {
    pub cid: u64,
    pub name: &'a str,
    /// Router account id: an egress in another account than the publisher's names it (see `resolve_accounts`).
    pub account: u32,
    pub sub: &'a [u8],
    pub queue: Option<&'a [u8]>,
}

impl MsgTrace {
    /// A trace of a publish by client `cid` (`name`) in account `acc` (router id `account`) on `subject`,
    /// `msgsize` bytes of header and payload.
    pub fn new(req: TraceRequest, ingress: EgressTo<'_>, acc: &str, msgsize: usize) -> MsgTrace {
        let ev = TraceEvent::Ingress {
            ts: now_rfc3339(),
            kind: KIND_CLIENT,
            cid: ingress.cid,
            name: ingress.name.to_owned(),
            acc: acc.to_owned(),
            subj: String::from_utf8_lossy(ingress.sub).into_owned(),
            error: String::new(),
        };
        MsgTrace {
            dest: req.dest,
            account: ingress.account,
            only: req.only,
            request: TraceRequestJson { header: req.headers, msgsize },
            events: vec![ev],
            pending: Vec::new(),
            unresolved: Vec::new(),
        }
    }

    /// The publish was refused: the ingress event says why.
    pub fn set_ingress_error(&mut self, text: String) {
        if let Some(TraceEvent::Ingress { error, .. }) = self.events.first_mut() {
            *error = text;
        }
    }

    pub fn add_egress(&mut self, to: EgressTo<'_>, error: &str) {
        if to.account != self.account {
            self.unresolved.push((self.events.len(), to.account));
        }
        self.events.push(TraceEvent::Egress {
            ts: now_rfc3339(),
            kind: KIND_CLIENT,
            cid: to.cid,
            name: to.name.to_owned(),
            acc: String::new(),
            sub: String::from_utf8_lossy(to.sub).into_owned(),
            queue: to.queue.map(|q| String::from_utf8_lossy(q).into_owned()).unwrap_or_default(),
            error: error.to_owned(),
        });
    }

    /// The publisher's account mapped the subject to `to`.
    pub fn add_subject_mapping(&mut self, to: &[u8]) {
        let to = String::from_utf8_lossy(to).into_owned();
        self.events.push(TraceEvent::SubjectMapping { ts: now_rfc3339(), to });
    }

    /// A stream import delivers the message as `to` to a subscription in account `account`.
    pub fn add_stream_export(&mut self, account: u32, to: &[u8]) {
        self.unresolved.push((self.events.len(), account));
        let to = String::from_utf8_lossy(to).into_owned();
        self.events.push(TraceEvent::StreamExport { ts: now_rfc3339(), acc: String::new(), to });
    }

    /// A service import carries the message from `from` to `to` in the exporting account `account`.
    pub fn add_service_import(&mut self, account: u32, from: &[u8], to: &[u8]) {
        self.unresolved.push((self.events.len(), account));
        self.events.push(TraceEvent::ServiceImport {
            ts: now_rfc3339(),
            acc: String::new(),
            from: String::from_utf8_lossy(from).into_owned(),
            to: String::from_utf8_lossy(to).into_owned(),
        });
    }

    /// Stream `stream` captures the message, published on `subject`.
    pub fn add_jetstream(&mut self, stream: &str, subject: &[u8]) {
        let subject = String::from_utf8_lossy(subject).into_owned();
        self.events.push(TraceEvent::JetStream { ts: now_rfc3339(), stream: stream.to_owned(), subject });
    }

    /// Name the accounts that events refer to by router id (egress in another account than the
    /// publisher's, imports). Called before the state leaves this worker.
    pub fn resolve_accounts(&mut self, name_of: impl Fn(u32) -> String) {
        for (i, id) in std::mem::take(&mut self.unresolved) {
            if let Some(
                TraceEvent::Egress { acc, .. }
                | TraceEvent::StreamExport { acc, .. }
                | TraceEvent::ServiceImport { acc, .. },
            ) = self.events.get_mut(i)
            {
                *acc = name_of(id);
            }
        }
    }

    /// Note a subscription of another worker this message goes to.
    pub fn add_pending(&mut self, worker: u16, target: PendingTarget) {
        match self.pending.iter_mut().find(|(w, _)| *w == worker) {
            Some((_, targets)) => targets.push(target),
            None => self.pending.push((worker, vec![target])),
        }
    }

    /// The state as a forward record's body.
    pub fn to_record(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a trace serializes")
    }

    pub fn from_record(body: &[u8]) -> Option<MsgTrace> {
        serde_json::from_slice(body).ok()
    }

    /// The `MsgTraceEvent` JSON. `server` is the configured server block (a JSON object without `seq` and
    /// `time`); `seq` counts the events this engine sent.
    pub fn event_json(&self, server: &str, seq: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"{\"server\":");
        let server = server.trim();
        let head = server.strip_suffix('}').unwrap_or("{");
        out.extend_from_slice(head.as_bytes());
        if head.trim_end() != "{" {
            out.push(b',');
        }
        out.extend_from_slice(format!("\"seq\":{seq},\"time\":\"{}\"}}", now_rfc3339()).as_bytes());
        out.extend_from_slice(b",\"request\":");
        serde_json::to_writer(&mut out, &self.request).expect("request serializes");
        out.extend_from_slice(b",\"events\":");
        serde_json::to_writer(&mut out, &self.events).expect("events serialize");
        out.push(b'}');
        out
    }
}

/// The wall clock as Go's `time.Time` JSON (RFC 3339, UTC, nanoseconds without trailing zeros).
fn now_rfc3339() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    crate::time::rfc3339_nanos(d.as_nanos() as i64)
}

#[cfg(test)]
mod tests;
