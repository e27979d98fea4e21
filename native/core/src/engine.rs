//! The engine: connection table, subscriptions, routing and the dirty list.
//!
//! Data path: the control plane calls [`Engine::ingest`] once per received chunk. The connection's parser
//! walks every op in it; each PUB is matched against the sublist and appended, already framed as MSG/HMSG,
//! to every destination's outbound buffer, and each destination is put on the dirty list once. After the
//! chunk, the control plane asks for the dirty list ([`Engine::take_dirty`]) and takes each listed
//! connection's bytes ([`Engine::take_outbound`]) to write them with one socket write per connection.
//! Nothing in this path calls back into JavaScript or allocates per message once buffers have grown.
//!
//! Lifecycle decisions that the control plane must act on (a CONNECT arrived, a connection must close)
//! are queued as [`Event`]s and fetched with [`Engine::take_events`]; they are per connection, not per
//! message.
//!
//! Threading: an `Engine` is owned by one thread and owns that thread's connections. Engines of one server
//! share a [`Router`] (the subscription trie and the inboxes between workers); see `router.rs` for how a
//! message reaches a subscriber owned by another worker. The sublist and the subscription slab are kept apart
//! from the connection table so that routing can later be shared between worker engines (and hold remote
//! interest from routes and leaf nodes) without changing how a connection is parsed.

use crate::conn::{AuthState, ClientOpts, Conn, ConnCounters, ConnState, ConnectFields};
use crate::parser::{Flow, OpHandler, Parser, ParserLimits, Publish};
use crate::permissions::Permissions;
use crate::subject;
use std::sync::Arc;

use crate::imports::{Deliver, ImportTrace, ImportView};
use crate::router::{
    encode_forward, Account, ForwardReader, Router, ServiceReply, SubKey, ANSWER_GEN, CAPTURE_GEN, SERVICE_WORKER,
};
use crate::sublist::{MatchResult, Matcher};
use crate::wire_error::{
    pub_permission_violation_text, write_pub_permission_violation, write_sub_permission_violation, CloseReason, Fatal,
    WireError, TRACE_AUTO_UNSUB_EXCEEDED, TRACE_CLIENT_CLOSED, TRACE_NO_ECHO,
};
use msg_trace::MsgTrace;
use msg_trace_flow::{egress_to, TraceStart};
use trace::Tracer;

/// Limits and switches, named after nats-server's options.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    pub max_payload: usize,
    pub max_control_line: usize,
    pub max_pending: usize,
    /// 0 means unlimited.
    pub max_subscriptions: usize,
    pub ping_interval_ms: u64,
    pub ping_max: u32,
    /// False when the server runs with `no_header_support`.
    pub headers_supported: bool,
    /// Entries in the per-engine match cache; 0 disables it.
    pub match_cache: usize,
    /// Authentication is configured: every CONNECT waits for the control plane's decision, and without
    /// an earlier decision (no_auth_user) only CONNECT may come first.
    pub auth_enabled: bool,
    /// The `no_auth_user` is a password user: an op before CONNECT is taken to the control plane
    /// ([`Event::OpBeforeConnect`]) instead of being an authorization violation, as nats-server admits such a
    /// client as that user.
    pub admit_before_connect: bool,
    /// Protocol tracing (`-V`, `trace`): records go to [`Engine::take_trace`]. Off costs one test per op.
    pub trace: bool,
    /// `max_traced_msg_len`: traced payloads are cut to this many bytes; 0 = no limit.
    pub max_traced_msg_len: usize,
    /// `trace_headers`: trace, showing only messages' header blocks instead of their payloads.
    pub trace_headers: bool,
    /// Upper bound on the pending output past which a connection counts as congested and its publishers are
    /// stalled; the threshold is the smaller of this and ¾ of `max_pending` ([`EngineConfig::stall_bytes`]).
    /// nats-server stalls at ¾ of max_pending only; a lower bound keeps a backlog small enough to stay in
    /// cache and keeps a fast publisher from taking the CPU its consumers need (docs/PERFORMANCE.md).
    pub stall_cap: usize,
}

impl EngineConfig {
    /// Pending output past which a connection is congested (its publishers stall).
    pub fn stall_bytes(&self) -> usize {
        (self.max_pending / 4 * 3).min(self.stall_cap)
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_payload: 1024 * 1024,
            max_control_line: 4096,
            max_pending: 64 * 1024 * 1024,
            max_subscriptions: 0,
            ping_interval_ms: 120_000,
            ping_max: 2,
            headers_supported: true,
            match_cache: 0,
            auth_enabled: false,
            admit_before_connect: false,
            trace: false,
            max_traced_msg_len: 0,
            trace_headers: false,
            stall_cap: DEFAULT_STALL_CAP,
        }
    }
}

/// Something the control plane must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A CONNECT was accepted; carries its JSON for the control plane (client name, lang, credentials).
    Connect { conn: u32, json: Vec<u8> },
    /// An op came before any CONNECT while `admit_before_connect` is set: input is held from that op until the
    /// control plane admits the client (`authorize`) or closes it.
    OpBeforeConnect { conn: u32 },
    /// The connection must be closed once its outbound bytes (if any) are written.
    Close { conn: u32, reason: CloseReason },
}

/// Default [`EngineConfig::stall_cap`]; measured with `bench:compare` (1 KiB pub/sub, fan-out), see
/// docs/PERFORMANCE.md.
pub const DEFAULT_STALL_CAP: usize = 2 * 1024 * 1024;

/// An empty outbound buffer larger than this is shrunk back to it on the next timer tick (at most once per
/// tick per connection, so a busy connection keeps its allocation between flushes).
const OUTBOUND_KEEP_BYTES: usize = 64 * 1024;

/// `ingest` result bits.
pub const HAS_DIRTY: u32 = 1;
pub const HAS_EVENTS: u32 = 2;
/// The chunk fed a connection (here or on another worker) whose output is backing up: the control plane
/// should pause reading from the publisher briefly, as nats-server stalls a fast producer.
pub const HAS_STALL: u32 = 4;

/// One subscription. Slots are reused; `conn` and `sid` identify it to the client.
struct Subscription {
    conn: u32,
    subject: Box<[u8]>,
    queue: Option<Box<[u8]>>,
    sid: Box<[u8]>,
    /// Auto-unsubscribe after this many deliveries; 0 = never.
    max: u64,
    delivered: u64,
    /// The slot's generation when this subscription took it, part of its [`SubKey`].
    gen: u16,
    /// The router account whose trie holds it.
    account: u32,
    /// Listed in the router for direct writes by other workers (`direct.rs`).
    direct: bool,
}

/// Server-wide counters for `/varz`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineCounters {
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
    pub slow_consumers: u64,
    pub stale_connections: u64,
}

/// Everything routing touches except the parsers and the match machinery.
struct Tables {
    cfg: EngineConfig,
    conns: Vec<Option<Conn>>,
    free_conns: Vec<u32>,
    subs: Vec<Option<Subscription>>,
    free_subs: Vec<u32>,
    dirty: Vec<u32>,
    events: Vec<Event>,
    /// Subscriptions whose auto-unsubscribe count was reached during a delivery loop.
    expired: Vec<u32>,
    /// Connections the engine closed during a delivery loop; their subscriptions are removed after it.
    closed: Vec<u32>,
    counters: EngineCounters,
    now_ms: u64,
    rng: u64,
    /// This engine's index among the router's workers.
    worker: u16,
    /// Generation of each subscription slot, bumped on reuse.
    sub_gens: Vec<u16>,
    /// Connections whose pending output is past the stall threshold.
    congested: usize,
    /// What the router was last told about `congested`.
    congested_reported: bool,
    /// Set during an ingest that fed a congested destination.
    stall: bool,
    /// Protocol trace records (`engine/trace.rs`), taken by the control plane.
    trace: Tracer,
    /// In-server services ([`crate::router::Service`]) matched by the message being routed.
    service_calls: Vec<u32>,
    /// A service's reply, and that reply as one payload; reused from request to request.
    service_reply: ServiceReply,
    service_payload: Vec<u8>,
    /// Captures ([`crate::router::Capture`]) that stored something since the last `finish_loop`.
    captured: Vec<u32>,
    /// The acks of messages captured in this chunk, published by `Engine::end_captures` once the captures'
    /// stores reached the OS: (account u32, capture id u32, reply length u32, reply, ack length u32, ack)
    /// each. Reused.
    capture_acks: Vec<u8>,
    /// One capture's ack, and the subscriptions the message being routed skips because a capture stored it.
    capture_ack: Vec<u8>,
    shadowed: Vec<SubKey>,
    /// Account subject mappings (`engine/mapping.rs`).
    mapping: crate::mapping::MappingView,
    /// The message being routed is traced (`Nats-Trace-Dest`, `engine/msg_trace.rs`): deliveries add egress
    /// events to it. Set by `on_publish` for that one message only.
    msg_trace: Option<Box<MsgTrace>>,
    /// The `server` block of trace events (JSON object without `seq`/`time`), and how many this engine sent.
    trace_server: Box<str>,
    trace_seq: u64,
    /// While a stream import delivers a traced message: whether the import allows tracing past it.
    trace_import: Option<bool>,
    /// A traced message's trace while a service import that does not allow tracing carries it on.
    suspended_trace: Option<Box<MsgTrace>>,
}

pub struct Engine {
    parsers: Vec<Option<Parser>>,
    router: Arc<Router>,
    accounts: AccountViews,
    /// Scratch for lookups outside the publish path (no-responders reply lookup).
    scratch: MatchResult<SubKey>,
    fwd: Forwarding,
    /// This engine's snapshot of the account import tables (`imports.rs`).
    imports: ImportView,
    /// The inbox taken from the router, decoded in place; keeps its capacity.
    inbox: Vec<u8>,
    t: Tables,
}

/// This engine's handles on the router's accounts, each with its own match cache (a cache holds one
/// account's results, so accounts must not share one).
struct AccountViews {
    accounts: Vec<Arc<Account>>,
    matchers: Vec<Matcher<SubKey>>,
    cache_capacity: usize,
}

impl AccountViews {
    fn get(&mut self, router: &Router, id: u32) -> (&Account, &mut Matcher<SubKey>) {
        let i = id as usize;
        while self.accounts.len() <= i {
            self.accounts.push(router.account(self.accounts.len() as u32));
            self.matchers.push(Matcher::new(self.cache_capacity));
        }
        (&self.accounts[i], &mut self.matchers[i])
    }
}

/// Per-chunk state for messages bound to subscriptions owned by other workers.
struct Forwarding {
    /// Target subscriptions of the message being routed, per worker.
    targets: Vec<Vec<(u32, u16)>>,
    /// Forward records built during this chunk, per worker; posted to the router when the chunk is done.
    batches: Vec<Vec<u8>>,
    /// How many records each batch holds (small ones are tried as direct writes, `engine/direct_send.rs`).
    records: Vec<usize>,
}

fn append_num(out: &mut Vec<u8>, mut n: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// The control line of a delivery without its CRLF: `MSG <subject> <sid> [reply] <size>`, or
/// `HMSG <subject> <sid> [reply] <hdr size> <total size>` when `header_len` is set. The one place it is framed
/// (deliveries here, direct writes in `engine/direct_send.rs`).
fn write_msg_line(out: &mut Vec<u8>, subject: &[u8], sid: &[u8], reply: &[u8], header_len: Option<usize>, size: usize) {
    out.extend_from_slice(if header_len.is_some() { b"HMSG " } else { b"MSG " });
    out.extend_from_slice(subject);
    out.push(b' ');
    out.extend_from_slice(sid);
    out.push(b' ');
    if !reply.is_empty() {
        out.extend_from_slice(reply);
        out.push(b' ');
    }
    if let Some(h) = header_len {
        append_num(out, h);
        out.push(b' ');
    }
    append_num(out, size);
}

impl Tables {
    fn conn(&mut self, id: u32) -> &mut Conn {
        self.conns[id as usize].as_mut().expect("live connection slot")
    }

    fn mark_dirty(&mut self, id: u32) {
        let c = self.conns[id as usize].as_mut().expect("live connection slot");
        if !c.dirty {
            c.dirty = true;
            if let Some(g) = &c.gate {
                g.owner_pending();
            }
            self.dirty.push(id);
        }
    }

    fn send(&mut self, id: u32, bytes: &[u8]) {
        self.conn(id).out.extend_from_slice(bytes);
        self.mark_dirty_or_cut(id);
    }

    fn send_err(&mut self, id: u32, e: WireError) {
        let before = self.conn(id).out.len();
        e.write_to(&mut self.conn(id).out);
        self.trace_err_since(id, before);
        self.mark_dirty_or_cut(id);
    }

    /// After a protocol reply (PONG, +OK, -ERR, INFO) was queued: like nats-server, every queued byte counts
    /// toward max_pending, not only messages, so a client that provokes replies and never reads is cut too.
    fn mark_dirty_or_cut(&mut self, id: u32) {
        let c = self.conns[id as usize].as_ref().expect("live connection slot");
        if c.state == ConnState::Open && c.pending() > self.cfg.max_pending {
            self.counters.slow_consumers += 1;
            self.close(id, Fatal::SLOW_CONSUMER);
        } else {
            self.mark_dirty(id);
        }
    }

    fn send_ok_if_verbose(&mut self, id: u32) {
        if self.conn(id).opts.verbose {
            self.send(id, b"+OK\r\n");
            if self.trace.on() {
                self.trace.op_out(id, "OK", None);
            }
        }
    }

    /// Trace the `-ERR` line written into `id`'s outbound buffer from `before` on (when tracing).
    fn trace_err_since(&mut self, id: u32, before: usize) {
        if self.trace.on() {
            let c = self.conns[id as usize].as_ref().expect("live connection slot");
            self.trace.err_out(id, &c.out[before..]);
        }
    }

    /// Mark a connection closed by the engine: an optional last `-ERR` stays queued for the control plane to
    /// flush; a slow consumer's backlog is dropped, as nats-server drops it.
    fn close(&mut self, id: u32, fatal: Fatal) {
        let c = self.conns[id as usize].as_mut().expect("live connection slot");
        if c.state != ConnState::Open {
            return;
        }
        c.state = ConnState::Closing;
        if let Some(g) = c.gate.take() {
            g.close();
        }
        if fatal.reason == CloseReason::SlowConsumerPendingBytes {
            c.out = Vec::new();
            c.out_sent = 0;
        }
        if let Some(e) = fatal.error {
            let before = c.out.len();
            e.write_to(&mut c.out);
            if self.trace.on() {
                self.trace.err_out(id, &c.out[before..]);
            }
        }
        if c.congested {
            c.congested = false;
            self.congested -= 1;
        }
        self.mark_dirty(id);
        self.closed.push(id);
        self.events.push(Event::Close { conn: id, reason: fatal.reason });
    }

    /// Frame one message into a subscriber's outbound buffer. Returns false if nothing was delivered.
    /// `from` is the publishing connection when it is local (for echo), `u32::MAX` otherwise.
    fn deliver(&mut self, sub_slot: u32, gen: u16, from: u32, m: &Publish<'_>) -> bool {
        let Some(sub) = self.subs[sub_slot as usize].as_mut() else {
            return false;
        };
        if sub.gen != gen {
            return false;
        }
        let to = sub.conn;
        let Some(c) = self.conns[to as usize].as_mut() else {
            return false;
        };
        let mut trace = self.msg_trace.as_mut();
        if let (Some(t), Some(allow)) = (trace.as_mut(), self.trace_import) {
            // A stream import's subscription: nats-server's `se` event; tracing stops here unless the import
            // allows it (and a trace-only message stops altogether).
            t.add_stream_export(c.account, m.subject);
            if !allow {
                if t.only {
                    return true;
                }
                trace = None;
            }
        }
        if c.state != ConnState::Open || (to == from && !c.opts.echo) {
            if let Some(t) = trace.filter(|_| !c.internal) {
                let why = if c.state == ConnState::Open { TRACE_NO_ECHO } else { TRACE_CLIENT_CLOSED };
                t.add_egress(egress_to(c, sub), why);
            }
            return false;
        }
        if sub.max > 0 && sub.delivered >= sub.max {
            if let Some(t) = trace.filter(|_| !c.internal) {
                t.add_egress(egress_to(c, sub), TRACE_AUTO_UNSUB_EXCEEDED);
            }
            return false;
        }
        if let Some(t) = trace {
            // The server's own subscriptions (JetStream, services) get no egress event, as nats-server's
            // internal callbacks; trace-only delivers to nobody (so a stream does not store the message), yet
            // counts as delivered, as in nats-server (no no-responders status).
            if !c.internal {
                t.add_egress(egress_to(c, sub), "");
            }
            if t.only {
                return true;
            }
        }
        sub.delivered += 1;
        if sub.max > 0 && sub.delivered >= sub.max {
            self.expired.push(sub_slot);
        }
        // The server's own subscriptions (a stream storing it) get a traced message with its tracing
        // switched off, as nats-server stores it. Only header blocks naming a trace destination are copied.
        let disabled = if c.internal {
            m.header_len.and_then(|h| msg_trace::trace_disabled(&m.body[..h], &m.body[h..]))
        } else {
            None
        };
        let rewritten = disabled.as_ref().map(|(body, h)| Publish {
            subject: m.subject,
            reply: m.reply,
            header_len: Some(*h),
            body,
        });
        let m = rewritten.as_ref().unwrap_or(m);
        // A client that did not ask for headers gets the payload alone, as nats-server strips them.
        let (hdr, body) = match m.header_len {
            Some(h) if c.opts.headers => (Some(h), m.body),
            Some(h) => (None, &m.body[h..]),
            None => (None, m.body),
        };
        let out = &mut c.out;
        let before = out.len();
        write_msg_line(out, m.subject, &sub.sid, m.reply, hdr, body.len());
        if self.trace.on() {
            self.trace.msg_out(to, &out[before..], body, hdr);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
        let added = (out.len() - before) as u64;
        c.counters.out_msgs += 1;
        c.counters.out_bytes += body.len() as u64;
        if !m.reply.is_empty() {
            if let Some(p) = c.perms.as_mut().filter(|p| p.tracks_replies()) {
                p.note_reply(m.reply, self.now_ms);
            }
        }
        let over = c.pending() > self.cfg.max_pending && !c.internal;
        if !over && !c.internal && c.pending() > self.cfg.stall_bytes() {
            if !c.congested {
                c.congested = true;
                self.congested += 1;
            }
            self.stall = true;
        }
        self.counters.out_msgs += 1;
        self.counters.out_bytes += body.len() as u64;
        let _ = added;
        if over {
            self.counters.slow_consumers += 1;
            self.close(to, Fatal::SLOW_CONSUMER);
        } else {
            self.mark_dirty(to);
        }
        true
    }

    fn key(&self, slot: u32, gen: u16) -> SubKey {
        SubKey { worker: self.worker, gen, slot }
    }

    /// Remove one subscription from the trie, its connection's sid map and the slab.
    fn remove_subscription(&mut self, router: &Router, slot: u32) {
        let Some(sub) = self.subs[slot as usize].take() else {
            return;
        };
        if sub.direct {
            router.direct_subs(self.worker as usize).remove(slot);
        }
        router.account(sub.account).sublist_mut().remove(&sub.subject, sub.queue.as_deref(), self.key(slot, sub.gen));
        if let Some(Some(c)) = self.conns.get_mut(sub.conn as usize) {
            c.subs.remove(&sub.sid);
        }
        if self.trace.on() {
            let closing = matches!(self.conns.get(sub.conn as usize), Some(Some(c)) if c.state != ConnState::Open);
            if closing {
                self.trace.delsub_after_close(sub.conn, &sub.sid);
            } else {
                self.trace.delsub(sub.conn, &sub.sid);
            }
        }
        self.free_subs.push(slot);
    }

    /// List a subscription for direct writes by other workers if it and its connection qualify: the connection
    /// has a gate (plain TCP, after CONNECT), no permissions (they track replies and filter deliveries), takes
    /// headers; the subscription has no auto-unsubscribe count.
    fn register_direct(&mut self, router: &Router, slot: u32) {
        let Some(sub) = self.subs[slot as usize].as_mut() else { return };
        let Some(Some(c)) = self.conns.get(sub.conn as usize) else { return };
        let Some(gate) = c.gate.as_ref() else { return };
        if sub.direct || sub.max > 0 || c.perms.is_some() || !c.opts.headers || c.internal || !c.is_open() {
            return;
        }
        sub.direct = true;
        let entry = crate::direct::DirectSub { gen: sub.gen, sid: sub.sid.clone(), gate: gate.clone() };
        router.direct_subs(self.worker as usize).insert(slot, entry);
    }

    /// A message from another worker reached this subscription: open its connection's gate if it may have one
    /// and has none yet, within the router's descriptor budget, and list its subscriptions for direct writes.
    fn open_gate_for(&mut self, router: &Router, slot: u32) {
        let Some(conn) = self.subs[slot as usize].as_ref().map(|s| s.conn) else { return };
        let Some(Some(c)) = self.conns.get_mut(conn as usize) else { return };
        if c.direct_fd < 0 || c.gate.is_some() || !c.is_open() {
            return;
        }
        let fd = std::mem::replace(&mut c.direct_fd, -1);
        // The message just framed is queued: the gate starts busy until the owner has written it.
        let Some(gate) = router.open_gate(fd, true) else { return };
        c.gate = Some(gate);
        let slots: Vec<u32> = c.subs.values().copied().collect();
        for s in slots {
            self.register_direct(router, s);
        }
    }

    fn unregister_direct(&mut self, router: &Router, slot: u32) {
        if let Some(sub) = self.subs[slot as usize].as_mut().filter(|s| s.direct) {
            sub.direct = false;
            router.direct_subs(self.worker as usize).remove(slot);
        }
    }

    /// A flush note from a direct writer: the subscription's connection has bytes to send.
    fn mark_sub_conn_dirty(&mut self, slot: u32, gen: u16) {
        let conn = match self.subs.get(slot as usize) {
            Some(Some(sub)) if sub.gen == gen => sub.conn,
            _ => return,
        };
        if self.conns.get(conn as usize).is_some_and(|c| c.as_ref().is_some_and(Conn::is_open)) {
            self.mark_dirty(conn);
        }
    }

    /// Remove every subscription of a connection.
    fn remove_subscriptions_of(&mut self, router: &Router, id: u32) {
        let Some(Some(c)) = self.conns.get_mut(id as usize) else {
            return;
        };
        let slots: Vec<u32> = c.subs.values().copied().collect();
        for slot in slots {
            self.remove_subscription(router, slot);
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: queue member choice needs spread, not secrecy.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Engine {
    /// A standalone engine: one worker with a router of its own.
    pub fn new(cfg: EngineConfig, seed: u64) -> Engine {
        Engine::with_router(cfg, seed, Router::new(1), 0)
    }

    /// The engine of worker `worker` among those sharing `router`.
    pub fn with_router(cfg: EngineConfig, seed: u64, router: Arc<Router>, worker: usize) -> Engine {
        let workers = router.workers();
        assert!(worker < workers, "worker index out of range");
        Engine {
            parsers: Vec::new(),
            router,
            accounts: AccountViews { accounts: Vec::new(), matchers: Vec::new(), cache_capacity: cfg.match_cache },
            scratch: MatchResult::default(),
            fwd: Forwarding {
                targets: vec![Vec::new(); workers],
                batches: vec![Vec::new(); workers],
                records: vec![0; workers],
            },
            imports: ImportView::default(),
            inbox: Vec::new(),
            t: Tables {
                cfg,
                conns: Vec::new(),
                free_conns: Vec::new(),
                subs: Vec::new(),
                free_subs: Vec::new(),
                dirty: Vec::new(),
                events: Vec::new(),
                expired: Vec::new(),
                closed: Vec::new(),
                counters: EngineCounters::default(),
                now_ms: 0,
                rng: seed | 1,
                worker: worker as u16,
                sub_gens: Vec::new(),
                congested: 0,
                congested_reported: false,
                service_calls: Vec::new(),
                service_reply: ServiceReply::default(),
                service_payload: Vec::new(),
                captured: Vec::new(),
                capture_acks: Vec::new(),
                capture_ack: Vec::new(),
                shadowed: Vec::new(),
                mapping: crate::mapping::MappingView::new(seed.rotate_left(29)),
                msg_trace: None,
                trace_server: "{}".into(),
                trace_seq: 0,
                trace_import: None,
                suspended_trace: None,
                stall: false,
                trace: Tracer::new(&cfg),
            },
        }
    }

    /// The router this engine routes through (shared with the other workers).
    pub fn router(&self) -> &Arc<Router> {
        &self.router
    }

    pub fn config(&self) -> &EngineConfig {
        &self.t.cfg
    }

    /// Apply changed limits (reload). Existing connections pick up the new parser limits.
    pub fn set_config(&mut self, cfg: EngineConfig) {
        self.t.cfg = cfg;
        self.t.trace.configure(&cfg);
        for p in self.parsers.iter_mut().flatten() {
            p.limits = limits_for(&cfg);
        }
    }

    /// Allocate a connection slot and queue its INFO. `connect_info` is the INFO to send after the first PONG
    /// that follows a protocol-1 CONNECT, as nats-server does. Slots are reused after `close_conn`.
    pub fn open_conn(&mut self, info: &[u8], connect_info: Option<&[u8]>) -> u32 {
        let id = self.open_slot(connect_info.map(Into::into));
        self.t.conn(id).cid = msg_trace::client_id_of(info);
        self.t.send(id, info);
        id
    }

    /// The control plane accepted the client: it belongs to `account` with `permissions` (JSON, see
    /// `permissions.rs`; `None` allows everything). Input held since its CONNECT is parsed now. Also used
    /// before any CONNECT to admit a client as the no_auth_user. Returns `ingest`'s result bits.
    pub fn authorize(&mut self, id: u32, account: &str, permissions: Option<&[u8]>) -> Result<u32, String> {
        let perms = permissions.map(Permissions::from_json).transpose()?.map(Box::new);
        let account = self.router.account_id(account);
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else { return Ok(self.flags()) };
        if !c.is_open() {
            return Ok(self.flags());
        }
        if c.account != account && !c.subs.is_empty() {
            self.remove_all_subs(id);
        }
        let c = self.t.conn(id);
        c.account = account;
        c.perms = perms;
        // A client admitted on an op before CONNECT sent no CONNECT to acknowledge.
        let was_waiting = c.auth == AuthState::AwaitingDecision && c.connected;
        c.auth = AuthState::Authorized;
        if was_waiting {
            self.t.send_ok_if_verbose(id);
        }
        let held = std::mem::take(&mut self.t.conn(id).held);
        if held.is_empty() {
            return Ok(self.flags());
        }
        Ok(self.ingest(id, &held))
    }

    fn open_slot(&mut self, connect_info: Option<Box<[u8]>>) -> u32 {
        let auth = if self.t.cfg.auth_enabled { AuthState::AwaitingConnect } else { AuthState::Authorized };
        let conn = Conn::new(self.t.now_ms, self.t.cfg.ping_interval_ms, connect_info, auth);
        let parser = Parser::new(limits_for(&self.t.cfg));
        match self.t.free_conns.pop() {
            Some(id) => {
                self.t.conns[id as usize] = Some(conn);
                self.parsers[id as usize] = Some(parser);
                id
            }
            None => {
                self.t.conns.push(Some(conn));
                self.parsers.push(Some(parser));
                (self.t.conns.len() - 1) as u32
            }
        }
    }

    /// Free a connection slot: its subscriptions go away and its buffers are dropped. Called by the control
    /// plane once the socket is closed, whoever decided to close it.
    pub fn close_conn(&mut self, id: u32) {
        if self.t.conns.get(id as usize).is_none_or(|c| c.is_none()) {
            return;
        }
        self.remove_all_subs(id);
        if let Some(g) = self.t.conns[id as usize].as_mut().and_then(|c| c.gate.take()) {
            g.close();
        }
        if self.t.trace.on() {
            self.t.trace.release(id);
        }
        if self.t.conns[id as usize].as_ref().is_some_and(|c| c.congested) {
            self.t.congested -= 1;
            self.report_congestion();
        }
        self.t.conns[id as usize] = None;
        self.parsers[id as usize] = None;
        self.t.free_conns.push(id);
    }

    /// Start closing a connection on the control plane's behalf (auth timeout, lame duck, shutdown...),
    /// optionally with a last `-ERR`.
    pub fn close_with(&mut self, id: u32, error: Option<WireError>, reason: CloseReason) {
        if self.t.conns.get(id as usize).is_some_and(|c| c.is_some()) {
            self.t.close(id, Fatal::new(error, reason));
            self.finish_loop();
        }
    }

    /// Queue an asynchronous INFO (lame duck) for a connection, if it takes them: nats-server sends these only
    /// to protocol-1 clients that already received their post-CONNECT INFO. Returns whether it was queued.
    pub fn send_async_info(&mut self, id: u32, info: &[u8]) -> bool {
        match self.t.conns.get(id as usize) {
            Some(Some(c)) if c.is_open() && c.async_info_ok => {
                self.t.send(id, info);
                true
            }
            _ => false,
        }
    }

    /// Parse and route one received chunk. Returns [`HAS_DIRTY`] | [`HAS_EVENTS`] bits.
    pub fn ingest(&mut self, id: u32, chunk: &[u8]) -> u32 {
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else {
            return self.flags();
        };
        if !c.is_open() {
            return self.flags();
        }
        if c.auth == AuthState::AwaitingDecision {
            // Bounded by the control plane, which stops reading the socket while a decision is pending.
            c.held.extend_from_slice(chunk);
            return self.flags();
        }
        self.t.stall = false;
        let mut parser = self.parsers[id as usize].take().expect("parser for live connection");
        let mut ctx = self.ctx(id);
        match parser.parse(chunk, &mut ctx) {
            Ok(n) if n < chunk.len() => self.t.conn(id).held.extend_from_slice(&chunk[n..]),
            Ok(_) => {}
            Err(fatal) => self.t.close(id, fatal),
        }
        self.parsers[id as usize] = Some(parser);
        self.finish_loop();
        self.flags()
    }

    /// The op handler for connection `id`: everything routing touches, borrowed for one chunk or batch.
    fn ctx(&mut self, id: u32) -> Ctx<'_> {
        Ctx {
            t: &mut self.t,
            router: &self.router,
            accounts: &mut self.accounts,
            scratch: &mut self.scratch,
            fwd: &mut self.fwd,
            imports: &mut self.imports,
            id,
            route: &[],
        }
    }

    fn flags(&self) -> u32 {
        let mut f = 0;
        if !self.t.dirty.is_empty() {
            f |= HAS_DIRTY;
        }
        if !self.t.events.is_empty() {
            f |= HAS_EVENTS;
        }
        if self.t.stall {
            f |= HAS_STALL;
        }
        f
    }

    /// After a chunk (or a tick, or an inbox): apply removals deferred while a match result was borrowed,
    /// and hand the forward records built meanwhile to the workers they are for.
    fn finish_loop(&mut self) {
        // Before any forward record (or direct write) can carry a captured message's ack out.
        while !self.t.captured.is_empty() {
            self.end_captures();
        }
        while let Some(slot) = self.t.expired.pop() {
            self.t.remove_subscription(&self.router, slot);
        }
        while let Some(id) = self.t.closed.pop() {
            self.remove_all_subs(id);
        }
        self.post_forwards();
        self.report_congestion();
    }

    fn report_congestion(&mut self) {
        let now = self.t.congested > 0;
        if now != self.t.congested_reported {
            self.t.congested_reported = now;
            self.router.set_congested(self.t.worker as usize, now);
        }
    }

    fn remove_all_subs(&mut self, id: u32) {
        self.t.remove_subscriptions_of(&self.router, id);
    }

    /// Deliver the messages other workers forwarded to this one's subscriptions. Called by the control plane
    /// when the router wakes this worker. Returns the same bits as `ingest`.
    pub fn drain_inbox(&mut self) -> u32 {
        let worker = self.t.worker as usize;
        let mut inbox = std::mem::take(&mut self.inbox);
        let taken = self.router.take_inbox(worker, &mut inbox);
        for rec in ForwardReader::new(&inbox) {
            if rec.subject.is_empty() && rec.reply == msg_trace::TRACE_RECORD {
                self.continue_trace(rec.body);
                continue;
            }
            if rec.subject.is_empty() {
                // A flush note: a direct write to this subscription's connection left bytes to send.
                for (slot, gen) in rec.targets() {
                    self.t.mark_sub_conn_dirty(slot, gen);
                }
                continue;
            }
            let m = Publish { subject: rec.subject, reply: rec.reply, header_len: rec.header_len, body: rec.body };
            for (slot, gen) in rec.targets() {
                if self.t.deliver(slot, gen, u32::MAX, &m) {
                    self.t.open_gate_for(&self.router, slot);
                }
            }
        }
        inbox.clear();
        self.inbox = inbox;
        self.router.mark_drained(worker, taken);
        self.finish_loop();
        self.flags()
    }

    /// Write up to `ids.len()` dirty, unblocked connection ids into `ids`; returns how many. Connections that
    /// are blocked stay dirty until [`Engine::set_blocked`] unblocks them.
    pub fn take_dirty(&mut self, ids: &mut [u32]) -> usize {
        let mut n = 0;
        let mut kept = 0;
        let mut i = 0;
        while i < self.t.dirty.len() {
            let id = self.t.dirty[i];
            i += 1;
            let Some(Some(c)) = self.t.conns.get_mut(id as usize) else {
                continue;
            };
            if c.blocked || n == ids.len() {
                self.t.dirty[kept] = id;
                kept += 1;
                continue;
            }
            c.dirty = false;
            if let Some(spill) = c.gate.as_ref().and_then(|g| g.take_spill()) {
                // The rest of a partial direct write goes out before anything the owner queued.
                let mut out = spill;
                out.extend_from_slice(&c.out[c.out_sent..]);
                c.out = out;
                c.out_sent = 0;
            }
            ids[n] = id;
            n += 1;
        }
        self.t.dirty.truncate(kept);
        n
    }

    /// The bytes waiting for a connection, to be copied out by the caller and then released with
    /// [`Engine::consume_outbound`]. Copying lets the engine keep reusing the buffer's allocation.
    pub fn outbound(&self, id: u32) -> &[u8] {
        match self.t.conns.get(id as usize) {
            Some(Some(c)) => &c.out[c.out_sent..],
            _ => &[],
        }
    }

    /// Forget the bytes returned by [`Engine::outbound`], keeping the allocation unless a burst made it large.
    pub fn consume_outbound(&mut self, id: u32) {
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else { return };
        // The allocation is kept for the next turn: shrinking here made a busy consumer of large messages
        // re-grow (mmap, page faults) and free (munmap) its buffer on every flush. Idle ones shrink in `tick`.
        c.out.clear();
        c.out_sent = 0;
        if !c.blocked {
            if let Some(g) = &c.gate {
                g.owner_idle();
            }
        }
        if c.congested {
            c.congested = false;
            self.t.congested -= 1;
            self.report_congestion();
        }
    }

    /// The first `n` pending bytes of a connection were written by the caller (a partial direct write): drop
    /// them, keeping the rest in order for the next write.
    pub fn consume_outbound_prefix(&mut self, id: u32, n: usize) {
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else { return };
        if n >= c.pending() {
            self.consume_outbound(id);
        } else {
            // Remember what was sent instead of moving the rest to the front on every partial write (a large
            // backlog would be copied once per write); compact only once the sent part is half the buffer.
            c.out_sent += n;
            if c.out_sent >= c.out.len() / 2 {
                c.out.drain(..c.out_sent);
                c.out_sent = 0;
            }
        }
    }

    /// Hand over a connection's pending bytes as an owned Vec (tests and tools; the binding copies instead).
    pub fn take_outbound(&mut self, id: u32) -> Vec<u8> {
        let bytes = self.outbound(id).to_vec();
        self.consume_outbound(id);
        bytes
    }

    /// Record socket backpressure. Returns true if the connection has bytes waiting (so the caller should
    /// schedule a flush after unblocking).
    pub fn set_blocked(&mut self, id: u32, blocked: bool) -> bool {
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else {
            return false;
        };
        c.blocked = blocked;
        let pending = c.pending() > 0;
        if let Some(g) = &c.gate {
            // Bytes handed to Node keep the connection busy for direct writers until they are written.
            if blocked {
                g.owner_pending();
            } else if !pending {
                g.owner_idle();
            }
        }
        if !blocked && pending {
            self.t.mark_dirty(id);
        }
        pending
    }

    /// Let other workers write to connection `id`'s socket `fd` directly while it is idle (`direct.rs`). For
    /// plain TCP connections after CONNECT, when nothing is queued for them in Node. Off while tracing (a
    /// direct write would not be traced). The gate itself (a second descriptor) is opened when another worker
    /// first forwards a message to the connection. Returns whether it was enabled.
    pub fn enable_direct(&mut self, id: u32, fd: i32) -> bool {
        if self.t.cfg.trace || fd < 0 || self.router.workers() < 2 {
            return false;
        }
        let Some(Some(c)) = self.t.conns.get_mut(id as usize) else { return false };
        if !c.is_open() || c.internal || c.gate.is_some() {
            return false;
        }
        c.direct_fd = fd;
        true
    }

    /// Whether some connection, on any worker, is congested: a stalled publisher stays paused while it is.
    pub fn congested(&self) -> bool {
        self.router.any_congested(self.t.cfg.stall_bytes())
    }

    /// Bytes queued for a connection and not yet taken.
    pub fn pending_bytes(&self, id: u32) -> usize {
        match self.t.conns.get(id as usize) {
            Some(Some(c)) => c.pending(),
            _ => 0,
        }
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.t.events)
    }

    /// Protocol trace records since the last call (`<slot> <text>\n` each; see `engine/trace.rs`).
    pub fn take_trace(&mut self) -> Vec<u8> {
        self.t.trace.take()
    }

    /// Advance the engine clock and run the ping timers of every connection: send PING, or close a
    /// connection that left more than `ping_max` PINGs unanswered. One call per timer tick for all
    /// connections. Returns the same bits as `ingest`.
    pub fn tick(&mut self, now_ms: u64) -> u32 {
        self.t.now_ms = now_ms;
        self.router.imports().sweep(now_ms);
        let interval = self.t.cfg.ping_interval_ms.max(1);
        for id in 0..self.t.conns.len() as u32 {
            let Some(Some(c)) = self.t.conns.get_mut(id as usize) else {
                continue;
            };
            if c.out.is_empty() && c.out.capacity() > OUTBOUND_KEEP_BYTES {
                c.out.shrink_to(OUTBOUND_KEEP_BYTES);
            }
            if !c.is_open() || c.internal || now_ms < c.next_ping_ms {
                continue;
            }
            c.next_ping_ms = now_ms + interval;
            // Recent client activity proves it alive, once a round trip has been measured: nats-server then
            // delays the PING. Activity does not reset unanswered PINGs; only a PONG does.
            if c.rtt_known && now_ms.saturating_sub(c.last_activity_ms) < interval {
                continue;
            }
            if c.pings_out + 1 > self.t.cfg.ping_max {
                self.t.counters.stale_connections += 1;
                self.t.close(id, Fatal::STALE);
                continue;
            }
            c.pings_out += 1;
            self.t.send(id, b"PING\r\n");
            if self.t.trace.on() {
                self.t.trace.op_out(id, "PING", None);
            }
        }
        self.finish_loop();
        self.flags()
    }

    /// Set the engine clock without running timers (tests and startup).
    pub fn set_now(&mut self, now_ms: u64) {
        self.t.now_ms = now_ms;
    }

    pub fn counters(&self) -> EngineCounters {
        self.t.counters
    }

    pub fn conn_counters(&self, id: u32) -> Option<ConnCounters> {
        self.t.conns.get(id as usize)?.as_ref().map(|c| {
            let mut counters = c.counters;
            if let Some((msgs, bytes)) = c.gate.as_ref().map(|g| g.counts()) {
                counters.out_msgs += msgs;
                counters.out_bytes += bytes;
            }
            counters
        })
    }

    pub fn conn_sub_count(&self, id: u32) -> usize {
        self.t.conns.get(id as usize).and_then(|c| c.as_ref()).map_or(0, |c| c.subs.len())
    }

    pub fn conn_opts(&self, id: u32) -> Option<ClientOpts> {
        self.t.conns.get(id as usize)?.as_ref().map(|c| c.opts)
    }

    pub fn subscription_count(&self) -> usize {
        self.router.subscription_count()
    }
}

fn limits_for(cfg: &EngineConfig) -> ParserLimits {
    ParserLimits { max_control_line: cfg.max_control_line, max_payload: cfg.max_payload }
}

/// The handler a parser drives while one connection's chunk is ingested.
struct Ctx<'e> {
    t: &'e mut Tables,
    router: &'e Router,
    accounts: &'e mut AccountViews,
    scratch: &'e mut MatchResult<SubKey>,
    fwd: &'e mut Forwarding,
    imports: &'e mut ImportView,
    id: u32,
    /// The subject to route by when it is not the message's own (internal deliveries, engine/internal.rs).
    route: &'e [u8],
}

impl Ctx<'_> {
    fn opts(&mut self) -> ClientOpts {
        self.t.conn(self.id).opts
    }

    /// Record client activity (PUB, SUB, UNSUB, PING) for the ping timer.
    fn touch(&mut self) {
        let now = self.t.now_ms;
        self.t.conn(self.id).last_activity_ms = now;
    }

    fn remove_all_subs(&mut self) {
        self.t.remove_subscriptions_of(self.router, self.id);
    }

    /// nats-server's no-responders reply: the publisher's own plain subscription that matches the reply
    /// subject, in match order, receives a 503 status message.
    fn no_responders(&mut self, subject: &[u8], reply: &[u8]) {
        let account = self.t.conn(self.id).account;
        let (acc, _) = self.accounts.get(self.router, account);
        acc.sublist().match_into(reply, self.scratch);
        let id = self.id;
        let me = self.t.worker;
        let found = self.scratch.plain.iter().copied().find(|k| {
            k.worker == me
                && self.t.subs[k.slot as usize].as_ref().is_some_and(|sub| sub.conn == id && sub.gen == k.gen)
        });
        let Some(SubKey { slot, .. }) = found else { return };
        let sid = self.t.subs[slot as usize].as_ref().map(|s| s.sid.clone()).unwrap_or_default();
        let hdr_len = 32 + subject.len();
        let c = self.t.conn(id);
        let out = &mut c.out;
        out.extend_from_slice(b"HMSG ");
        out.extend_from_slice(reply);
        out.push(b' ');
        out.extend_from_slice(&sid);
        out.push(b' ');
        append_num(out, hdr_len);
        out.push(b' ');
        append_num(out, hdr_len);
        out.extend_from_slice(b"\r\nNATS/1.0 503\r\nNats-Subject: ");
        out.extend_from_slice(subject);
        out.extend_from_slice(b"\r\n\r\n\r\n");
        self.t.mark_dirty_or_cut(id);
    }
}

impl Ctx<'_> {
    /// A reply queued by an earlier op of this chunk may have cut the connection as a slow consumer; the rest of
    /// its input is then dropped, as nats-server stops reading a closed client.
    fn ensure_open(&mut self) -> Result<(), Fatal> {
        if self.t.conn(self.id).is_open() {
            Ok(())
        } else {
            Err(Fatal::SLOW_CONSUMER)
        }
    }
}

impl Deliver for Ctx<'_> {
    /// Match `m` in `account`'s trie and deliver it to this worker's subscribers; subscribers of other
    /// workers get a forward record in this chunk's batch for their worker.
    fn fan_out(&mut self, account: u32, m: &Publish<'_>) -> bool {
        // The server's internal deliveries are routed by a deliver subject and framed with the stored one.
        let route = if self.route.is_empty() { m.subject } else { self.route };
        let result = {
            let (acc, matcher) = self.accounts.get(self.router, account);
            let sublist = acc.sublist();
            matcher.matches(&sublist, route)
        };
        let me = self.t.worker;
        let mut delivered = false;
        let mut forwarded = false;
        // Captures first: a message a stream stores here must not also reach the subscriptions it shadows.
        self.t.shadowed.clear();
        for k in &result.plain {
            if k.worker == SERVICE_WORKER && k.gen == CAPTURE_GEN {
                if let Some(t) = self.t.msg_trace.as_mut() {
                    // A stream's subjects: the trace's `js` event. Trace-only stores nothing.
                    if let Some(entry) = self.router.capture(k.slot) {
                        t.add_jetstream(entry.capture.stream(), m.subject);
                    }
                    if t.only {
                        delivered = true;
                        continue;
                    }
                }
                // The server's own publishes (routed by another subject) go to the control plane as before.
                delivered |= services::capture(self.router, self.t, account, k.slot, m, self.route.is_empty());
            }
        }
        for k in &result.plain {
            if !self.t.shadowed.is_empty() && self.t.shadowed.contains(k) {
                continue;
            }
            if k.worker == me {
                delivered |= self.t.deliver(k.slot, k.gen, self.id, m);
            } else if k.worker == SERVICE_WORKER {
                // A trace-only message asks no in-server service.
                if k.gen == ANSWER_GEN && !self.t.msg_trace.as_ref().is_some_and(|t| t.only) {
                    self.t.service_calls.push(k.slot);
                    delivered = true;
                }
            } else {
                forwarded = true;
                if self.t.msg_trace.is_some() && !self.t.trace_forward(*k, m.subject) {
                    continue;
                }
                self.fwd.targets[k.worker as usize].push((k.slot, k.gen));
            }
        }
        for group in &result.queues {
            if group.is_empty() {
                continue;
            }
            // Start at a random member and take the first that can receive it. A member on another worker
            // is taken as able to: that worker delivers it.
            let start = (self.t.next_random() % group.len() as u64) as usize;
            for n in 0..group.len() {
                let k = group[(start + n) % group.len()];
                if k.worker != me {
                    forwarded = true;
                    if self.t.msg_trace.is_none() || self.t.trace_forward(k, m.subject) {
                        self.fwd.targets[k.worker as usize].push((k.slot, k.gen));
                    }
                    break;
                }
                if self.t.deliver(k.slot, k.gen, self.id, m) {
                    delivered = true;
                    break;
                }
            }
        }
        if forwarded {
            delivered = true;
            for (worker, targets) in self.fwd.targets.iter_mut().enumerate() {
                if !targets.is_empty() {
                    if self.router.should_stall(worker, self.t.cfg.stall_bytes()) {
                        self.t.stall = true;
                    }
                    encode_forward(&mut self.fwd.batches[worker], m.subject, m.reply, m.header_len, m.body, targets);
                    self.fwd.records[worker] += 1;
                    targets.clear();
                }
            }
        }
        if !self.t.service_calls.is_empty() {
            self.answer_services(account, route, m);
        }
        delivered
    }

    fn now_ms(&self) -> u64 {
        self.t.now_ms
    }

    fn map_subject(&mut self, account: u32, subject: &[u8], out: &mut Vec<u8>) -> bool {
        self.map_service_request(account, subject, out)
    }

    fn fan_out_imported(&mut self, importer: u32, m: &Publish<'_>, allow_trace: bool) -> bool {
        if self.t.msg_trace.is_none() {
            return self.fan_out(importer, m);
        }
        self.fan_out_imported_traced(importer, m, allow_trace)
    }

    fn trace_service_import(&mut self, exporter: u32, from: &[u8], to: &[u8], allow_trace: bool) -> ImportTrace {
        self.trace_service(exporter, from, to, allow_trace)
    }

    fn resume_trace(&mut self) {
        if let Some(t) = self.t.suspended_trace.take() {
            self.t.msg_trace = Some(t);
        }
    }
}

impl OpHandler for Ctx<'_> {
    fn on_connect(&mut self, json: &[u8]) -> Result<Flow, Fatal> {
        self.ensure_open()?;
        let fields: ConnectFields = serde_json::from_slice(json).map_err(|_| Fatal::BAD_ARGS)?;
        let headers_supported = self.t.cfg.headers_supported;
        if self.t.conn(self.id).connected {
            // A repeated CONNECT starts the session over: nats-server drops every existing subscription.
            self.remove_all_subs();
        }
        let now = self.t.now_ms;
        // After CONNECT the first PING comes sooner: min(ping_interval, 2s) plus up to 20% jitter.
        let first = self.t.cfg.ping_interval_ms.min(2000);
        let jitter = if first >= 5 { self.t.next_random() % (first / 5) } else { 0 };
        let c = self.t.conn(self.id);
        c.next_ping_ms = now + first + jitter;
        c.opts.merge(&fields);
        c.name = fields.name.as_deref().unwrap_or_default().into();
        if !headers_supported {
            c.opts.headers = false;
        }
        let opts = c.opts;
        if opts.protocol < 0 || opts.protocol > 1 {
            return Err(Fatal::BAD_PROTOCOL);
        }
        if opts.no_responders && !opts.headers {
            return Err(Fatal::NO_RESPONDERS_NEEDS_HEADERS);
        }
        c.connected = true;
        self.t.events.push(Event::Connect { conn: self.id, json: json.to_vec() });
        if self.t.cfg.auth_enabled {
            // The control plane authenticates (maybe off-thread); input waits, and +OK comes with the verdict.
            self.t.conn(self.id).auth = AuthState::AwaitingDecision;
            return Ok(Flow::Pause);
        }
        self.t.send_ok_if_verbose(self.id);
        Ok(Flow::Continue)
    }

    fn awaiting_auth(&mut self) -> bool {
        self.t.conn(self.id).auth == AuthState::AwaitingConnect
    }

    fn admit_without_connect(&mut self) -> bool {
        if !self.t.cfg.admit_before_connect {
            return false;
        }
        self.t.conn(self.id).auth = AuthState::AwaitingDecision;
        self.t.events.push(Event::OpBeforeConnect { conn: self.id });
        true
    }

    fn on_publish_args(
        &mut self,
        subject: &[u8],
        _reply: &[u8],
        _hdr: Option<usize>,
        _size: usize,
    ) -> Result<(), Fatal> {
        self.ensure_open()?;
        if self.opts().pedantic && !subject::is_valid_literal_subject(subject) {
            self.t.send_err(self.id, WireError::InvalidPublishSubject);
        }
        Ok(())
    }

    fn on_publish(&mut self, m: Publish<'_>) -> Result<(), Fatal> {
        // Routed by its mapped subject when the account maps it (engine/mapping.rs); the buffer goes back below.
        let published = m.subject;
        let mapped = self.map_publish(&m);
        let m = Publish { subject: mapped.as_deref().unwrap_or(m.subject), ..m };
        let id = self.id;
        let opts = self.opts();
        // An HPUB whose header block is empty is delivered as a plain MSG.
        let m = Publish { header_len: m.header_len.filter(|&h| h > 0), ..m };
        let now = self.t.now_ms;
        if self.t.trace.on() {
            self.t.trace.payload(id, false, m.body, m.header_len);
        }
        {
            let c = self.t.conn(id);
            c.last_activity_ms = now;
            c.counters.in_msgs += 1;
            c.counters.in_bytes += m.body.len() as u64;
        }
        self.t.counters.in_msgs += 1;
        self.t.counters.in_bytes += m.body.len() as u64;
        // Only a client's HPUB can ask for a trace; one comparison per header line when it does not.
        let mut traced = None;
        if let Some(h) = m.header_len.filter(|_| self.route.is_empty()) {
            if let Some(req) = msg_trace::find(&m.body[..h]) {
                // The ingress event names the subject as published; a mapping adds its own event after it.
                match self.start_trace(req, &Publish { subject: published, ..m }) {
                    TraceStart::Skip => return Ok(()),
                    TraceStart::Off => {}
                    TraceStart::On(mut t) => {
                        if mapped.is_some() {
                            t.add_subject_mapping(m.subject);
                        }
                        traced = Some(t);
                    }
                }
            }
        }
        if let Some(p) = self.t.conn(id).perms.as_mut() {
            if !p.can_publish(m.subject, now) {
                let before = self.t.conn(id).out.len();
                write_pub_permission_violation(&mut self.t.conn(id).out, m.subject);
                self.t.trace_err_since(id, before);
                self.t.mark_dirty_or_cut(id);
                if let Some(mut t) = traced {
                    t.set_ingress_error(pub_permission_violation_text(m.subject));
                    self.finish_trace(*t);
                }
                return Ok(());
            }
        }
        self.t.send_ok_if_verbose(id);
        let account = self.t.conn(id).account;
        self.t.msg_trace = traced;
        let mut delivered = self.fan_out(account, &m);
        let router = self.router;
        // An internal delivery (self.route set) is addressed to one deliver subject: no imports apply.
        if self.route.is_empty() && self.imports.active(router.imports()) {
            // Moved out for the call, which also needs the whole context to deliver (no allocation).
            let mut view = std::mem::take(&mut *self.imports);
            delivered |= view.route(router.imports(), self, account, &m);
            *self.imports = view;
        }
        if let Some(t) = self.t.msg_trace.take() {
            self.finish_trace(*t);
        }
        // Its own echo may have closed the publisher as a slow consumer: then the rest of its input is dropped.
        if !self.t.conn(id).is_open() {
            return Err(Fatal::SLOW_CONSUMER);
        }
        if !delivered && !m.reply.is_empty() && opts.no_responders {
            self.no_responders(m.subject, m.reply);
        }
        self.unmap_publish(mapped);
        Ok(())
    }

    fn on_sub(&mut self, subj: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Result<(), Fatal> {
        self.ensure_open()?;
        let id = self.id;
        self.touch();
        if !subject::is_valid_subscribe_subject(subj) {
            self.t.send_err(id, WireError::InvalidSubject);
            return Ok(());
        }
        // nats-server reserves this queue name for its own system services.
        if queue == Some(&b"_sys_"[..]) {
            let before = self.t.conn(id).out.len();
            write_sub_permission_violation(&mut self.t.conn(id).out, subj, queue);
            self.t.trace_err_since(id, before);
            self.t.mark_dirty_or_cut(id);
            return Ok(());
        }
        if let Some(p) = self.t.conn(id).perms.as_mut() {
            if !p.can_subscribe(subj, queue) {
                let before = self.t.conn(id).out.len();
                write_sub_permission_violation(&mut self.t.conn(id).out, subj, queue);
                self.t.trace_err_since(id, before);
                self.t.mark_dirty_or_cut(id);
                return Ok(());
            }
        }
        let max_subs = self.t.cfg.max_subscriptions;
        let c = self.t.conn(id);
        let account = c.account;
        // nats-server checks the limit before looking at the sid, so a repeated sid at the limit is refused.
        if max_subs > 0 && c.subs.len() >= max_subs {
            self.t.send_err(id, WireError::MaxSubscriptionsExceeded);
            return Ok(());
        }
        if c.subs.contains_key(sid) {
            // A repeated sid is accepted and ignored.
            self.t.send_ok_if_verbose(id);
            return Ok(());
        }
        let slot = match self.t.free_subs.pop() {
            Some(s) => s,
            None => {
                self.t.subs.push(None);
                self.t.sub_gens.push(0);
                (self.t.subs.len() - 1) as u32
            }
        };
        let gen = self.t.sub_gens[slot as usize].wrapping_add(1);
        self.t.sub_gens[slot as usize] = gen;
        self.t.subs[slot as usize] = Some(Subscription {
            conn: id,
            subject: subj.into(),
            queue: queue.map(Into::into),
            sid: sid.into(),
            max: 0,
            delivered: 0,
            gen,
            account,
            direct: false,
        });
        let key = self.t.key(slot, gen);
        let (acc, _) = self.accounts.get(self.router, account);
        if acc.sublist_mut().insert(subj, queue, key).is_err() {
            self.t.subs[slot as usize] = None;
            self.t.free_subs.push(slot);
            self.t.send_err(id, WireError::InvalidSubject);
            return Ok(());
        }
        self.t.conn(id).subs.insert(sid.into(), slot);
        self.t.register_direct(self.router, slot);
        self.t.send_ok_if_verbose(id);
        Ok(())
    }

    fn on_unsub(&mut self, sid: &[u8], max: Option<u64>) -> Result<(), Fatal> {
        self.ensure_open()?;
        let id = self.id;
        self.touch();
        if let Some(&slot) = self.t.conn(id).subs.get(sid) {
            let sub = self.t.subs[slot as usize].as_mut().expect("subscription slot");
            match max {
                Some(m) if m > 0 && sub.delivered < m => {
                    sub.max = m;
                    // Counting deliveries is the owner's job: no more direct writes to it.
                    self.t.unregister_direct(self.router, slot);
                }
                _ => self.t.remove_subscription(self.router, slot),
            }
        }
        self.t.send_ok_if_verbose(id);
        Ok(())
    }

    fn on_ping(&mut self) -> Result<(), Fatal> {
        self.ensure_open()?;
        self.touch();
        if self.t.trace.on() {
            self.t.trace.op_out(self.id, "PONG", None);
        }
        let c = self.t.conn(self.id);
        c.out.extend_from_slice(b"PONG\r\n");
        if c.connected && c.opts.protocol >= 1 && c.connect_info.is_some() {
            let info = c.connect_info.take().expect("checked above");
            c.async_info_ok = true;
            c.out.extend_from_slice(&info);
        }
        self.t.mark_dirty_or_cut(self.id);
        Ok(())
    }

    fn on_pong(&mut self) -> Result<(), Fatal> {
        let c = self.t.conn(self.id);
        if c.pings_out > 0 {
            c.rtt_known = true;
        }
        c.pings_out = 0;
        Ok(())
    }

    fn on_client_err(&mut self, _text: &[u8]) -> Result<(), Fatal> {
        Err(Fatal::CLIENT_ERR)
    }

    fn headers_allowed(&mut self) -> bool {
        self.opts().headers
    }

    fn tracing(&self) -> bool {
        self.t.trace.on()
    }

    fn trace_in(&mut self, op: &'static str, arg: Option<&[u8]>) {
        self.t.trace.op_in(self.id, op, arg);
    }
}

mod direct_send;
mod internal;
mod mapping;
mod monitor;
mod services;
pub use monitor::SubscriptionView;
mod reload;
pub use reload::RemovedSub;
mod msg_trace;
mod msg_trace_flow;
mod trace;

#[cfg(test)]
mod tests;
