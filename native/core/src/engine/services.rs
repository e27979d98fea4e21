//! In-server services and stream captures (`router::Service`, `router::Capture`) as the engine runs them:
//! a service's replies published from the server on the requester's thread; a capture offered each message
//! before routing (a stored message skips the subscriptions it shadows) and its acks published once the
//! chunk's stores reached the OS.

use super::{Ctx, Engine, Tables};
use crate::imports::Deliver;
use crate::parser::Publish;
use crate::router::Router;

impl Engine {
    /// End the chunk for every capture that stored something in it, then publish their acks, each to its
    /// reply subject from the server, in its account. A capture whose stores did not reach the OS sends no
    /// acks: the publishers see a timeout, never an ack for a message a crash could lose.
    pub(super) fn end_captures(&mut self) {
        let mut captured = std::mem::take(&mut self.t.captured);
        captured.retain(|&id| !self.router.capture(id).is_some_and(|e| e.capture.end_of_chunk()));
        let failed = captured;
        let acks = std::mem::take(&mut self.t.capture_acks);
        let mut ctx = self.ctx(u32::MAX);
        let mut r = AckReader { buf: &acks, at: 0 };
        while let (Some(account), Some(id), Some(reply), Some(body)) = (r.u32(), r.u32(), r.bytes(), r.bytes()) {
            if !failed.contains(&id) {
                ctx.publish_from_server(account, &Publish { subject: reply, reply: b"", header_len: None, body });
            }
        }
        let mut acks = acks;
        acks.clear();
        // An ack published to a subject some stream captures queues nothing new here (acks have no reply).
        if self.t.capture_acks.is_empty() {
            self.t.capture_acks = acks;
        }
        let mut failed = failed;
        failed.clear();
        if self.t.captured.is_empty() {
            self.t.captured = failed;
        }
    }
}

impl Ctx<'_> {
    /// Call the services `fan_out` matched for `m` (routed by `subject`) and publish each reply to `m`'s reply
    /// subject from the server itself, in the same account, on this thread.
    pub(super) fn answer_services(&mut self, account: u32, subject: &[u8], m: &Publish<'_>) {
        let mut calls = std::mem::take(&mut self.t.service_calls);
        if !m.reply.is_empty() {
            let mut reply = std::mem::take(&mut self.t.service_reply);
            let mut payload = std::mem::take(&mut self.t.service_payload);
            let (hdr, body) = match m.header_len {
                Some(h) => (Some(&m.body[..h]), &m.body[h..]),
                None => (None, m.body),
            };
            for &id in &calls {
                let Some(service) = self.router.service(id) else { continue };
                reply.clear();
                if !service.answer(subject, hdr, body, &mut reply) {
                    continue;
                }
                // A service answering with several messages (a batched direct get): all but the last.
                for (header_len, payload) in reply.earlier() {
                    let answer = Publish { subject: m.reply, reply: b"", header_len, body: payload };
                    self.publish_from_server(account, &answer);
                }
                payload.clear();
                payload.extend_from_slice(&reply.hdr);
                payload.extend_from_slice(&reply.body);
                let header_len = (!reply.hdr.is_empty()).then_some(reply.hdr.len());
                let answer = Publish { subject: m.reply, reply: b"", header_len, body: &payload };
                self.publish_from_server(account, &answer);
            }
            self.t.service_reply = reply;
            self.t.service_payload = payload;
        }
        calls.clear();
        self.t.service_calls = calls;
    }

    /// Route a message the server itself publishes in `account` (a service's reply): no publishing connection
    /// (so no echo rule), routed by its own subject, through imports like a client's publish.
    pub(super) fn publish_from_server(&mut self, account: u32, m: &Publish<'_>) {
        let (id, route) = (self.id, self.route);
        self.id = u32::MAX;
        self.route = b"";
        // A service's answer to a traced request is a message of its own: not part of the trace.
        let trace = self.t.msg_trace.take();
        self.fan_out(account, m);
        let router = self.router;
        if self.imports.active(router.imports()) {
            let mut view = std::mem::take(&mut *self.imports);
            view.route(router.imports(), self, account, m);
            *self.imports = view;
        }
        self.t.msg_trace = trace;
        self.id = id;
        self.route = route;
    }
}

/// Offer `m`, published in `account`, to capture `id` (only to be counted as declined unless `may_store`).
/// When it stores it: shadow its subscriptions for this message, queue its ack (if `m` has a reply) and
/// remember the capture, both for `Engine::end_captures` at the end of the chunk.
pub(super) fn capture(
    router: &Router,
    t: &mut Tables,
    account: u32,
    id: u32,
    m: &Publish<'_>,
    may_store: bool,
) -> bool {
    let Some(entry) = router.capture(id) else { return false };
    let (hdr, body) = match m.header_len {
        Some(h) => (Some(&m.body[..h]), &m.body[h..]),
        None => (None, m.body),
    };
    t.capture_ack.clear();
    let ack = (!m.reply.is_empty()).then_some(&mut t.capture_ack);
    if !entry.capture.capture(m.subject, hdr, body, ack, may_store) {
        return false;
    }
    t.shadowed.extend_from_slice(&entry.shadows);
    if !t.captured.contains(&id) {
        t.captured.push(id);
    }
    if !t.capture_ack.is_empty() {
        t.capture_acks.extend_from_slice(&account.to_le_bytes());
        t.capture_acks.extend_from_slice(&id.to_le_bytes());
        t.capture_acks.extend_from_slice(&(m.reply.len() as u32).to_le_bytes());
        t.capture_acks.extend_from_slice(m.reply);
        t.capture_acks.extend_from_slice(&(t.capture_ack.len() as u32).to_le_bytes());
        t.capture_acks.extend_from_slice(&t.capture_ack);
    }
    true
}

/// Reads `Tables::capture_acks`.
struct AckReader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> AckReader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let v = u32::from_le_bytes(self.buf.get(self.at..self.at + 4)?.try_into().ok()?);
        self.at += 4;
        Some(v)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        let v = self.buf.get(self.at..self.at + len)?;
        self.at += len;
        Some(v)
    }
}
