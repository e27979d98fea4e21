//! A stream's capture ([`myelin_core::router::Capture`]): header-less publishes to the stream's subjects are
//! stored and acknowledged by the worker thread that parses them, as nats-server's client read loop stores
//! into a stream itself. Without it every publish crossed to the control plane's thread and back, which is
//! the latency of a synchronous JetStream publish.
//!
//! The control plane ([`CaptureState`], set from `stream.ts`) decides when this is allowed: the stream's acks
//! must not wait for an fsync (a `sync_interval` duration), and nothing about the stream may make a plain
//! publish special (sealed, interest retention, storage nearly full, ...). Everything else is declined and
//! reaches the control plane's subscription as before: publishes with headers (dedup, expectations, rollup),
//! messages the store refuses (the control plane words the error), and while disabled.
//!
//! Order: a publisher's messages must be stored in the order sent. Once one is declined it is on its way to
//! the control plane; every later message is declined too until the control plane has stored all of them
//! (`in_flight` counts declined messages, the control plane settles them after storing), so none overtakes.
//!
//! Acks leave only after [`Capture::end_of_chunk`] has flushed the chunk's messages to the OS, so `kill -9`
//! loses no acknowledged message, as on the control plane's path.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use myelin_core::router::Capture;

use crate::clock;
use crate::direct_get::SharedStore;

/// What the control plane tells a stream's capture, and what the capture tells it back. Shared by the store
/// handle the control plane holds and the capture registered in the router.
#[derive(Default)]
pub struct CaptureState {
    enabled: AtomicBool,
    no_ack: AtomicBool,
    /// Whether the control plane wants to hear of stored messages (the stream has consumers).
    notify_wanted: AtomicBool,
    /// A notification was sent and the control plane has not yet taken it.
    notify_pending: AtomicBool,
    /// Messages declined (on their way to the control plane) and not yet settled by it.
    in_flight: AtomicU64,
}

impl CaptureState {
    /// The control plane's policy: store plain publishes here at all, send acks, and notify it of stores.
    pub fn set(&self, enabled: bool, no_ack: bool, notify: bool) {
        self.no_ack.store(no_ack, Ordering::Release);
        self.notify_wanted.store(notify, Ordering::Release);
        self.enabled.store(enabled, Ordering::Release);
    }

    /// The control plane has stored `n` messages that reached it (declined ones, and any the server published).
    pub fn settle(&self, n: u64) {
        let _ = self.in_flight.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| Some(v.saturating_sub(n)));
    }

    /// The control plane took the last notification; the next store sends another.
    pub fn notified(&self) {
        self.notify_pending.store(false, Ordering::Release);
    }

    /// Forget declined messages that will never be settled (the control plane resubscribed).
    pub fn reset(&self) {
        self.in_flight.store(0, Ordering::Release);
    }

    fn decline(&self) -> bool {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        false
    }
}

/// Called (from any thread) when messages were stored and the control plane asked to hear of it.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

pub struct StreamCapture {
    /// `{"stream":"<name>","seq":` — the ack up to the sequence.
    ack_prefix: Box<[u8]>,
    /// The stream's name, for message tracing's `js` event.
    stream: Box<str>,
    store: SharedStore,
    state: Arc<CaptureState>,
    notify: Notify,
}

impl StreamCapture {
    pub fn new(stream: &str, store: SharedStore, state: Arc<CaptureState>, notify: Notify) -> StreamCapture {
        let name = serde_json::to_string(stream).unwrap_or_else(|_| format!("\"{stream}\""));
        let ack_prefix = format!("{{\"stream\":{name},\"seq\":").into_bytes().into_boxed_slice();
        StreamCapture { ack_prefix, stream: stream.into(), store, state, notify }
    }
}

impl Capture for StreamCapture {
    fn stream(&self) -> &str {
        &self.stream
    }

    fn capture(
        &self,
        subject: &[u8],
        hdr: Option<&[u8]>,
        body: &[u8],
        ack: Option<&mut Vec<u8>>,
        may_store: bool,
    ) -> bool {
        let st = &self.state;
        if !may_store
            || hdr.is_some()
            || !st.enabled.load(Ordering::Acquire)
            || st.in_flight.load(Ordering::Acquire) > 0
        {
            return st.decline();
        }
        let stored = {
            let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            let ts = clock::reserve(clock::now_ns(), 1);
            store.store(subject, &[], body, ts)
        };
        let Ok(seq) = stored else { return st.decline() };
        if let Some(ack) = ack {
            if !st.no_ack.load(Ordering::Acquire) {
                ack.extend_from_slice(&self.ack_prefix);
                // Writing into a Vec cannot fail.
                let _ = write!(ack, "{seq}}}");
            }
        }
        true
    }

    fn end_of_chunk(&self) -> bool {
        let flushed = self.store.lock().unwrap_or_else(|e| e.into_inner()).flush().is_ok();
        let st = &self.state;
        if st.notify_wanted.load(Ordering::Acquire) && !st.notify_pending.swap(true, Ordering::AcqRel) {
            (self.notify)();
        }
        flushed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;

    use super::*;
    use crate::mem::MemStore;
    use crate::{MsgStore, StoreLimits};

    fn capture(limits: StoreLimits) -> (StreamCapture, SharedStore, Arc<CaptureState>, Arc<AtomicUsize>) {
        let store: SharedStore = Arc::new(Mutex::new(Box::new(MemStore::new(limits)) as Box<dyn MsgStore>));
        let state = Arc::new(CaptureState::default());
        let notified = Arc::new(AtomicUsize::new(0));
        let n = notified.clone();
        let notify: Notify = Arc::new(move || {
            n.fetch_add(1, Ordering::Relaxed);
        });
        (StreamCapture::new("S", store.clone(), state.clone(), notify), store, state, notified)
    }

    #[test]
    fn stores_and_acks_when_enabled() {
        let (c, store, state, _) = capture(StoreLimits::default());
        let mut ack = Vec::new();
        assert!(!c.capture(b"a", None, b"x", Some(&mut ack), true), "disabled by default");
        state.settle(1);
        state.set(true, false, false);
        assert!(c.capture(b"a", None, b"x", Some(&mut ack), true));
        assert_eq!(ack, br#"{"stream":"S","seq":1}"#);
        assert!(c.end_of_chunk());
        assert_eq!(store.lock().unwrap().load(1).unwrap().msg, b"x");
    }

    #[test]
    fn headers_and_server_publishes_are_declined_and_hold_back_what_follows() {
        let (c, store, state, _) = capture(StoreLimits::default());
        state.set(true, false, false);
        assert!(!c.capture(b"a", Some(b"NATS/1.0\r\n\r\n"), b"x", None, true));
        assert!(!c.capture(b"a", None, b"y", None, true), "an earlier message is still in flight");
        state.settle(2);
        assert!(!c.capture(b"a", None, b"z", None, false));
        state.settle(1);
        assert!(c.capture(b"a", None, b"z", None, true));
        assert_eq!(store.lock().unwrap().state().msgs, 1);
    }

    #[test]
    fn refused_messages_go_to_the_control_plane() {
        let limits = StoreLimits { max_msgs: 1, discard: crate::Discard::New, ..StoreLimits::default() };
        let (c, _, state, _) = capture(limits);
        state.set(true, false, false);
        assert!(c.capture(b"a", None, b"1", None, true));
        assert!(!c.capture(b"a", None, b"2", None, true));
    }

    #[test]
    fn no_ack_and_one_notification_until_taken() {
        let (c, _, state, notified) = capture(StoreLimits::default());
        state.set(true, true, true);
        let mut ack = Vec::new();
        assert!(c.capture(b"a", None, b"1", Some(&mut ack), true));
        assert!(ack.is_empty());
        c.end_of_chunk();
        c.end_of_chunk();
        assert_eq!(notified.load(Ordering::Relaxed), 1);
        state.notified();
        c.end_of_chunk();
        assert_eq!(notified.load(Ordering::Relaxed), 2);
    }
}
