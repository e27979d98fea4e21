//! Per-connection state held by the engine: negotiated options, subscriptions, the outbound buffer and
//! counters. The parser lives beside it (in `Engine::parsers`) so a connection can be routed to while its
//! own parser is running.

use std::collections::HashMap;

use serde::Deserialize;

use crate::permissions::Permissions;

/// Options a client sets in CONNECT. nats-server starts every client with verbose and pedantic on and
/// echo on; a CONNECT overrides only the fields it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOpts {
    pub verbose: bool,
    pub pedantic: bool,
    pub echo: bool,
    pub headers: bool,
    pub no_responders: bool,
    pub protocol: i64,
}

impl Default for ClientOpts {
    fn default() -> Self {
        ClientOpts { verbose: true, pedantic: true, echo: true, headers: false, no_responders: false, protocol: 0 }
    }
}

/// The CONNECT fields the data plane acts on. Everything else (name, lang, credentials) is read by the
/// control plane from the same JSON, which the engine passes up in a connect event.
#[derive(Deserialize, Default)]
pub(crate) struct ConnectFields {
    verbose: Option<bool>,
    pedantic: Option<bool>,
    echo: Option<bool>,
    headers: Option<bool>,
    no_responders: Option<bool>,
    protocol: Option<i64>,
    /// Kept by the engine only for message trace events (`engine/msg_trace.rs`).
    pub(crate) name: Option<String>,
}

impl ClientOpts {
    pub(crate) fn merge(&mut self, f: &ConnectFields) {
        if let Some(v) = f.verbose {
            self.verbose = v;
        }
        if let Some(v) = f.pedantic {
            self.pedantic = v;
        }
        if let Some(v) = f.echo {
            self.echo = v;
        }
        if let Some(v) = f.headers {
            self.headers = v;
        }
        if let Some(v) = f.no_responders {
            self.no_responders = v;
        }
        if let Some(v) = f.protocol {
            self.protocol = v;
        }
    }
}

/// Where a connection is in authentication. Without auth configured every connection starts `Authorized`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthState {
    /// Auth is required and no CONNECT has been accepted: only CONNECT may come first.
    AwaitingConnect,
    /// A CONNECT is with the control plane for a decision; input is held, not parsed.
    AwaitingDecision,
    Authorized,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    Open,
    /// The engine decided to close it: no more input is parsed and nothing more is routed to it. The slot
    /// stays until the control plane calls `close_conn` after the socket is gone.
    Closing,
}

/// Message and byte counters, as `/connz` reports them.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnCounters {
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
}

pub struct Conn {
    pub opts: ClientOpts,
    pub state: ConnState,
    /// Bytes waiting to be written to the socket. Owned here until the control plane takes them with
    /// `take_outbound`; from then on they belong to the JS Buffer handed out.
    pub out: Vec<u8>,
    /// How many bytes at the front of `out` a partial socket write already sent. They are dropped when the
    /// rest is sent, or (to bound the buffer while a consumer stays behind) once they are half of it.
    pub out_sent: usize,
    /// Whether `out` is already listed in the engine's dirty list.
    pub dirty: bool,
    /// The socket refused more data; the control plane clears this on `drain`.
    pub blocked: bool,
    /// sid → subscription slot.
    pub subs: HashMap<Box<[u8]>, u32>,
    pub counters: ConnCounters,
    /// PINGs sent without a PONG back.
    pub pings_out: u32,
    /// A PONG answered one of our PINGs: nats-server only lets client activity delay PINGs after that.
    pub rtt_known: bool,
    /// Engine clock (ms) of the client's last PUB, SUB, UNSUB or PING.
    pub last_activity_ms: u64,
    /// Engine clock (ms) at which the ping timer fires next.
    pub next_ping_ms: u64,
    /// Whether a CONNECT has been processed.
    pub connected: bool,
    /// The INFO nats-server sends after the first PONG that follows a protocol-1 CONNECT; taken when sent.
    pub connect_info: Option<Box<[u8]>>,
    /// That INFO was sent: the client takes asynchronous INFO (lame-duck notices) from now on.
    pub async_info_ok: bool,
    pub auth: AuthState,
    /// Input received while a CONNECT awaits the control plane's decision; parsed once it is authorized.
    pub held: Vec<u8>,
    /// The account (router account id) the client belongs to.
    pub account: u32,
    /// Publish/subscribe permissions; `None` allows everything.
    pub perms: Option<Box<Permissions>>,
    /// Pending output passed the stall threshold (¾ of max_pending); counted in the engine.
    pub congested: bool,
    /// The server's own client (no socket): never pinged, never closed as a slow consumer, never congested.
    /// See `engine/internal.rs`.
    pub internal: bool,
    /// Other workers may write to this connection's socket directly while it is idle (`direct.rs`).
    pub gate: Option<std::sync::Arc<crate::direct::DirectGate>>,
    /// The socket descriptor a gate may be opened on (-1: none); a gate is opened only once another worker
    /// forwards a message to this connection, so idle connections cost no second descriptor.
    pub direct_fd: i32,
    /// The client id the control plane gave it (INFO `client_id`) and its CONNECT `name`: only message trace
    /// events (`engine/msg_trace.rs`) report them.
    pub cid: u64,
    pub name: Box<str>,
}

impl Conn {
    pub fn new(now_ms: u64, first_ping_ms: u64, connect_info: Option<Box<[u8]>>, auth: AuthState) -> Conn {
        Conn {
            opts: ClientOpts::default(),
            state: ConnState::Open,
            out: Vec::new(),
            out_sent: 0,
            dirty: false,
            blocked: false,
            subs: HashMap::new(),
            counters: ConnCounters::default(),
            pings_out: 0,
            rtt_known: false,
            last_activity_ms: now_ms,
            next_ping_ms: now_ms + first_ping_ms,
            connected: false,
            connect_info,
            async_info_ok: false,
            auth,
            held: Vec::new(),
            account: 0,
            perms: None,
            congested: false,
            internal: false,
            gate: None,
            direct_fd: -1,
            cid: 0,
            name: Box::default(),
        }
    }

    /// Bytes queued for the socket and not yet written.
    pub fn pending(&self) -> usize {
        self.out.len() - self.out_sent
    }

    pub fn is_open(&self) -> bool {
        self.state == ConnState::Open
    }
}
