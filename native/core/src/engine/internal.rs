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
//! Internal connections live on the main thread's engine; messages published by connections on other
//! workers reach them through the router like any other subscription.

use super::{limits_for, Engine};
use crate::conn::{AuthState, ClientOpts};

/// Payload limit of an internal connection's parser.
const INTERNAL_MAX_PAYLOAD: usize = 256 * 1024 * 1024;

impl Engine {
    /// Open an internal connection in `account` (created if new). It is connected at once, with headers,
    /// without echo (the server does not receive what it publishes) and without verbose or pedantic checks.
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
            echo: false,
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
                && self.t.subs[k.slot as usize]
                    .as_ref()
                    .is_some_and(|s| s.gen == k.gen && self.t.conns[s.conn as usize].as_ref().is_some_and(|c| c.internal))
        };
        self.scratch.plain.iter().any(|k| !local_internal(k)) || self.scratch.queues.iter().flatten().any(|k| !local_internal(k))
    }

    /// Whether `id` is an internal connection.
    pub fn is_internal(&self, id: u32) -> bool {
        matches!(self.t.conns.get(id as usize), Some(Some(c)) if c.internal)
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
}
