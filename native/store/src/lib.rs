//! Myelin store: where JetStream streams keep their messages.
//!
//! A tour:
//!
//! * [`MsgStore`]: the one contract every stream storage backend implements. The JetStream layer (stream
//!   limits bookkeeping aside) sees nothing else, so memory and file streams behave identically.
//! * `mem`: [`MsgStore`] in memory (`storage: memory`).
//! * `file`: [`MsgStore`] on disk (`storage: file`): append-only segment files, a checksum on every record,
//!   indexes by sequence, subject and time, tombstones for deletes, recovery that cuts a torn tail.
//! * `direct_get`: JetStream's direct get as an in-engine service, answered on the thread that received the
//!   request, reading a store shared with the control plane ([`direct_get::SharedStore`]).
//! * `capture`: header-less publishes stored and acknowledged by the worker thread that parses them, when
//!   the control plane allows it ([`capture::CaptureState`]).
//! * `clock`: message timestamps, strictly increasing across the threads that write a stream.
//!
//! Durability contract: [`MsgStore::store`] makes a message visible to readers at once but durable only after
//! the next [`MsgStore::sync`] returns. The JetStream layer acknowledges a publish only after the sync that
//! covers it (group commit: many stores, one sync), unless the stream's sync policy says otherwise.
//!
//! Subject filters use `myelin_core::subject::subject_matches`, the project's one definition of matching.

pub mod capture;
pub mod clock;
pub mod direct_get;
pub mod mem;
pub mod ttl;

use std::fmt;

pub mod file;

/// How a stream makes room when a limit is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Discard {
    /// Remove the oldest messages (nats-server's default).
    #[default]
    Old,
    /// Refuse the new message.
    New,
}

/// Limits enforced by the store itself on every [`MsgStore::store`]. -1 (or 0 for `max_msg_size` < 0)
/// means unlimited, as in nats-server's stream config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    pub max_msgs: i64,
    pub max_bytes: i64,
    /// Nanoseconds; 0 means no age limit.
    pub max_age_ns: i64,
    pub max_msg_size: i32,
    pub max_msgs_per_subject: i64,
    pub discard: Discard,
    /// With `Discard::New`, also refuse a message when its subject is at `max_msgs_per_subject`.
    pub discard_new_per_subject: bool,
    /// `subject_delete_marker_ttl` is set: expiry leaves the last message of a subject for the caller to
    /// replace by a delete marker ([`MsgStore::expire_due`]).
    pub subject_delete_markers: bool,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_msgs: -1,
            max_bytes: -1,
            max_age_ns: 0,
            max_msg_size: -1,
            max_msgs_per_subject: -1,
            discard: Discard::Old,
            discard_new_per_subject: false,
            subject_delete_markers: false,
        }
    }
}

/// One stored message, as read back. Owned by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMsg {
    pub seq: u64,
    /// Unix time in nanoseconds, assigned when stored.
    pub ts_ns: i64,
    pub subject: Vec<u8>,
    /// The NATS header block (`NATS/1.0\r\n...\r\n\r\n`), empty when none.
    pub hdr: Vec<u8>,
    pub msg: Vec<u8>,
}

/// A stored message lent to a [`MsgStore::visit_from`] visitor: the slices are valid for that call only.
#[derive(Clone, Copy, Debug)]
pub struct MsgView<'a> {
    pub seq: u64,
    pub ts_ns: i64,
    pub subject: &'a [u8],
    pub hdr: &'a [u8],
    pub msg: &'a [u8],
}

impl<'a> From<&'a StoredMsg> for MsgView<'a> {
    fn from(m: &'a StoredMsg) -> MsgView<'a> {
        MsgView { seq: m.seq, ts_ns: m.ts_ns, subject: &m.subject, hdr: &m.hdr, msg: &m.msg }
    }
}

/// What [`MsgStore::expire_due`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    pub removed: u64,
    /// Expired messages left in place, in sequence order, because each is the last of its subject (and not a
    /// marker itself) while subject delete markers are on: the caller stores a marker for the subject with a
    /// subject rollup, which removes them. Reported again by every call until then.
    pub await_marker: Vec<u64>,
}

/// The stream state reported in stream info (`state` in nats-server's JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamState {
    pub msgs: u64,
    /// Bytes as nats-server counts them: subject + headers + payload + 16 per message.
    pub bytes: u64,
    pub first_seq: u64,
    pub first_ts_ns: i64,
    pub last_seq: u64,
    pub last_ts_ns: i64,
    /// Sequences between first and last that were deleted (interior gaps).
    pub num_deleted: u64,
    pub num_subjects: u64,
}

#[derive(Debug)]
pub enum StoreError {
    /// Discard::New and `max_msgs` reached (nats-server: "maximum messages exceeded").
    MaxMsgs,
    /// Discard::New and `max_bytes` reached ("maximum bytes exceeded").
    MaxBytes,
    /// Discard::New per subject reached ("maximum messages per subject exceeded").
    MaxMsgsPerSubject,
    /// Larger than `max_msg_size` ("message size exceeds maximum allowed").
    MsgTooBig,
    /// No message at that sequence or for that filter ("no message found").
    NotFound,
    /// The store was closed or deleted.
    Closed,
    Io(std::io::Error),
    /// Unreadable data found during a read (not during recovery, which repairs instead).
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::MaxMsgs => f.write_str("maximum messages exceeded"),
            StoreError::MaxBytes => f.write_str("maximum bytes exceeded"),
            StoreError::MaxMsgsPerSubject => f.write_str("maximum messages per subject exceeded"),
            StoreError::MsgTooBig => f.write_str("message size exceeds maximum allowed"),
            StoreError::NotFound => f.write_str("no message found"),
            StoreError::Closed => f.write_str("store closed"),
            StoreError::Io(e) => write!(f, "i/o error: {e}"),
            StoreError::Corrupt(s) => write!(f, "corrupt store: {s}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The bytes nats-server charges a message against `max_bytes` and reports in `state.bytes`.
pub fn msg_size(subject: &[u8], hdr: &[u8], msg: &[u8]) -> u64 {
    (subject.len() + hdr.len() + msg.len() + 16) as u64
}

/// Storage for one stream. Sequences start at 1 and are never reused, even after purge or restart.
pub trait MsgStore: Send {
    /// Append a message with the next sequence and timestamp `ts_ns`, enforcing the limits (with
    /// `Discard::Old`, removing the oldest messages to make room). Visible to reads at once; durable after
    /// the next [`MsgStore::sync`]. Returns the new sequence.
    fn store(&mut self, subject: &[u8], hdr: &[u8], msg: &[u8], ts_ns: i64) -> Result<u64>;

    /// Make every message stored so far durable (fsync for the file store; nothing for memory).
    fn sync(&mut self) -> Result<()>;

    /// Hand every message stored so far to the OS without waiting for the disk: a process crash (`kill -9`)
    /// no longer loses it, a power loss still can. For `sync_interval` > 0, where acks do not wait for
    /// [`MsgStore::sync`]. Nothing to do for stores without a user-space buffer.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    /// The message at `seq`.
    fn load(&self, seq: u64) -> Result<StoredMsg>;

    /// The first message with sequence >= `start` whose subject matches `filter` (a subject that may hold
    /// wildcards; empty or `>` means all). `Ok(None)` when there is none.
    fn load_next(&self, start: u64, filter: &[u8]) -> Result<Option<StoredMsg>>;

    /// Lend up to `max` messages, in sequence order, with sequence >= `start` whose subject matches `filter`
    /// (as `load_next`), to `visit`, stopping early when it returns false (it has not taken that message).
    /// For consumer deliveries: nothing is copied per message, and a store may read neighbouring messages in
    /// one go (the file store: one read per run of adjacent records). The default loads them one by one.
    fn visit_from(
        &self,
        start: u64,
        filter: &[u8],
        max: usize,
        visit: &mut dyn FnMut(MsgView<'_>) -> bool,
    ) -> Result<()> {
        let mut seq = start;
        for _ in 0..max {
            let Some(m) = self.load_next(seq, filter)? else { break };
            seq = m.seq + 1;
            if !visit(MsgView::from(&m)) {
                break;
            }
        }
        Ok(())
    }

    /// The last message whose subject matches `filter`.
    fn load_last(&self, filter: &[u8]) -> Result<StoredMsg>;

    /// The first sequence whose timestamp is >= `ts_ns` (for deliver-by-start-time), or last_seq + 1.
    fn seq_for_time(&self, ts_ns: i64) -> u64;

    /// Remove one message. `Ok(false)` when it was not there.
    fn remove(&mut self, seq: u64) -> Result<bool>;

    /// Purge messages matching `filter` (empty means all) with sequence < `upto_seq` (0 means no bound),
    /// leaving the newest `keep` per the filter (0 means keep none). Returns how many were removed.
    /// A full purge with no bounds moves first_seq to last_seq + 1.
    fn purge(&mut self, filter: &[u8], upto_seq: u64, keep: u64) -> Result<u64>;

    /// Remove the messages that expired as of `now_ns`: older than the age limit (unless their `Nats-TTL` is
    /// `never`), or past their own `Nats-TTL` (whatever the age limit). See [`Expired`] for subject delete
    /// markers.
    fn expire_due(&mut self, now_ns: i64) -> Result<Expired>;

    /// [`MsgStore::expire_due`], counting what went.
    fn expire(&mut self, now_ns: i64) -> Result<u64> {
        Ok(self.expire_due(now_ns)?.removed)
    }

    /// Replace the limits (a stream update), applying them at once.
    fn set_limits(&mut self, limits: StoreLimits) -> Result<()>;

    fn state(&self) -> StreamState;

    /// Message counts per subject, for subjects matching `filter` (stream info `subjects_filter`).
    fn subjects_state(&self, filter: &[u8]) -> Vec<(Vec<u8>, u64)>;

    /// Messages with sequence >= `start` matching `filter`; with `last_per_subject`, only the last of each
    /// subject counts (consumer num_pending for deliver_policy last_per_subject).
    fn num_pending(&self, start: u64, filter: &[u8], last_per_subject: bool) -> u64;

    /// Delete everything the store holds, on disk too. The store is unusable afterwards.
    fn destroy(&mut self) -> Result<()>;

    /// Cold storage: move the oldest sealed segments whose messages are all older than `before_ts_ns` into
    /// `archive_dir` (`file::archive`), returning how many messages left the stream. A store without sealed
    /// segments on disk (memory) has nothing to move.
    fn archive_older_than(&mut self, _before_ts_ns: i64, _archive_dir: &std::path::Path) -> Result<u64> {
        Ok(0)
    }
}
