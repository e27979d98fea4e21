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

pub mod internal;
pub mod store;

use std::sync::{Arc, Mutex};

use myelin_core::engine::{Engine, EngineConfig, Event};
use myelin_core::router::Router;
use myelin_core::wire_error::{CloseReason, WireError};
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
        }
    }
}

/// An engine event. `kind` 1 = connect (`json` set), 2 = close (`reason` set).
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
    pub fn ingest(&mut self, id: u32, chunk: &[u8]) -> u32 {
        self.inner.ingest(id, chunk)
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
    /// freed only when V8 collects the Buffer).
    #[napi]
    pub fn take_outbound<'env>(&mut self, env: &'env Env, id: u32) -> Result<BufferSlice<'env>> {
        let copy = BufferSlice::copy_from(env, self.inner.outbound(id))?;
        self.inner.consume_outbound(id);
        Ok(copy)
    }

    /// Admit a client: its account and permissions (JSON, or null for none). Parses input held since its
    /// CONNECT. Returns `ingest`'s result bits.
    #[napi]
    pub fn authorize(&mut self, id: u32, account: String, permissions: Option<String>) -> Result<u32> {
        self.inner
            .authorize(id, &account, permissions.as_deref().map(str::as_bytes))
            .map_err(|e| Error::new(Status::InvalidArg, format!("invalid permissions: {e}")))
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
            })
            .collect()
    }

    #[napi]
    pub fn tick(&mut self, now_ms: f64) -> u32 {
        self.inner.tick(now_ms as u64)
    }

    #[napi]
    pub fn set_now(&mut self, now_ms: f64) {
        self.inner.set_now(now_ms as u64);
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
        })
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

/// The core crate's version, for `--version` and monitoring.
#[napi]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
