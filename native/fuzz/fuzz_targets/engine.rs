//! Engine fuzz target: a whole Engine (or two workers sharing a Router) with 2-3 client connections, driven
//! by a small command language decoded from the fuzz input.
//!
//! Input: `[config byte] [command]...`; each command is an opcode byte plus operands. Commands append
//! protocol text (valid-ish ops from a small vocabulary, or raw fuzz bytes) to a connection's pending input,
//! ingest it (whole or cut in two), drain outbound bytes, block/unblock sockets, tick timers, authorize,
//! close and reopen connections.
//!
//! Checked after every step:
//! * nothing panics;
//! * a connection's pending output stays within `max_pending` + one framed message + the replies
//!   (PONG, -ERR, +OK, INFO) it provoked itself since its last drain;
//! * the router's subscription count equals the sum of the live connections' counts (no leaks);
//! * a connection the engine closed can be closed (`close_conn`) and its slot is empty afterwards;
//! * at the end, closing everything leaves zero subscriptions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myelin_core::engine::{Engine, EngineConfig, Event};
use myelin_core::router::Router;
use myelin_core::wire_error::CloseReason;

const INFO: &[u8] = b"INFO {\"server_id\":\"fuzz\",\"headers\":true,\"max_payload\":1024}\r\n";

struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (a, b) = self.data.split_at(n);
        self.data = b;
        a
    }
}

const TOKENS: [&str; 8] = ["a", "b", "c", "*", ">", "a.b", "_INBOX.x", "foo"];

fn subject(inp: &mut Input, wild: bool) -> String {
    let b = inp.byte().unwrap_or(0);
    let n = 1 + (b & 3) as usize;
    let mut parts = Vec::new();
    for i in 0..n {
        let t = inp.byte().unwrap_or(0) as usize % TOKENS.len();
        let mut tok = TOKENS[t];
        if !wild && (tok == "*" || tok == ">") {
            tok = "z";
        }
        // `>` only last, mostly; sometimes deliberately invalid.
        if tok == ">" && i + 1 < n && b & 0x80 == 0 {
            tok = "*";
        }
        parts.push(tok);
    }
    if b & 0x40 != 0 && b & 0x20 != 0 {
        // an invalid subject now and then: empty token
        parts.push("");
    }
    parts.join(".")
}

struct Client {
    id: u32,
    /// Bytes written by the client but not yet ingested.
    pending_in: Vec<u8>,
    /// Slack for replies the connection provoked since its last drain.
    slack: usize,
    closing: bool,
}

struct World {
    engines: Vec<Engine>,
    clients: Vec<(usize, Client)>,
    cfg: EngineConfig,
    max_frame: usize,
    now: u64,
}

impl World {
    fn open(&mut self, engine: usize) -> Client {
        let id = self.engines[engine].open_conn(INFO, Some(INFO));
        assert_eq!(self.engines[engine].conn_sub_count(id), 0, "reused slot {id} kept subscriptions");
        Client { id, pending_in: Vec::new(), slack: INFO.len(), closing: false }
    }

    fn after_step(&mut self) {
        // Inboxes between workers: deliver forwarded messages.
        for e in 0..self.engines.len() {
            self.engines[e].drain_inbox();
        }
        for e in 0..self.engines.len() {
            for ev in self.engines[e].take_events() {
                match ev {
                    Event::Connect { conn, .. } | Event::OpBeforeConnect { conn } => {
                        assert!(self.clients.iter().any(|(ce, c)| *ce == e && c.id == conn), "connect event for an unknown connection");
                    }
                    Event::Close { conn, reason } => {
                        let c = self
                            .clients
                            .iter_mut()
                            .find(|(ce, c)| *ce == e && c.id == conn)
                            .expect("close event for a connection the test does not own");
                        c.1.closing = true;
                        if reason == CloseReason::SlowConsumerPendingBytes {
                            // The backlog was dropped; only an -ERR may remain.
                            assert!(self.engines[e].pending_bytes(conn) <= 128, "slow consumer kept its backlog");
                        }
                    }
                }
            }
        }
        let mut total = 0;
        for (e, c) in &self.clients {
            let pending = self.engines[*e].pending_bytes(c.id);
            let bound = self.cfg.max_pending + self.max_frame + c.slack + 128;
            assert!(pending <= bound, "conn {} pending {pending} over bound {bound}", c.id);
            total += self.engines[*e].conn_sub_count(c.id);
        }
        assert_eq!(self.engines[0].subscription_count(), total, "router subscription count differs from connections'");
    }

    fn drain(&mut self, k: usize) {
        let e = self.clients[k].0;
        let mut ids = [0u32; 8];
        let n = self.engines[e].take_dirty(&mut ids);
        for &id in &ids[..n] {
            let _ = self.engines[e].take_outbound(id);
            for (ce, c) in self.clients.iter_mut() {
                if *ce == e && c.id == id {
                    c.slack = 0;
                }
            }
        }
        let id = self.clients[k].1.id;
        let _ = self.engines[e].take_outbound(id);
        self.clients[k].1.slack = 0;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data };
    let conf = inp.byte().unwrap_or(0);
    let cfg = EngineConfig {
        max_payload: [64, 1024][(conf & 1) as usize],
        max_control_line: [64, 4096][((conf >> 1) & 1) as usize],
        max_pending: [512, 4096, 1 << 20, 200][((conf >> 2) & 3) as usize],
        max_subscriptions: [0, 3][((conf >> 4) & 1) as usize],
        ping_interval_ms: 1000,
        ping_max: 2,
        headers_supported: conf & 0x20 == 0,
        match_cache: [0, 8][((conf >> 6) & 1) as usize],
        auth_enabled: conf & 0x80 != 0,
        // Tracing and the no_auth_user admission stay off (their defaults).
        ..EngineConfig::default()
    };
    let workers = if conf & 0x08 != 0 && conf & 0x04 != 0 { 2 } else { 1 };
    let router = Router::new(workers);
    let engines: Vec<Engine> =
        (0..workers).map(|w| Engine::with_router(cfg, 0x5eed + w as u64, router.clone(), w)).collect();
    // Largest MSG/HMSG frame: control line (subject, sid, reply, sizes) + payload + CRLFs.
    let max_frame = cfg.max_payload + 2 * cfg.max_control_line + 64;
    let mut w = World { engines, clients: Vec::new(), cfg, max_frame, now: 0 };
    let nclients = 2 + (inp.byte().unwrap_or(0) % 2) as usize;
    for k in 0..nclients {
        let e = k % workers;
        let c = w.open(e);
        w.clients.push((e, c));
    }

    let mut steps = 0;
    while let Some(op) = inp.byte() {
        steps += 1;
        if steps > 400 {
            break;
        }
        let k = (op >> 4) as usize % w.clients.len();
        let text: Option<Vec<u8>> = match op & 0x0f {
            0 => {
                let flags = inp.byte().unwrap_or(0);
                Some(
                    format!(
                        "CONNECT {{\"verbose\":{},\"pedantic\":{},\"echo\":{},\"headers\":{},\"no_responders\":{},\"protocol\":{}}}\r\n",
                        flags & 1 != 0,
                        flags & 2 != 0,
                        flags & 4 == 0,
                        flags & 8 == 0,
                        flags & 16 != 0,
                        (flags >> 5) % 3
                    )
                    .into_bytes(),
                )
            }
            1 => {
                let s = subject(&mut inp, true);
                let q = inp.byte().unwrap_or(0);
                let sid = q % 6;
                Some(match q >> 6 {
                    0 | 1 => format!("SUB {s} {sid}\r\n"),
                    2 => format!("SUB {s} q{} {sid}\r\n", q & 1),
                    _ => format!("SUB {s} q\t{sid}\r\n"),
                }
                .into_bytes())
            }
            2 => {
                let q = inp.byte().unwrap_or(0);
                Some(match q >> 6 {
                    0 => format!("UNSUB {}\r\n", q % 6),
                    _ => format!("UNSUB {} {}\r\n", q % 6, (q >> 3) & 7),
                }
                .into_bytes())
            }
            3 | 4 => {
                let hpub = op & 0x0f == 4;
                let s = subject(&mut inp, false);
                let b = inp.byte().unwrap_or(0);
                let size = if b & 0x80 != 0 { cfg.max_payload - (b & 3) as usize } else { (b & 0x3f) as usize };
                let reply = match (b >> 5) & 3 {
                    0 => String::new(),
                    1 => "_INBOX.x ".into(),
                    _ => "a ".into(),
                };
                let mut t = if hpub {
                    let h = b"NATS/1.0\r\nK: v\r\n\r\n";
                    let total = size.max(h.len());
                    let mut t = format!("HPUB {s} {reply}{} {total}\r\n", h.len()).into_bytes();
                    t.extend_from_slice(h);
                    t.resize(t.len() + total - h.len(), b'x');
                    t
                } else {
                    let mut t = format!("PUB {s} {reply}{size}\r\n").into_bytes();
                    t.resize(t.len() + size, b'p');
                    t
                };
                t.extend_from_slice(b"\r\n");
                // A repeated publish makes fan-out and slow consumers reachable.
                let times = 1 + (inp.byte().unwrap_or(0) % 16) as usize;
                Some(t.repeat(times))
            }
            5 => Some(b"PING\r\n".to_vec()),
            6 => Some(b"PONG\r\n".to_vec()),
            7 => {
                let n = inp.byte().unwrap_or(0) as usize % 48;
                Some(inp.bytes(n).to_vec())
            }
            8 => {
                // Ingest what the client wrote, cut at a chosen point.
                let cut = inp.byte().unwrap_or(255) as usize;
                let (e, c) = &mut w.clients[k];
                let buf = std::mem::take(&mut c.pending_in);
                let cut = cut.min(buf.len());
                c.slack += 16 * buf.len() + 256;
                let id = c.id;
                for part in [&buf[..cut], &buf[cut..]] {
                    w.engines[*e].ingest(id, part);
                }
                None
            }
            9 => {
                w.drain(k);
                None
            }
            10 => {
                let (e, c) = &w.clients[k];
                let b = inp.byte().unwrap_or(0) & 1 != 0;
                if w.engines[*e].set_blocked(c.id, b) {
                    // pending output: nothing to check beyond the bound
                }
                None
            }
            11 => {
                w.now += 400 * (1 + inp.byte().unwrap_or(0) as u64 % 8);
                for e in 0..w.engines.len() {
                    w.engines[e].tick(w.now);
                }
                for (_, c) in &mut w.clients {
                    c.slack += 16;
                }
                None
            }
            12 => {
                // Authorize (the control plane accepted the CONNECT, or no_auth_user).
                let b = inp.byte().unwrap_or(0);
                let perms: Option<&[u8]> = match b % 3 {
                    0 => None,
                    1 => Some(br#"{"publish":{"deny":["b.>"]},"subscribe":{"deny":["c"]}}"#),
                    _ => Some(br#"{"publish":{"allow":["a","_INBOX.>"]},"subscribe":{"allow":["a.>","a"]}}"#),
                };
                let account = if b & 4 != 0 { "A" } else { "$G" };
                let (e, c) = &mut w.clients[k];
                c.slack += 4096 + c.pending_in.len() * 16;
                let _ = w.engines[*e].authorize(c.id, account, perms);
                None
            }
            13 => {
                // The socket closed (by either side): free the slot and connect a new client in it.
                let (e, c) = &w.clients[k];
                let (e, id) = (*e, c.id);
                w.engines[e].close_conn(id);
                assert_eq!(w.engines[e].pending_bytes(id), 0, "closed slot keeps output");
                assert_eq!(w.engines[e].conn_sub_count(id), 0, "closed slot keeps subscriptions");
                w.engines[e].close_conn(id); // twice is harmless
                w.engines[e].ingest(id, b"PING\r\n"); // a stale id is ignored
                let c = w.open(e);
                w.clients[k] = (e, c);
                None
            }
            14 => {
                let (e, c) = &w.clients[k];
                w.engines[*e].close_with(c.id, None, CloseReason::ServerShutdown);
                None
            }
            _ => {
                let (e, c) = &w.clients[k];
                let _ = w.engines[*e].send_async_info(c.id, INFO);
                None
            }
        };
        if let Some(t) = text {
            let c = &mut w.clients[k].1;
            if c.pending_in.len() < 64 * 1024 {
                c.pending_in.extend_from_slice(&t);
            }
        }
        w.after_step();
        // A closing connection is closed by the control plane once its last bytes are out.
        for k in 0..w.clients.len() {
            if w.clients[k].1.closing && op & 0x80 != 0 {
                w.drain(k);
                let (e, c) = &w.clients[k];
                let (e, id) = (*e, c.id);
                w.engines[e].close_conn(id);
                assert_eq!(w.engines[e].pending_bytes(id), 0);
                let c = w.open(e);
                w.clients[k] = (e, c);
                w.after_step();
            }
        }
    }
    // Shutdown: every connection closes; nothing may be left subscribed.
    for k in 0..w.clients.len() {
        let (e, c) = &w.clients[k];
        w.engines[*e].close_conn(c.id);
    }
    assert_eq!(w.engines[0].subscription_count(), 0, "subscriptions leaked after all connections closed");
});
