//! Routing shared by the worker engines of one server.
//!
//! Each worker thread owns an [`crate::engine::Engine`] with its own connections, parsers and outbound
//! buffers: nothing per connection is ever touched by two threads. What the workers share is this
//! `Router`: the one subscription trie (behind a read-write lock: many publishers match at once, a SUB or
//! UNSUB takes it briefly) and one inbox per worker.
//!
//! A publish is matched by the worker that parsed it. Subscriptions it owns are served at once. For
//! subscriptions owned by another worker it appends one *forward record* per message and target worker
//! (the message plus the target's subscription slots) to a batch, and at the end of the chunk moves the
//! batch into the target's inbox under one lock and wakes that worker if it is not already awake. The
//! target frames the MSG/HMSG lines itself. Per-publisher order holds because one publisher's records
//! reach a given worker in one queue, in order. Queue-group members are chosen once, by the publishing
//! worker, across all workers.
//!
//! Remote interest (routes, leaf nodes) fits the same shape later: a [`SubKey`] names its owner, and a
//! route connection would be one more owner that receives forward records.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::direct::DirectSubs;
use crate::imports::Imports;
use crate::mapping::Mappings;
use crate::sublist::Sublist;

/// A subscription as the shared trie knows it: which worker owns it, its slot in that worker's table, and
/// the slot's generation (so a record forwarded just before the slot was reused is recognised as stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubKey {
    pub worker: u16,
    pub gen: u16,
    pub slot: u32,
}

/// The `worker` of a [`SubKey`] that names a [`Service`] or a [`Capture`] (its `slot` is the service id)
/// rather than a client's subscription. Its `gen` says which of the two: [`ANSWER_GEN`] or [`CAPTURE_GEN`].
pub const SERVICE_WORKER: u16 = u16::MAX;
/// `SubKey::gen` of a [`Service`] (a responder).
pub const ANSWER_GEN: u16 = 0;
/// `SubKey::gen` of a [`Capture`] (a stream storing what is published on its subjects).
pub const CAPTURE_GEN: u16 = 1;

/// A responder inside the server that answers a request on the thread that received it: no forward record,
/// no wake-up of another thread, no JavaScript. It sits in an account's trie like a subscription
/// ([`SERVICE_WORKER`]); the publishing worker calls it and routes its reply to the request's reply subject.
/// JetStream's direct get is one (`myelin_store::direct_get`). Runs on any worker thread, so it must be cheap
/// and must not block for long (a read of an in-memory index or the page cache).
pub trait Service: Send + Sync {
    /// Answer a request published on `subject` with header block `hdr` (if any) and `body`. Write the reply's
    /// header block (empty for none) and body into `reply`, which arrives cleared; return false to send nothing.
    fn answer(&self, subject: &[u8], hdr: Option<&[u8]>, body: &[u8], reply: &mut ServiceReply) -> bool;
}

/// A stream that stores what is published on its subjects on the thread that parses the publish, and
/// acknowledges it from there: no forward record to the control plane's thread, no JavaScript. It sits in the
/// account's trie ([`SERVICE_WORKER`], [`CAPTURE_GEN`]) beside the control plane's own subscriptions for the
/// same subjects, which it *shadows*: a message it stores skips them, a message it declines (headers to check,
/// a limit to word an error for, earlier declined messages still in flight) reaches them as before.
/// JetStream's header-less publishes under a policy that acks without waiting for fsync are the one use
/// (`myelin_store::capture`).
pub trait Capture: Send + Sync {
    /// Store a message published on `subject`. On success return true and, when `ack` is given (the publish
    /// has a reply subject), write the publish ack's payload into it (it arrives cleared). Return false to
    /// leave the message to the shadowed subscriptions; always, when not `may_store` (the server's own
    /// publishes, which the control plane handles), but the capture still learns that one went past it.
    fn capture(
        &self,
        subject: &[u8],
        hdr: Option<&[u8]>,
        body: &[u8],
        ack: Option<&mut Vec<u8>>,
        may_store: bool,
    ) -> bool;

    /// Called once at the end of a chunk (or batch) in which `capture` stored something, before any of that
    /// chunk's acks can leave the process: hand the stored bytes to the OS. False if that failed: the chunk's
    /// acks are then not sent.
    fn end_of_chunk(&self) -> bool;

    /// The stream this capture stores for: a traced message's `js` event names it (`engine/msg_trace.rs`).
    fn stream(&self) -> &str {
        ""
    }
}

/// A registered capture and the subscriptions it shadows.
pub struct CaptureEntry {
    pub capture: Arc<dyn Capture>,
    pub shadows: Box<[SubKey]>,
}

/// A service's reply, in buffers the engine reuses from one request to the next. Most services answer with
/// one message (`hdr`, `body`); one that answers with several (a batched direct get) calls
/// [`ServiceReply::next`] after each but the last, and the engine sends them in that order.
#[derive(Default)]
pub struct ServiceReply {
    pub hdr: Vec<u8>,
    pub body: Vec<u8>,
    /// The replies finished by `next`, each framed as its header length and payload length (u32 LE), then
    /// the payload (header block, then body). Empty unless a service sends several replies.
    earlier: Vec<u8>,
}

impl ServiceReply {
    /// Finish the reply in `hdr`/`body` and start another one (both cleared).
    pub fn next(&mut self) {
        self.earlier.extend_from_slice(&(self.hdr.len() as u32).to_le_bytes());
        self.earlier.extend_from_slice(&((self.hdr.len() + self.body.len()) as u32).to_le_bytes());
        self.earlier.extend_from_slice(&self.hdr);
        self.earlier.extend_from_slice(&self.body);
        self.hdr.clear();
        self.body.clear();
    }

    /// Empty every buffer, keeping their capacity.
    pub fn clear(&mut self) {
        self.hdr.clear();
        self.body.clear();
        self.earlier.clear();
    }

    /// The replies finished by [`ServiceReply::next`], in order: each as its header length (`None` without a
    /// header block) and its payload (header block, then body). The last reply is still in `hdr`/`body`.
    pub fn earlier(&self) -> impl Iterator<Item = (Option<usize>, &[u8])> {
        let mut rest = &self.earlier[..];
        std::iter::from_fn(move || {
            let (lens, tail) = rest.split_at_checked(8)?;
            let hdr_len = u32::from_le_bytes(lens[..4].try_into().ok()?) as usize;
            let len = u32::from_le_bytes(lens[4..].try_into().ok()?) as usize;
            let (payload, tail) = tail.split_at(len);
            rest = tail;
            Some(((hdr_len > 0).then_some(hdr_len), payload))
        })
    }
}

enum ServiceKind {
    Answer(Arc<dyn Service>),
    Capture(Arc<CaptureEntry>),
}

impl ServiceKind {
    fn gen(&self) -> u16 {
        match self {
            ServiceKind::Answer(_) => ANSWER_GEN,
            ServiceKind::Capture(_) => CAPTURE_GEN,
        }
    }
}

struct ServiceEntry {
    kind: ServiceKind,
    account: u32,
    subjects: Vec<Box<[u8]>>,
}

/// Called by a publishing worker to wake a worker whose inbox went from empty to non-empty. Must be cheap
/// and non-blocking (the binding wraps a Node-API thread-safe function).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

struct Inbox {
    /// Forward records waiting for the owning worker.
    queue: Mutex<Vec<u8>>,
    /// Set when the worker has been woken and has not yet taken its inbox; avoids a wake per message.
    signaled: AtomicBool,
    waker: RwLock<Option<Waker>>,
    /// Bytes waiting in `queue`, readable without the lock.
    bytes: AtomicUsize,
    /// The worker has a connection whose pending output passed the stall threshold: publishers forwarding to
    /// it should slow down, as nats-server stalls producers of a slow consumer.
    congested: AtomicBool,
    /// Batches ever posted to this inbox, and how many of them the worker has taken and framed: equal means
    /// no forward record is in flight to it (the condition for a direct write, `direct.rs`).
    posted: AtomicU64,
    drained: AtomicU64,
    /// This worker's subscriptions that other workers may write to directly.
    direct: DirectSubs,
}

/// An account: an isolated subject namespace with a trie of its own. Clients of different accounts never
/// see each other's messages.
pub struct Account {
    pub name: Box<str>,
    sublist: RwLock<Sublist<SubKey>>,
}

impl Account {
    /// Read access to the trie. A poisoned lock only means another worker panicked mid-update; the trie
    /// itself is still consistent enough to route, so carry on rather than take the server down.
    pub fn sublist(&self) -> RwLockReadGuard<'_, Sublist<SubKey>> {
        self.sublist.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn sublist_mut(&self) -> RwLockWriteGuard<'_, Sublist<SubKey>> {
        self.sublist.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The global account, used when no accounts are configured; always id 0.
pub const GLOBAL_ACCOUNT: &str = "$G";

pub struct Router {
    /// Accounts by id; ids are indexes and never reused.
    accounts: RwLock<Vec<Arc<Account>>>,
    inboxes: Box<[Inbox]>,
    /// Exports and imports between accounts, and pending service responses (`imports.rs`).
    imports: Imports,
    /// Account subject mappings (`mapping.rs`).
    mappings: Mappings,
    /// In-server responders by id (a removed one leaves `None`; ids are not reused).
    services: RwLock<Vec<Option<ServiceEntry>>>,
    /// Direct-delivery gates open (each holds a second descriptor of its socket), and how many may be.
    open_gates: Arc<AtomicUsize>,
    gate_budget: usize,
}

impl Router {
    /// A router for `workers` worker engines (at least one).
    pub fn new(workers: usize) -> Arc<Router> {
        let inboxes = (0..workers.max(1))
            .map(|_| Inbox {
                queue: Mutex::new(Vec::new()),
                signaled: AtomicBool::new(false),
                waker: RwLock::new(None),
                bytes: AtomicUsize::new(0),
                congested: AtomicBool::new(false),
                posted: AtomicU64::new(0),
                drained: AtomicU64::new(0),
                direct: DirectSubs::default(),
            })
            .collect();
        let global = Arc::new(Account { name: GLOBAL_ACCOUNT.into(), sublist: RwLock::new(Sublist::new()) });
        Arc::new(Router {
            accounts: RwLock::new(vec![global]),
            inboxes,
            imports: Imports::default(),
            mappings: Mappings::default(),
            services: RwLock::new(Vec::new()),
            open_gates: Arc::new(AtomicUsize::new(0)),
            gate_budget: crate::direct::gate_budget(),
        })
    }

    pub fn imports(&self) -> &Imports {
        &self.imports
    }

    pub fn mappings(&self) -> &Mappings {
        &self.mappings
    }

    pub fn workers(&self) -> usize {
        self.inboxes.len()
    }

    /// The id of the account named `name`, created on first use.
    pub fn account_id(&self, name: &str) -> u32 {
        if let Some(id) = self.accounts.read().unwrap_or_else(|e| e.into_inner()).iter().position(|a| &*a.name == name)
        {
            return id as u32;
        }
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = accounts.iter().position(|a| &*a.name == name) {
            return id as u32;
        }
        accounts.push(Arc::new(Account { name: name.into(), sublist: RwLock::new(Sublist::new()) }));
        (accounts.len() - 1) as u32
    }

    /// The account with this id. Ids come from [`Router::account_id`], so they always exist.
    pub fn account(&self, id: u32) -> Arc<Account> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner())[id as usize].clone()
    }

    /// How many accounts exist.
    pub fn account_count(&self) -> usize {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Every account, in id order (for monitoring).
    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Subscriptions over all accounts.
    pub fn subscription_count(&self) -> usize {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).iter().map(|a| a.sublist().count()).sum()
    }

    /// Put `service` into `account`'s trie on `subjects` (each a valid subscribe subject). Returns its id.
    pub fn add_service(
        &self,
        account: u32,
        subjects: &[&[u8]],
        service: Arc<dyn Service>,
    ) -> Result<u32, crate::sublist::SubjectError> {
        self.add_entry(account, subjects, ServiceKind::Answer(service))
    }

    /// Put a stream's `capture` into `account`'s trie on `subjects`, shadowing the subscriptions `shadows`
    /// (the control plane's subscriptions on the same subjects). Returns its id, for `remove_service`.
    pub fn add_capture(
        &self,
        account: u32,
        subjects: &[&[u8]],
        capture: Arc<dyn Capture>,
        shadows: Vec<SubKey>,
    ) -> Result<u32, crate::sublist::SubjectError> {
        let entry = CaptureEntry { capture, shadows: shadows.into_boxed_slice() };
        self.add_entry(account, subjects, ServiceKind::Capture(Arc::new(entry)))
    }

    fn add_entry(
        &self,
        account: u32,
        subjects: &[&[u8]],
        kind: ServiceKind,
    ) -> Result<u32, crate::sublist::SubjectError> {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        // Ids are never reused: a request matched just before a removal must not reach a newer service.
        let id = services.len();
        let key = SubKey { worker: SERVICE_WORKER, gen: kind.gen(), slot: id as u32 };
        let acc = self.account(account);
        let mut added: Vec<Box<[u8]>> = Vec::new();
        {
            let mut trie = acc.sublist_mut();
            for s in subjects {
                if let Err(e) = trie.insert(s, None, key) {
                    for a in &added {
                        trie.remove(a, None, key);
                    }
                    return Err(e);
                }
                added.push((*s).into());
            }
        }
        services.push(Some(ServiceEntry { kind, account, subjects: added }));
        Ok(id as u32)
    }

    /// Take a service or capture out of its account's trie. Messages already matched may still reach it once.
    pub fn remove_service(&self, id: u32) {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = services.get_mut(id as usize).and_then(Option::take) else { return };
        let key = SubKey { worker: SERVICE_WORKER, gen: entry.kind.gen(), slot: id };
        let acc = self.account(entry.account);
        let mut trie = acc.sublist_mut();
        for s in &entry.subjects {
            trie.remove(s, None, key);
        }
    }

    /// The service with this id, if it is still registered.
    pub fn service(&self, id: u32) -> Option<Arc<dyn Service>> {
        let services = self.services.read().unwrap_or_else(|e| e.into_inner());
        match services.get(id as usize).and_then(|e| e.as_ref()).map(|e| &e.kind) {
            Some(ServiceKind::Answer(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// The capture with this id, if it is still registered.
    pub fn capture(&self, id: u32) -> Option<Arc<CaptureEntry>> {
        let services = self.services.read().unwrap_or_else(|e| e.into_inner());
        match services.get(id as usize).and_then(|e| e.as_ref()).map(|e| &e.kind) {
            Some(ServiceKind::Capture(c)) => Some(c.clone()),
            _ => None,
        }
    }

    /// Register how to wake `worker` when forward records arrive for it.
    pub fn set_waker(&self, worker: usize, waker: Waker) {
        *self.inboxes[worker].waker.write().unwrap_or_else(|e| e.into_inner()) = Some(waker);
    }

    /// Move a batch of forward records into `worker`'s inbox (leaving `batch` empty) and wake it if needed.
    pub fn post(&self, worker: usize, batch: &mut Vec<u8>) {
        let inbox = &self.inboxes[worker];
        {
            let mut q = inbox.queue.lock().unwrap_or_else(|e| e.into_inner());
            inbox.posted.fetch_add(1, Ordering::AcqRel);
            inbox.bytes.fetch_add(batch.len(), Ordering::Relaxed);
            if q.is_empty() {
                std::mem::swap(&mut *q, batch);
            } else {
                q.extend_from_slice(batch);
                batch.clear();
            }
        }
        if !inbox.signaled.swap(true, Ordering::AcqRel) {
            if let Some(wake) = inbox.waker.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
                wake();
            }
        }
    }

    /// Take everything in `worker`'s inbox into `into` (which must be empty). The signal is cleared first,
    /// so a record posted while we take is either taken now or wakes us again. Returns the posted count to
    /// hand to [`Router::mark_drained`] once the records are framed.
    pub fn take_inbox(&self, worker: usize, into: &mut Vec<u8>) -> u64 {
        let inbox = &self.inboxes[worker];
        inbox.signaled.store(false, Ordering::Release);
        let mut q = inbox.queue.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *q, into);
        inbox.bytes.store(0, Ordering::Relaxed);
        inbox.posted.load(Ordering::Acquire)
    }

    /// `worker` has framed every batch counted in `taken` (from [`Router::take_inbox`]) into its connections.
    pub fn mark_drained(&self, worker: usize, taken: u64) {
        self.inboxes[worker].drained.store(taken, Ordering::Release);
    }

    /// No forward record is in flight to `worker`: everything posted to it has been framed.
    pub fn inbox_settled(&self, worker: usize) -> bool {
        let inbox = &self.inboxes[worker];
        inbox.drained.load(Ordering::Acquire) == inbox.posted.load(Ordering::Acquire)
    }

    /// Open a direct-delivery gate on socket `fd` if the descriptor budget allows (`direct.rs`).
    pub fn open_gate(&self, fd: i32, owner_pending: bool) -> Option<Arc<crate::direct::DirectGate>> {
        let reserved = self
            .open_gates
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.gate_budget).then_some(n + 1))
            .is_ok();
        if !reserved {
            return None;
        }
        let gate = crate::direct::DirectGate::new(fd, owner_pending, self.open_gates.clone());
        if gate.is_none() {
            self.open_gates.fetch_sub(1, Ordering::AcqRel);
        }
        gate
    }

    /// `worker`'s subscriptions open to direct writes (`direct.rs`).
    pub fn direct_subs(&self, worker: usize) -> &DirectSubs {
        &self.inboxes[worker].direct
    }

    /// Should a publisher forwarding to `worker` be stalled? (Its inbox holds more than `limit` bytes — the
    /// same bound as a connection's stall threshold — or one of its connections is congested.)
    pub fn should_stall(&self, worker: usize, limit: usize) -> bool {
        let inbox = &self.inboxes[worker];
        inbox.congested.load(Ordering::Relaxed) || inbox.bytes.load(Ordering::Relaxed) > limit
    }

    /// Is any worker congested or backed up? (A stalled publisher waits for this to clear.)
    pub fn any_congested(&self, limit: usize) -> bool {
        (0..self.inboxes.len()).any(|w| self.should_stall(w, limit))
    }

    /// Record whether `worker` has congested connections.
    pub fn set_congested(&self, worker: usize, congested: bool) {
        self.inboxes[worker].congested.store(congested, Ordering::Relaxed);
    }
}

/// A message forwarded to another worker, decoded from its inbox. Slices borrow the inbox buffer.
pub struct Forwarded<'a> {
    pub subject: &'a [u8],
    pub reply: &'a [u8],
    pub header_len: Option<usize>,
    pub body: &'a [u8],
    /// (slot, generation) pairs of the target worker's subscriptions.
    targets: &'a [u8],
}

impl Forwarded<'_> {
    pub fn targets(&self) -> impl Iterator<Item = (u32, u16)> + '_ {
        self.targets
            .chunks_exact(6)
            .map(|t| (u32::from_le_bytes([t[0], t[1], t[2], t[3]]), u16::from_le_bytes([t[4], t[5]])))
    }
}

const NO_HEADER: u32 = u32::MAX;

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append one forward record: the message and the target subscriptions (slot, generation).
pub fn encode_forward(
    out: &mut Vec<u8>,
    subject: &[u8],
    reply: &[u8],
    header_len: Option<usize>,
    body: &[u8],
    targets: &[(u32, u16)],
) {
    put_u32(out, subject.len() as u32);
    out.extend_from_slice(subject);
    put_u32(out, reply.len() as u32);
    out.extend_from_slice(reply);
    put_u32(out, header_len.map_or(NO_HEADER, |h| h as u32));
    put_u32(out, body.len() as u32);
    out.extend_from_slice(body);
    put_u32(out, targets.len() as u32);
    for &(slot, gen) in targets {
        put_u32(out, slot);
        out.extend_from_slice(&gen.to_le_bytes());
    }
}

/// Decodes the records of an inbox buffer in order. Records are written only by [`encode_forward`] inside
/// this process, so a malformed buffer is a bug: decoding stops rather than guessing.
pub struct ForwardReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ForwardReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        ForwardReader { buf, pos: 0 }
    }

    fn u32(&mut self) -> Option<u32> {
        let b = self.buf.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(b)
    }
}

impl<'a> Iterator for ForwardReader<'a> {
    type Item = Forwarded<'a>;

    fn next(&mut self) -> Option<Forwarded<'a>> {
        let n = self.u32()? as usize;
        let subject = self.bytes(n)?;
        let n = self.u32()? as usize;
        let reply = self.bytes(n)?;
        let hdr = self.u32()?;
        let n = self.u32()? as usize;
        let body = self.bytes(n)?;
        let n = self.u32()? as usize;
        let targets = self.bytes(n * 6)?;
        Some(Forwarded {
            subject,
            reply,
            header_len: if hdr == NO_HEADER { None } else { Some(hdr as usize) },
            body,
            targets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn records_round_trip() {
        let mut buf = Vec::new();
        encode_forward(&mut buf, b"foo.bar", b"", None, b"hello", &[(1, 2), (7, 0)]);
        encode_forward(&mut buf, b"h", b"r.1", Some(12), b"NATS/1.0\r\n\r\nhi", &[(3, 9)]);
        let recs: Vec<_> = ForwardReader::new(&buf).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].subject, b"foo.bar");
        assert_eq!(recs[0].header_len, None);
        assert_eq!(recs[0].body, b"hello");
        assert_eq!(recs[0].targets().collect::<Vec<_>>(), vec![(1, 2), (7, 0)]);
        assert_eq!(recs[1].reply, b"r.1");
        assert_eq!(recs[1].header_len, Some(12));
        assert_eq!(recs[1].targets().collect::<Vec<_>>(), vec![(3, 9)]);
    }

    #[test]
    fn service_replies_come_out_in_order() {
        let mut r = ServiceReply::default();
        r.hdr.extend_from_slice(b"NATS/1.0\r\n\r\n");
        r.body.extend_from_slice(b"one");
        r.next();
        r.body.extend_from_slice(b"two");
        r.next();
        r.hdr.extend_from_slice(b"NATS/1.0 204 EOB\r\n\r\n");
        let earlier: Vec<_> = r.earlier().collect();
        assert_eq!(earlier, [(Some(12), &b"NATS/1.0\r\n\r\none"[..]), (None, &b"two"[..])]);
        assert_eq!((&r.hdr[..], &r.body[..]), (&b"NATS/1.0 204 EOB\r\n\r\n"[..], &b""[..]));
        r.clear();
        assert_eq!(r.earlier().count(), 0);
    }

    #[test]
    fn a_worker_is_woken_once_until_it_takes_its_inbox() {
        let router = Router::new(2);
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        router.set_waker(
            1,
            Arc::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let mut batch = b"abc".to_vec();
        router.post(1, &mut batch);
        assert!(batch.is_empty());
        router.post(1, &mut b"def".to_vec());
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        let mut got = Vec::new();
        router.take_inbox(1, &mut got);
        assert_eq!(got, b"abcdef");
        router.post(1, &mut b"g".to_vec());
        assert_eq!(wakes.load(Ordering::SeqCst), 2);
    }
}
