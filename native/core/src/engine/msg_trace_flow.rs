//! Where a traced message (`engine/msg_trace.rs`) meets the routing: starting the trace on an HPUB, handing
//! it to the workers that own more of its subscriptions, and publishing the event.

use super::msg_trace::{self, EgressTo, MsgTrace, PendingTarget, TraceRequest};
use super::{Conn, Ctx, Engine, Subscription, Tables};
use crate::imports::ImportTrace;
use crate::parser::Publish;
use crate::router::{encode_forward, SubKey};
use crate::subject;
use crate::wire_error::{write_pub_permission_violation, TRACE_CLIENT_CLOSED};

/// What a publish with trace headers does.
pub(super) enum TraceStart {
    /// Routed and traced.
    On(Box<MsgTrace>),
    /// Routed, not traced (no usable destination).
    Off,
    /// Dropped: a trace-only message that cannot be traced, or a destination the publisher may not publish to.
    Skip,
}

impl Ctx<'_> {
    /// Check a trace request of the publish `m` by this connection, as nats-server's `initMsgTrace`.
    pub(super) fn start_trace(&mut self, mut req: TraceRequest, m: &Publish<'_>) -> TraceStart {
        let id = self.id;
        // The server's own publishes (JetStream redelivering a stored traced message) are not traced.
        if !self.route.is_empty() || self.t.conn(id).internal {
            return TraceStart::Off;
        }
        if req.external {
            // A sampled `traceparent`: traced to the account's `msg_trace` destination, if it has one, for
            // that percentage of messages (nats-server: a random 0..99 at most the sampling value).
            let account = self.t.conn(id).account;
            let router = self.router;
            let Some((dest, sampling)) = self.imports.trace_dest(router.imports(), account) else {
                return TraceStart::Off;
            };
            req.dest = dest.to_owned();
            if sampling < 100 && self.t.next_random() % 100 > u64::from(sampling) {
                return TraceStart::Off;
            }
        }
        if !subject::is_valid_publish_subject(req.dest.as_bytes()) {
            return if req.only { TraceStart::Skip } else { TraceStart::Off };
        }
        let now = self.t.now_ms;
        if let Some(p) = self.t.conn(id).perms.as_mut() {
            if !p.can_publish(req.dest.as_bytes(), now) {
                let before = self.t.conn(id).out.len();
                write_pub_permission_violation(&mut self.t.conn(id).out, req.dest.as_bytes());
                self.t.trace_err_since(id, before);
                self.t.mark_dirty_or_cut(id);
                return TraceStart::Skip;
            }
        }
        let c = self.t.conn(id);
        let account = c.account;
        let acc = self.router.account(account);
        let from = EgressTo { cid: c.cid, name: &c.name, account, sub: m.subject, queue: None };
        TraceStart::On(Box::new(MsgTrace::new(req, from, &acc.name, m.body.len())))
    }

    /// A stream import delivers `m` into `importer`: its subscriptions there get `se` events.
    pub(super) fn fan_out_imported_traced(&mut self, importer: u32, m: &Publish<'_>, allow_trace: bool) -> bool {
        use crate::imports::Deliver;
        self.t.trace_import = Some(allow_trace);
        let delivered = self.fan_out(importer, m);
        self.t.trace_import = None;
        delivered
    }

    /// A service import carries the traced message from `from` to `to` in `exporter`: nats-server's `si`
    /// event, then on traced (the export allows it), not at all (trace-only), or untraced until
    /// `resume_trace`.
    pub(super) fn trace_service(&mut self, exporter: u32, from: &[u8], to: &[u8], allow_trace: bool) -> ImportTrace {
        let Some(t) = self.t.msg_trace.as_mut() else { return ImportTrace::Traced };
        t.add_service_import(exporter, from, to);
        if allow_trace {
            ImportTrace::Traced
        } else if t.only {
            ImportTrace::Skip
        } else {
            self.t.suspended_trace = self.t.msg_trace.take();
            ImportTrace::Untraced
        }
    }

    /// The message has been routed on this worker: publish the event, or pass the trace on to the next
    /// worker owning some of its subscriptions (after the message's own forward record to it, if any).
    pub(super) fn finish_trace(&mut self, mut t: MsgTrace) {
        let router = self.router;
        t.resolve_accounts(|id| router.account(id).name.to_string());
        if let Some(&(worker, _)) = t.pending.first() {
            let w = worker as usize;
            encode_forward(&mut self.fwd.batches[w], b"", msg_trace::TRACE_RECORD, None, &t.to_record(), &[]);
            self.fwd.records[w] += 1;
            return;
        }
        self.t.trace_seq += 1;
        let body = t.event_json(&self.t.trace_server, self.t.trace_seq);
        self.publish_from_server(
            t.account,
            &Publish { subject: t.dest.as_bytes(), reply: b"", header_len: None, body: &body },
        );
    }
}

impl Tables {
    /// Add the egress events of a traced message's subscriptions on this worker (it was forwarded here:
    /// delivered by the forward record before this, or not at all for trace-only).
    pub(super) fn trace_forwarded(&mut self, t: &mut MsgTrace, targets: &[PendingTarget]) {
        for target in targets {
            let (slot, gen) = (target.slot, target.gen);
            let Some(sub) = self.subs.get(slot as usize).and_then(|s| s.as_ref()).filter(|s| s.gen == gen) else {
                continue;
            };
            let Some(c) = self.conns.get(sub.conn as usize).and_then(|c| c.as_ref()) else { continue };
            if let Some(to) = &target.stream_export {
                t.add_stream_export(c.account, to.as_bytes());
            }
            if c.internal || !target.egress {
                continue;
            }
            let why = if c.is_open() { "" } else { TRACE_CLIENT_CLOSED };
            t.add_egress(egress_to(c, sub), why);
        }
    }

    /// A traced message goes to subscription `k` of another worker (as `subject`): note it for that worker's
    /// events. Returns whether to forward the message (not for trace-only).
    pub(super) fn trace_forward(&mut self, k: SubKey, subject: &[u8]) -> bool {
        let Some(t) = self.msg_trace.as_mut() else { return true };
        let (stream_export, egress) = match self.trace_import {
            Some(allow) => (Some(String::from_utf8_lossy(subject).into_owned()), allow),
            None => (None, true),
        };
        t.add_pending(k.worker, PendingTarget { slot: k.slot, gen: k.gen, stream_export, egress });
        !t.only
    }
}

/// An egress event's view of subscription `sub` of connection `c`.
pub(super) fn egress_to<'a>(c: &'a Conn, sub: &'a Subscription) -> EgressTo<'a> {
    EgressTo { cid: c.cid, name: &c.name, account: c.account, sub: &sub.subject, queue: sub.queue.as_deref() }
}

impl Engine {
    /// A trace forwarded by another worker: add the egress events of this worker's subscriptions, then
    /// publish it or pass it on.
    pub(super) fn continue_trace(&mut self, record: &[u8]) {
        let Some(mut t) = MsgTrace::from_record(record) else { return };
        let me = self.t.worker;
        if let Some(i) = t.pending.iter().position(|(w, _)| *w == me) {
            let (_, targets) = t.pending.remove(i);
            self.t.trace_forwarded(&mut t, &targets);
        }
        self.ctx(u32::MAX).finish_trace(t);
    }

    /// The `server` block of message trace events: a JSON object with nats-server's `ServerInfo` fields
    /// except `seq` and `time`, which each event adds.
    pub fn set_trace_server(&mut self, json: &str) {
        self.t.trace_server = json.into();
    }
}

#[cfg(test)]
mod tests;
