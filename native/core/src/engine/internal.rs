//! Internal connections: the server's own clients (JetStream's API and stream capture, later the system
//! account's services). An internal connection is an ordinary slot with no socket behind it:
//!
//! * it speaks the protocol like any client: the control plane subscribes and publishes by passing
//!   `SUB`/`UNSUB`/`PUB`/`HPUB` bytes to [`Engine::ingest`], a whole batch of messages per call;
//! * its deliveries are framed as `MSG`/`HMSG` into its outbound buffer and listed as dirty like any other
//!   connection; the control plane takes them in one batch per loop turn and decodes them itself;
//! * it is never pinged, never authenticated, never closed as a slow consumer and never marks its thread
//!   congested (the server drains it every turn), and its payload limit is far above `max_payload` so a
//!   stored message plus the headers the server adds always fits.
//!
//! Publishing has a second form, [`Engine::publish_internal`]: a batch of messages each routed by one subject
//! and framed with another. JetStream delivers a stored message to a pull request's inbox or a push
//! consumer's deliver subject, but the client must see the subject the message was stored under.
//!
//! Internal connections live on the main thread's engine; messages published by connections on other
//! workers reach them through the router like any other subscription.

use super::{limits_for, Engine};
use crate::conn::{AuthState, ClientOpts};
use crate::parser::{OpHandler, Publish};

/// Payload limit of an internal connection's parser.
const INTERNAL_MAX_PAYLOAD: usize = 256 * 1024 * 1024;

impl Engine {
    /// Open an internal connection in `account` (created if new). It is connected at once, with headers and
    /// echo (a stream may capture what the server itself publishes, such as advisories for dead-lettering),
    /// without verbose or pedantic checks.
    pub fn open_internal(&mut self, account: &str) -> u32 {
        let account = self.router.account_id(account);
        let id = self.open_slot(None);
        let mut limits = limits_for(&self.t.cfg);
        limits.max_payload = INTERNAL_MAX_PAYLOAD;
        limits.max_control_line = limits.max_control_line.max(64 * 1024);
        if let Some(p) = self.parsers[id as usize].as_mut() {
            p.limits = limits;
        }
        let c = self.t.conn(id);
        c.internal = true;
        c.connected = true;
        c.auth = AuthState::Authorized;
        c.account = account;
        c.opts = ClientOpts {
            verbose: false,
            pedantic: false,
            echo: true,
            headers: true,
            no_responders: false,
            protocol: 1,
        };
        id
    }

    /// Whether any subscription in `account` other than internal ones would receive a message on `subject`
    /// (a push consumer delivers only while someone listens on its deliver subject, as in nats-server).
    pub fn has_interest(&mut self, account: &str, subject: &[u8]) -> bool {
        let id = self.router.account_id(account);
        let acc = self.router.account(id);
        acc.sublist().match_into(subject, &mut self.scratch);
        let me = self.t.worker;
        let local_internal = |k: &crate::router::SubKey| {
            k.worker == me
                && self.t.subs[k.slot as usize].as_ref().is_some_and(|s| {
                    s.gen == k.gen && self.t.conns[s.conn as usize].as_ref().is_some_and(|c| c.internal)
                })
        };
        self.scratch.plain.iter().any(|k| !local_internal(k))
            || self.scratch.queues.iter().flatten().any(|k| !local_internal(k))
    }

    /// Route a batch of messages from internal connection `id`. The batch is a sequence of records, each
    /// `route_len u32, route, subject_len u32, subject, reply_len u32, reply, hdr_len u32, total_len u32,
    /// payload` (lengths little-endian; `hdr_len` 0 means no headers; payload is headers then body). Each
    /// message goes to the subscriptions matching `route`, framed as published on `subject`. The batch is
    /// borrowed for the call. Returns `ingest`'s result bits.
    pub fn publish_internal(&mut self, id: u32, batch: &[u8]) -> u32 {
        if !self.is_internal(id) {
            return self.flags();
        }
        let mut ctx = self.ctx(id);
        let mut r = Reader { buf: batch, pos: 0 };
        while r.pos < batch.len() {
            let (Some(route), Some(subject), Some(reply), Some(hdr_len), Some(total)) =
                (r.field(), r.field(), r.field(), r.u32(), r.u32())
            else {
                break;
            };
            let Some(body) = r.take(total as usize) else { break };
            let m =
                Publish { subject, reply, header_len: if hdr_len > 0 { Some(hdr_len as usize) } else { None }, body };
            ctx.route = route;
            let _ = ctx.on_publish(m);
        }
        self.finish_loop();
        self.flags()
    }

    /// The router key of connection `id`'s subscription `sid` (what a stream capture shadows).
    pub fn sub_key(&self, id: u32, sid: &[u8]) -> Option<crate::router::SubKey> {
        let c = self.t.conns.get(id as usize)?.as_ref()?;
        let slot = *c.subs.get(sid)?;
        let sub = self.t.subs.get(slot as usize)?.as_ref()?;
        Some(crate::router::SubKey { worker: self.t.worker, gen: sub.gen, slot })
    }

    /// The subject of connection `id`'s subscription `sid`.
    pub fn sub_subject(&self, id: u32, sid: &[u8]) -> Option<Vec<u8>> {
        let c = self.t.conns.get(id as usize)?.as_ref()?;
        let slot = *c.subs.get(sid)?;
        Some(self.t.subs.get(slot as usize)?.as_ref()?.subject.to_vec())
    }

    /// Whether `id` is an internal connection.
    pub fn is_internal(&self, id: u32) -> bool {
        matches!(self.t.conns.get(id as usize), Some(Some(c)) if c.internal)
    }
}

/// Reads the length-prefixed records of [`Engine::publish_internal`].
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let b = self.buf.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(b)
    }

    fn field(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, EngineConfig};

    #[test]
    fn internal_connection_receives_and_publishes() {
        let mut e = Engine::new(EngineConfig { max_pending: 64, ..Default::default() }, 1);
        let internal = e.open_internal("$G");
        let client = e.open_conn(b"INFO {}\r\n", None);
        e.take_outbound(client);
        e.ingest(client, b"CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB _INBOX.1 1\r\n");
        e.ingest(internal, b"SUB $JS.API.> 1\r\n");
        // Far past max_pending: an internal connection is not a slow consumer.
        for _ in 0..10 {
            e.ingest(client, b"PUB $JS.API.INFO _INBOX.1 5\r\nhello\r\n");
        }
        let got = e.take_outbound(internal);
        assert!(got.starts_with(b"MSG $JS.API.INFO 1 _INBOX.1 5\r\nhello\r\n"));
        assert_eq!(got.len(), 10 * b"MSG $JS.API.INFO 1 _INBOX.1 5\r\nhello\r\n".len());
        e.ingest(internal, b"HPUB _INBOX.1 12 14\r\nNATS/1.0\r\n\r\nok\r\n");
        assert_eq!(e.take_outbound(client), b"HMSG _INBOX.1 1 12 14\r\nNATS/1.0\r\n\r\nok\r\n");
        // No PINGs for it.
        e.tick(10_000_000);
        assert!(e.take_outbound(internal).is_empty());
        assert!(e.is_internal(internal) && !e.is_internal(client));
    }

    fn record(out: &mut Vec<u8>, route: &[u8], subject: &[u8], reply: &[u8], hdr_len: u32, payload: &[u8]) {
        for f in [route, subject, reply] {
            out.extend_from_slice(&(f.len() as u32).to_le_bytes());
            out.extend_from_slice(f);
        }
        out.extend_from_slice(&hdr_len.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
    }

    #[test]
    fn publish_internal_routes_by_one_subject_and_frames_another() {
        let mut e = Engine::new(EngineConfig::default(), 1);
        let internal = e.open_internal("$G");
        let client = e.open_conn(b"INFO {}\r\n", None);
        e.take_outbound(client);
        e.ingest(client, b"CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB _INBOX.x 7\r\n");
        let mut batch = Vec::new();
        record(&mut batch, b"_INBOX.x", b"orders.1", b"$JS.ACK.a", 0, b"hi");
        record(&mut batch, b"_INBOX.x", b"orders.2", b"", 12, b"NATS/1.0\r\n\r\nyo");
        record(&mut batch, b"nobody", b"orders.3", b"", 0, b"lost");
        e.publish_internal(internal, &batch);
        assert_eq!(
            e.take_outbound(client),
            b"MSG orders.1 7 $JS.ACK.a 2\r\nhi\r\nHMSG orders.2 7 12 14\r\nNATS/1.0\r\n\r\nyo\r\n".to_vec()
        );
        // Only internal connections may do this.
        e.publish_internal(client, &batch);
        assert!(e.take_outbound(client).is_empty());
    }
}
