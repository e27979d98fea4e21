//! Direct delivery: a worker writes a message straight to the socket of a connection another worker owns,
//! instead of forwarding it through that worker's inbox and waking it.
//!
//! Why: a request and its reply each crossed threads through the router inbox, and each crossing woke the
//! other thread's event loop (a Node-API thread-safe function, then the kernel's scheduler). On a busy
//! machine those wake-ups were most of the request/reply latency with more than one worker. nats-server
//! avoids them the same way: the goroutine that read a message flushes the subscriber's socket itself.
//!
//! When: only for a small forward batch (a few messages for that worker at the end of a chunk, as
//! request/reply traffic makes), so high-volume traffic keeps the batched inbox path. Only to plain TCP
//! connections the owner has registered ([`DirectGate`], after CONNECT), and only for subscriptions it
//! listed as simple ([`DirectSub`]: no auto-unsubscribe count, no permissions, headers on).
//!
//! Order: per publisher, messages to one connection must keep their order, and bytes of two messages must
//! never interleave. So a direct write happens only while the connection is *idle*, under its gate lock:
//! * the owner has nothing queued for it (`owner_pending`, set under the lock when the owner first queues
//!   bytes after a flush, cleared when everything it queued, including a piece handed to Node, is written);
//! * no bytes of an earlier partial direct write wait (`spill`);
//! * the target worker has framed everything anyone posted to its inbox (the router's posted/drained
//!   counts), so no earlier forward record of this publisher can still be behind.
//!
//! A direct write the kernel takes only in part leaves the rest in `spill`, which the owner writes before
//! anything else of its own (`Engine::take_dirty`), after a flush note in its inbox wakes it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// A connection's socket as other workers may write to it. Created by the owning worker.
pub struct DirectGate {
    /// The gate's own duplicate of the socket's descriptor, closed (under the lock) when the gate closes, so
    /// a direct write can never reach a descriptor number the process has reused for another file.
    fd: i32,
    state: Mutex<GateState>,
    /// Messages and payload bytes written here by other workers (added to the connection's counters).
    out_msgs: AtomicU64,
    out_bytes: AtomicU64,
    /// The router's count of open gates (their descriptors), given back when this one closes.
    open_gates: Arc<AtomicUsize>,
}

#[derive(Default)]
struct GateState {
    /// The connection is closing: nobody writes to its descriptor any more (it may be reused).
    closed: bool,
    /// The owner has bytes for this connection that are not yet all in the kernel.
    owner_pending: bool,
    /// The rest of a partial direct write: the next bytes this connection must get, before anything else.
    spill: Vec<u8>,
}

/// What became of a direct write.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// All bytes are in the kernel (or the socket is gone and they are dropped, as for any dying client).
    All,
    /// Not idle: nothing was written; forward the messages instead.
    Busy,
    /// Part was written; the rest is in `spill` and the owner must be told to flush it.
    Partial,
}

impl DirectGate {
    /// A gate for socket `fd` (duplicated: the caller keeps its own); `owner_pending` says whether the owner
    /// already has bytes queued. `None` if the descriptor cannot be duplicated. `open_gates` is incremented
    /// by the caller (`Router::open_gate`) and decremented here on close.
    pub(crate) fn new(fd: i32, owner_pending: bool, open_gates: Arc<AtomicUsize>) -> Option<Arc<DirectGate>> {
        let fd = dup_fd(fd)?;
        Some(Arc::new(DirectGate {
            open_gates,
            fd,
            state: Mutex::new(GateState { owner_pending, ..GateState::default() }),
            out_msgs: AtomicU64::new(0),
            out_bytes: AtomicU64::new(0),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write `bytes` (whole MSG/HMSG frames) if the connection is idle.
    pub fn try_send(&self, bytes: &[u8]) -> Sent {
        let mut st = self.lock();
        if st.closed || st.owner_pending || !st.spill.is_empty() {
            return Sent::Busy;
        }
        let n = send_nonblocking(self.fd, bytes);
        match n {
            Some(n) if n < bytes.len() => {
                st.spill.extend_from_slice(&bytes[n..]);
                Sent::Partial
            }
            _ => Sent::All,
        }
    }

    /// Count messages written directly (for the connection's `out_msgs`/`out_bytes`).
    pub fn count(&self, msgs: u64, payload_bytes: u64) {
        self.out_msgs.fetch_add(msgs, Ordering::Relaxed);
        self.out_bytes.fetch_add(payload_bytes, Ordering::Relaxed);
    }

    pub fn counts(&self) -> (u64, u64) {
        (self.out_msgs.load(Ordering::Relaxed), self.out_bytes.load(Ordering::Relaxed))
    }

    /// Owner: it queued bytes for this connection (first since its last complete flush).
    pub fn owner_pending(&self) {
        self.lock().owner_pending = true;
    }

    /// Owner: everything it queued is in the kernel.
    pub fn owner_idle(&self) {
        self.lock().owner_pending = false;
    }

    /// Owner: take what a partial direct write left; it goes out before the owner's own bytes.
    pub fn take_spill(&self) -> Option<Vec<u8>> {
        let mut st = self.lock();
        if st.spill.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut st.spill))
        }
    }

    /// Owner: the connection is closing; no more direct writes, and the gate's descriptor is closed.
    pub fn close(&self) {
        let mut st = self.lock();
        if !st.closed {
            st.closed = true;
            st.spill = Vec::new();
            close_fd(self.fd);
            self.open_gates.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for DirectGate {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(unix)]
fn dup_fd(fd: i32) -> Option<i32> {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor; an invalid `fd` returns -1.
    let d = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    (d >= 0).then_some(d)
}

#[cfg(unix)]
fn close_fd(fd: i32) {
    // SAFETY: the gate owns this descriptor and closes it once (guarded by `closed`).
    unsafe {
        libc::close(fd);
    }
}

#[cfg(not(unix))]
fn dup_fd(_fd: i32) -> Option<i32> {
    None
}

#[cfg(not(unix))]
fn close_fd(_fd: i32) {}

/// A non-blocking send; `None` on an error other than "would block" (the owner sees the socket fail).
#[cfg(unix)]
fn send_nonblocking(fd: i32, bytes: &[u8]) -> Option<usize> {
    // SAFETY: `bytes` is a live slice for the duration of the call; send reads at most its length. The
    // descriptor stays open while the gate is not closed: the owner closes the gate before the socket.
    let n = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) };
    if n >= 0 {
        return Some(n as usize);
    }
    let err = std::io::Error::last_os_error();
    (err.kind() == std::io::ErrorKind::WouldBlock).then_some(0)
}

#[cfg(not(unix))]
fn send_nonblocking(_fd: i32, _bytes: &[u8]) -> Option<usize> {
    Some(0)
}

/// How many gates may be open at once: a quarter of the process's descriptor limit (each gate holds a
/// second descriptor of a client socket; connections, files and the rest need the others).
pub(crate) fn gate_budget() -> usize {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit fills the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 && lim.rlim_cur != libc::RLIM_INFINITY {
            return (lim.rlim_cur / 4) as usize;
        }
        65_536
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// A subscription other workers may deliver to directly.
pub struct DirectSub {
    /// The slot generation it was registered under (a reused slot has another).
    pub gen: u16,
    pub sid: Box<[u8]>,
    pub gate: Arc<DirectGate>,
}

/// One worker's direct subscriptions by slot, written by that worker, read by the others.
#[derive(Default)]
pub struct DirectSubs {
    map: RwLock<HashMap<u32, DirectSub>>,
}

impl DirectSubs {
    pub fn insert(&self, slot: u32, sub: DirectSub) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(slot, sub);
    }

    pub fn remove(&self, slot: u32) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        map.remove(&slot);
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u32, DirectSub>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }
}
