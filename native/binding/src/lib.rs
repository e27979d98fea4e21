//! Node-API binding for `myelin-core`: type conversion only, no logic.
//!
//! Boundary rules (see docs/ARCHITECTURE.md):
//! * `ingest` is called once per received socket chunk. It borrows the chunk for the duration of the call
//!   and keeps nothing that points into it.
//! * `takeDirty` fills a caller-owned `Uint32Array` with connection ids, once per event-loop turn.
//! * `takeOutbound` moves one connection's pending bytes into a Node `Buffer` without copying: the Vec's
//!   allocation becomes the Buffer's, freed by V8's finalizer.
//! * Events (CONNECT, close requests) are per connection, never per message.
//!
//! Every engine is an object owned by the JS thread that created it. The one piece of process-wide state is
//! the router registry below: it is how engines on different worker threads find the router they share
//! (JS objects cannot cross threads, a number can).

pub mod deliver;
pub mod ingest;
pub mod internal;
pub mod store;
pub mod transform;

use std::sync::{Arc, Mutex};

use myelin_core::engine::{Engine, EngineConfig, Event, SubscriptionView};
use myelin_core::router::Router;
use myelin_core::wire_error::{CloseReason, WireError};
use myelin_store::capture::{Notify, StreamCapture};
use myelin_store::direct_get::DirectGet;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;

/// Engine limits, with nats-server's option names (camelCased).
#[napi(object)]
pub struct EngineOptions {
    pub max_payload: u32,
    pub max_control_line: u32,
    pub max_pending: f64,
    /// 0 = unlimited.
    pub max_subscriptions: u32,
    pub ping_interval_ms: f64,
    pub ping_max: u32,
    pub headers_supported: bool,
    /// Entries in the match cache; 0 disables it.
    pub match_cache: u32,
    /// Authentication is configured: every CONNECT waits for `authorize` (or a close).
    pub auth_enabled: bool,
    /// The no_auth_user is a password user: an op before CONNECT is an event (kind 3), not a violation.
    pub admit_before_connect: bool,
    /// Protocol tracing (`-V`): records wait for `takeTrace`. Absent = off.
    pub trace: Option<bool>,
    /// `max_traced_msg_len`; 0 or absent = no limit.
    pub max_traced_msg_len: Option<u32>,
    /// `trace_headers`: trace with header blocks in place of payloads. Absent = off.
    pub trace_headers: Option<bool>,
}

impl From<&EngineOptions> for EngineConfig {
    fn from(o: &EngineOptions) -> EngineConfig {
        EngineConfig {
            max_payload: o.max_payload as usize,
            max_control_line: o.max_control_line as usize,
            max_pending: o.max_pending as usize,
            max_subscriptions: o.max_subscriptions as usize,
            ping_interval_ms: o.ping_interval_ms as u64,
            ping_max: o.ping_max,
            headers_supported: o.headers_supported,
            match_cache: o.match_cache as usize,
            auth_enabled: o.auth_enabled,
            admit_before_connect: o.admit_before_connect,
            trace: o.trace.unwrap_or(false),
            max_traced_msg_len: o.max_traced_msg_len.unwrap_or(0) as usize,
            trace_headers: o.trace_headers.unwrap_or(false),
            stall_cap: myelin_core::engine::DEFAULT_STALL_CAP,
        }
    }
}

/// A subscription a config reload removed (its connection's new permissions deny it).
#[napi(object)]
pub struct RemovedSubscription {
    pub subject: String,
    pub queue: Option<String>,
    pub sid: String,
}

/// An engine event. `kind` 1 = connect (`json` set), 2 = close (`reason` set), 3 = an op before CONNECT.
#[napi(object)]
pub struct EngineEvent {
    pub kind: u32,
    pub conn: u32,
    pub reason: u32,
    pub json: Option<String>,
}

/// Per-connection counters for monitoring.
#[napi(object)]
pub struct ConnStats {
    pub in_msgs: f64,
    pub in_bytes: f64,
    pub out_msgs: f64,
    pub out_bytes: f64,
    pub subscriptions: u32,
    pub pending_bytes: f64,
    /// Engine clock (ms) of the last PUB, SUB, UNSUB or PING.
    pub last_activity_ms: f64,
}

/// One subscription, for `/connz?subs=1` and `/subsz?subs=1`.
#[napi(object)]
pub struct SubInfo {
    /// Engine connection slot.
    pub conn: u32,
    pub account: String,
    pub subject: String,
    pub queue: Option<String>,
    pub sid: String,
    pub msgs: f64,
    pub max: f64,
}

/// One account's trie counters, with this engine's match counters for it.
#[napi(object)]
pub struct AccountSublistStats {
    pub name: String,
    pub num_subs: f64,
    pub num_inserts: f64,
    pub num_removes: f64,
    pub num_matches: f64,
    pub num_cache_hits: f64,
    pub num_cache: f64,
}

/// Server-wide counters for monitoring.
#[napi(object)]
pub struct EngineStats {
    pub in_msgs: f64,
    pub in_bytes: f64,
    pub out_msgs: f64,
    pub out_bytes: f64,
    pub slow_consumers: f64,
    pub stale_connections: f64,
    pub subscriptions: u32,
}

/// Routers shared by the worker engines of a server, by id. Entries live until `releaseRouter`.
static ROUTERS: Mutex<Vec<Option<Arc<Router>>>> = Mutex::new(Vec::new());

fn router_by_id(id: u32) -> Result<Arc<Router>> {
    let routers = ROUTERS.lock().unwrap_or_else(|e| e.into_inner());
    routers
        .get(id as usize)
        .and_then(|r| r.clone())
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("no router with id {id}")))
}

/// Create the routing shared by `workers` engines; returns its id for `new NativeEngine`.
#[napi]
pub fn create_router(workers: u32) -> u32 {
    let mut routers = ROUTERS.lock().unwrap_or_else(|e| e.into_inner());
    routers.push(Some(Router::new(workers as usize)));
    (routers.len() - 1) as u32
}

/// Forget a router; engines still using it keep it alive until they are collected.
#[napi]
pub fn release_router(id: u32) {
    let mut routers = ROUTERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(slot) = routers.get_mut(id as usize) {
        *slot = None;
    }
}

/// Install the account import tables (JSON, see `myelin_core::imports::ImportsConfig`) in router `id`: once at
/// startup and on config change, never per message.
#[napi]
pub fn set_account_imports(id: u32, json: String) -> Result<()> {
    let router = router_by_id(id)?;
    myelin_core::imports::configure(&router, json.as_bytes()).map_err(|e| Error::new(Status::InvalidArg, e))
}

/// Install the account subject mappings (JSON, see `myelin_core::mapping::MappingsConfig`) in router `id`: at
/// startup and on config change, never per message.
#[napi]
pub fn set_account_mappings(id: u32, json: String) -> Result<()> {
    let router = router_by_id(id)?;
    myelin_core::mapping::configure(&router, json.as_bytes()).map_err(|e| Error::new(Status::InvalidArg, e))
}

/// Check one configured mapping (`dests`: JSON list of `{subject, weight, cluster}`): nats-server's error text
/// for it, or null when it is valid.
#[napi]
pub fn check_subject_mapping(src: String, dests: String) -> Option<String> {
    myelin_core::mapping::check_json(&src, dests.as_bytes())
}

/// Duplicate a socket file descriptor so that another thread can own a copy while the accepting thread
/// closes its own (the accepted connection stays open while any copy is). Unix only.
#[napi]
pub fn dup_fd(fd: i32) -> Result<i32> {
    #[cfg(unix)]
    {
        // SAFETY: dup has no memory-safety preconditions; an invalid fd is reported as -1 with errno.
        let copy = unsafe { libc::dup(fd) };
        if copy < 0 {
            return Err(Error::from_reason(format!("dup({fd}) failed: {}", std::io::Error::last_os_error())));
        }
        Ok(copy)
    }
    #[cfg(not(unix))]
    {
        Err(Error::from_reason(format!("cannot hand socket {fd} to another thread on this platform")))
    }
}

#[napi]
pub struct NativeEngine {
    inner: Engine,
}

#[napi]
impl NativeEngine {
    /// The engine of worker `worker` of router `router_id`. `on_inbox` is called on this engine's JS thread
    /// when other workers forward messages to it; it should call `drainInbox`.
    #[napi(constructor)]
    pub fn new(
        options: EngineOptions,
        seed: u32,
        router_id: u32,
        worker: u32,
        on_inbox: Function<(), ()>,
    ) -> Result<Self> {
        let router = router_by_id(router_id)?;
        if worker as usize >= router.workers() {
            return Err(Error::new(Status::InvalidArg, format!("worker {worker} out of range")));
        }
        // Weak: a pending wake-up must not keep a worker's event loop alive at shutdown.
        let wake = on_inbox.build_threadsafe_function::<()>().callee_handled::<false>().weak::<true>().build()?;
        router.set_waker(
            worker as usize,
            Arc::new(move || {
                wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }),
        );
        let seed = seed as u64 | ((seed as u64) << 32);
        Ok(NativeEngine { inner: Engine::with_router(EngineConfig::from(&options), seed, router, worker as usize) })
    }

    /// Deliver messages other workers forwarded here. Returns `ingest`'s result bits.
    #[napi]
    pub fn drain_inbox(&mut self) -> u32 {
        self.inner.drain_inbox()
    }

    #[napi]
    pub fn configure(&mut self, options: EngineOptions) {
        self.inner.set_config(EngineConfig::from(&options));
    }

    /// The `server` block of message trace events (JSON object without `seq`/`time`).
    #[napi]
    pub fn set_trace_server(&mut self, json: String) {
        self.inner.set_trace_server(&json);
    }

    /// Open a connection slot; `info` is queued at once, `connect_info` after the first post-CONNECT PONG.
    #[napi]
    pub fn open_conn(&mut self, info: &[u8], connect_info: &[u8]) -> u32 {
        self.inner.open_conn(info, Some(connect_info))
    }

    #[napi]
    pub fn close_conn(&mut self, id: u32) {
        self.inner.close_conn(id);
    }

    /// Close from the control plane with an optional wire error code (0 = none) and a close reason code.
    #[napi]
    pub fn close_with(&mut self, id: u32, error: u32, reason: u32) {
        let reason = CloseReason::from_code(reason);
        self.inner.close_with(id, WireError::from_code(error), reason);
    }

    #[napi]
    pub fn send_async_info(&mut self, id: u32, info: &[u8]) -> bool {
        self.inner.send_async_info(id, info)
    }

    #[napi]
    pub fn ingest(&mut self, id: u32, chunk: &[u8], length: u32) -> u32 {
        // The caller's read buffer is reused for every read, so only its first `length` bytes are this chunk.
        let n = (length as usize).min(chunk.len());
        self.inner.ingest(id, &chunk[..n])
    }

    #[napi]
    pub fn take_dirty(&mut self, mut ids: Uint32Array) -> u32 {
        // SAFETY: `ids` is a typed array the JS caller owns and passes synchronously; this call runs on the
        // JS thread, nothing else in JS can touch it until we return, and no Rust reference outlives the call.
        let ids = unsafe { ids.as_mut() };
        self.inner.take_dirty(ids) as u32
    }

    /// Copy one connection's pending bytes into a new Buffer and release them in the engine, which keeps
    /// its allocation for the next turn (a zero-copy hand-over would cost an allocation per turn instead,
    /// freed only when V8 collects the Buffer). With `max`, at most that many bytes are taken and the rest
    /// stays queued, in order.
    #[napi]
    pub fn take_outbound<'env>(&mut self, env: &'env Env, id: u32, max: Option<u32>) -> Result<BufferSlice<'env>> {
        let out = self.inner.outbound(id);
        let n = max.map_or(out.len(), |m| out.len().min(m as usize));
        let copy = BufferSlice::copy_from(env, &out[..n])?;
        self.inner.consume_outbound_prefix(id, n);
        Ok(copy)
    }

    /// Write one connection's pending bytes straight to its socket `fd` with a non-blocking send, without
    /// copying them into a Buffer. Returns how many bytes are left for the caller to write through the socket
    /// (0: all written; they stay in the engine until taken), or -1 on a socket error or where the platform has
    /// no such call. The caller must only use this while Node has nothing queued on that socket, so that the
    /// bytes stay in order.
    #[napi]
    pub fn write_outbound(&mut self, id: u32, fd: i32) -> i64 {
        #[cfg(unix)]
        {
            let out = self.inner.outbound(id);
            if out.is_empty() {
                return 0;
            }
            // SAFETY: `out` is a live slice owned by the engine for the duration of this call; send reads at
            // most `out.len()` bytes from it. MSG_NOSIGNAL keeps a closed peer from raising SIGPIPE.
            let n = unsafe { libc::send(fd, out.as_ptr().cast(), out.len(), libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) };
            let total = out.len();
            if n < 0 {
                let err = std::io::Error::last_os_error();
                return if err.kind() == std::io::ErrorKind::WouldBlock { total as i64 } else { -1 };
            }
            let n = n as usize;
            self.inner.consume_outbound_prefix(id, n);
            (total - n) as i64
        }
        #[cfg(not(unix))]
        {
            let _ = (id, fd);
            -1
        }
    }

    /// Admit a client: its account and permissions (JSON, or null for none). Parses input held since its
    /// CONNECT. Returns `ingest`'s result bits.
    #[napi]
    pub fn authorize(&mut self, id: u32, account: String, permissions: Option<String>) -> Result<u32> {
        self.inner
            .authorize(id, &account, permissions.as_deref().map(str::as_bytes))
            .map_err(|e| Error::new(Status::InvalidArg, format!("invalid permissions: {e}")))
    }

    /// Config reload: replace a connection's permissions (JSON, or null for none). Subscriptions they deny are
    /// removed and the client told; they are returned for the log. One call per connection per reload.
    #[napi]
    pub fn set_permissions(&mut self, id: u32, permissions: Option<String>) -> Result<Vec<RemovedSubscription>> {
        let removed = self
            .inner
            .set_permissions(id, permissions.as_deref().map(str::as_bytes))
            .map_err(|e| Error::new(Status::InvalidArg, format!("invalid permissions: {e}")))?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok(removed
            .into_iter()
            .map(|r| RemovedSubscription {
                subject: text(&r.subject),
                queue: r.queue.as_deref().map(text),
                sid: text(&r.sid),
            })
            .collect())
    }

    #[napi]
    pub fn set_blocked(&mut self, id: u32, blocked: bool) -> bool {
        self.inner.set_blocked(id, blocked)
    }

    /// Whether some connection, on any worker, is congested (a stalled publisher waits for this to clear).
    #[napi]
    pub fn congested(&self) -> bool {
        self.inner.congested()
    }

    #[napi]
    pub fn pending_bytes(&self, id: u32) -> f64 {
        self.inner.pending_bytes(id) as f64
    }

    #[napi]
    pub fn take_events(&mut self) -> Vec<EngineEvent> {
        self.inner
            .take_events()
            .into_iter()
            .map(|e| match e {
                Event::Connect { conn, json } => {
                    EngineEvent { kind: 1, conn, reason: 0, json: Some(String::from_utf8_lossy(&json).into_owned()) }
                }
                Event::Close { conn, reason } => EngineEvent { kind: 2, conn, reason: reason as u32, json: None },
                Event::OpBeforeConnect { conn } => EngineEvent { kind: 3, conn, reason: 0, json: None },
            })
            .collect()
    }

    /// Protocol trace records since the last call, `<slot> <text>\n` each ("" when none or tracing is off).
    #[napi]
    pub fn take_trace(&mut self) -> String {
        let records = self.inner.take_trace();
        String::from_utf8(records).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    #[napi]
    pub fn tick(&mut self, now_ms: f64) -> u32 {
        self.inner.tick(now_ms as u64)
    }

    #[napi]
    pub fn set_now(&mut self, now_ms: f64) {
        self.inner.set_now(now_ms as u64);
    }

    /// Answer `$JS.API.DIRECT.GET.<stream>` (and `.<subject>`) in `account` from `store`, inside the engine of
    /// whichever worker receives the request, serving JetStream API level `api_level`. Returns an id for
    /// `removeService`.
    #[napi]
    pub fn register_direct_get(
        &self,
        account: String,
        stream: String,
        store: &store::NativeStore,
        api_level: u32,
    ) -> Result<u32> {
        let router = self.inner.router();
        let account = router.account_id(&account);
        let subjects = DirectGet::subjects(&stream);
        let subjects: Vec<&[u8]> = subjects.iter().map(Vec::as_slice).collect();
        router
            .add_service(account, &subjects, Arc::new(DirectGet::new(&stream, store.shared(), api_level)))
            .map_err(|e| Error::new(Status::InvalidArg, format!("direct get for stream {stream:?}: {e:?}")))
    }

    /// Store header-less publishes to `stream`'s `subjects` in `account` on whichever worker thread parses them
    /// (myelin_store::capture), shadowing internal connection `slot`'s subscriptions `sids` on those subjects,
    /// which get what the capture declines. The store's `setCapture` turns it on; `on_stored` is called on
    /// this (the main) thread after messages were stored, when asked for. Returns an id for `removeService`.
    #[napi]
    pub fn register_capture(
        &self,
        account: String,
        stream: String,
        store: &store::NativeStore,
        slot: u32,
        sids: Vec<String>,
        on_stored: Function<(), ()>,
    ) -> Result<u32> {
        let shadows = sids
            .iter()
            .map(|sid| self.inner.sub_key(slot, sid.as_bytes()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::new(Status::InvalidArg, format!("capture for stream {stream:?}: unknown sid")))?;
        let subjects: Vec<Vec<u8>> =
            sids.iter().map(|sid| self.inner.sub_subject(slot, sid.as_bytes()).unwrap_or_default()).collect();
        let subjects: Vec<&[u8]> = subjects.iter().map(Vec::as_slice).collect();
        // Weak: a pending notification must not keep the event loop alive at shutdown.
        let call = on_stored.build_threadsafe_function::<()>().callee_handled::<false>().weak::<true>().build()?;
        let notify: Notify = Arc::new(move || {
            call.call((), ThreadsafeFunctionCallMode::NonBlocking);
        });
        let state = store.capture_state();
        state.reset();
        let capture = StreamCapture::new(&stream, store.shared(), state, notify);
        let router = self.inner.router();
        let account = router.account_id(&account);
        router
            .add_capture(account, &subjects, Arc::new(capture), shadows)
            .map_err(|e| Error::new(Status::InvalidArg, format!("capture for stream {stream:?}: {e:?}")))
    }

    /// Let other worker threads write to connection `id`'s socket `fd` directly while it is idle (a plain TCP
    /// connection after CONNECT, with nothing queued in Node). Returns whether it was enabled.
    #[napi]
    pub fn enable_direct(&mut self, id: u32, fd: i32) -> bool {
        self.inner.enable_direct(id, fd)
    }

    /// Take a service registered with `registerDirectGet` or `registerCapture` out of routing.
    #[napi]
    pub fn remove_service(&self, id: u32) {
        self.inner.router().remove_service(id);
    }

    #[napi]
    pub fn conn_stats(&self, id: u32) -> Option<ConnStats> {
        let c = self.inner.conn_counters(id)?;
        Some(ConnStats {
            in_msgs: c.in_msgs as f64,
            in_bytes: c.in_bytes as f64,
            out_msgs: c.out_msgs as f64,
            out_bytes: c.out_bytes as f64,
            subscriptions: self.inner.conn_sub_count(id) as u32,
            pending_bytes: self.inner.pending_bytes(id) as f64,
            last_activity_ms: self.inner.last_activity_ms(id).unwrap_or(0) as f64,
        })
    }

    /// The subscriptions of one connection (monitoring).
    #[napi]
    pub fn conn_subs(&self, id: u32) -> Vec<SubInfo> {
        let names = self.account_names();
        self.inner.conn_subscriptions(id).into_iter().map(|v| sub_info(&names, v)).collect()
    }

    /// Every subscription of this engine, or those a publish to the literal `test` would reach (monitoring).
    #[napi]
    pub fn subscriptions(&self, test: Option<String>) -> Vec<SubInfo> {
        let names = self.account_names();
        self.inner.subscriptions_matching(test.as_deref().map(str::as_bytes)).map(|v| sub_info(&names, v)).collect()
    }

    /// Per account: trie counters (shared) and this engine's match counters (monitoring).
    #[napi]
    pub fn account_stats(&self) -> Vec<AccountSublistStats> {
        self.inner
            .account_stats()
            .into_iter()
            .map(|(a, s)| AccountSublistStats {
                name: a.name.to_string(),
                num_subs: s.num_subs as f64,
                num_inserts: s.num_inserts as f64,
                num_removes: s.num_removes as f64,
                num_matches: s.num_matches as f64,
                num_cache_hits: s.num_cache_hits as f64,
                num_cache: s.num_cache as f64,
            })
            .collect()
    }

    #[napi]
    pub fn stats(&self) -> EngineStats {
        let c = self.inner.counters();
        EngineStats {
            in_msgs: c.in_msgs as f64,
            in_bytes: c.in_bytes as f64,
            out_msgs: c.out_msgs as f64,
            out_bytes: c.out_bytes as f64,
            slow_consumers: c.slow_consumers as f64,
            stale_connections: c.stale_connections as f64,
            subscriptions: self.inner.subscription_count() as u32,
        }
    }
}

impl NativeEngine {
    fn account_names(&self) -> Vec<String> {
        self.inner.router().accounts().iter().map(|a| a.name.to_string()).collect()
    }
}

fn sub_info(accounts: &[String], v: SubscriptionView<'_>) -> SubInfo {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    SubInfo {
        conn: v.conn,
        account: accounts.get(v.account as usize).cloned().unwrap_or_default(),
        subject: text(v.subject),
        queue: v.queue.map(text),
        sid: text(v.sid),
        msgs: v.msgs as f64,
        max: v.max as f64,
    }
}

/// nats-server's `IsValidLiteralSubject`, for `/subsz?test=`.
#[napi]
pub fn is_valid_literal_subject(subject: String) -> bool {
    myelin_core::subject::is_valid_literal_subject(subject.as_bytes())
}

/// Does the literal `subject` match `pattern`? (The project's one matcher, for stream and consumer filters.)
#[napi]
pub fn subject_matches(pattern: String, subject: String) -> bool {
    myelin_core::subject::subject_matches(pattern.as_bytes(), subject.as_bytes())
}

/// nats-server's `IsValidSubject` (wildcards allowed), for configuration checks and stream subjects.
#[napi]
pub fn is_valid_subject(subject: String) -> bool {
    myelin_core::subject::is_valid_subject(subject.as_bytes())
}

/// Whether the subject has a `*` or `>` token.
#[napi]
pub fn has_wildcard(subject: String) -> bool {
    myelin_core::subject::has_wildcard(subject.as_bytes())
}

/// nats-server's `isSubsetMatch`, for account exports and imports.
#[napi]
pub fn is_subset_match(subject: String, filter: String) -> bool {
    myelin_core::subject::is_subset_match(subject.as_bytes(), filter.as_bytes())
}

/// nats-server's `SubjectsCollide`, for the import cycle checks and overlapping stream subjects.
#[napi]
pub fn subjects_collide(a: String, b: String) -> bool {
    myelin_core::subject::subjects_collide(a.as_bytes(), b.as_bytes())
}

/// The core crate's version, for `--version` and monitoring.
#[napi]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
