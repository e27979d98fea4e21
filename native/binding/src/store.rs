//! Node-API binding for `myelin-store`: one `NativeStore` object per stream, wrapping a [`MsgStore`].
//! Conversion only; the JetStream logic (dedup, expected headers, consumers) is in `src/jetstream`.
//!
//! On the data path calls are per run of published messages (`storeRun`; `store` for those with headers) and
//! per batch of deliveries (`deliverBatch`), and one `sync` per event-loop turn covers every `store` of that
//! turn (group commit). Timestamps are Unix nanoseconds as
//! JS BigInts (they do not fit a double).

use std::path::Path;

use std::sync::{Arc, Mutex, MutexGuard};

use myelin_store::capture::CaptureState;
use myelin_store::clock;
use myelin_store::direct_get::SharedStore;
use myelin_store::file::{FileStore, RecoveryProblem, RecoveryReport};
use myelin_store::mem::MemStore;
use myelin_store::ttl::Ttl;
use myelin_store::{Discard, MsgStore, StoreError, StoreLimits, StoredMsg};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::deliver::{frame_batch, DeliverySpec};
use crate::ingest::{run_len, store_run};

/// A stream's limits, as the store enforces them (nats-server's stream config fields).
#[napi(object)]
pub struct StoreLimitsJs {
    pub max_msgs: f64,
    pub max_bytes: f64,
    pub max_age_ns: BigInt,
    pub max_msg_size: i32,
    pub max_msgs_per_subject: f64,
    /// "old" or "new".
    pub discard: String,
    pub discard_new_per_subject: bool,
    /// `subject_delete_marker_ttl` is set (see `MsgStore::expire_due`).
    pub subject_delete_markers: bool,
}

impl From<&StoreLimitsJs> for StoreLimits {
    fn from(l: &StoreLimitsJs) -> StoreLimits {
        StoreLimits {
            max_msgs: l.max_msgs as i64,
            max_bytes: l.max_bytes as i64,
            max_age_ns: l.max_age_ns.get_i64().0,
            max_msg_size: l.max_msg_size,
            max_msgs_per_subject: l.max_msgs_per_subject as i64,
            discard: if l.discard == "new" { Discard::New } else { Discard::Old },
            discard_new_per_subject: l.discard_new_per_subject,
            subject_delete_markers: l.subject_delete_markers,
        }
    }
}

/// One stored message; the buffers are the caller's.
#[napi(object)]
pub struct StoredMsgJs {
    pub seq: f64,
    pub ts_ns: BigInt,
    pub subject: String,
    pub hdr: Buffer,
    pub msg: Buffer,
}

impl From<StoredMsg> for StoredMsgJs {
    fn from(m: StoredMsg) -> StoredMsgJs {
        StoredMsgJs {
            seq: m.seq as f64,
            ts_ns: BigInt::from(m.ts_ns),
            subject: String::from_utf8_lossy(&m.subject).into_owned(),
            hdr: m.hdr.into(),
            msg: m.msg.into(),
        }
    }
}

#[napi(object)]
pub struct StreamStateJs {
    pub msgs: f64,
    pub bytes: f64,
    pub first_seq: f64,
    pub first_ts_ns: BigInt,
    pub last_seq: f64,
    pub last_ts_ns: BigInt,
    pub num_deleted: f64,
    pub num_subjects: f64,
}

#[napi(object)]
pub struct SubjectCount {
    pub subject: String,
    pub msgs: f64,
}

/// A store error for JS: `code` is the [`StoreError`] variant in lower snake case, `message` its text.
fn to_js(e: StoreError) -> Error {
    let code = match e {
        StoreError::MaxMsgs => "max_msgs",
        StoreError::MaxBytes => "max_bytes",
        StoreError::MaxMsgsPerSubject => "max_msgs_per_subject",
        StoreError::MsgTooBig => "msg_too_big",
        StoreError::NotFound => "not_found",
        StoreError::Closed => "closed",
        StoreError::Io(_) => "io",
        StoreError::Corrupt(_) => "corrupt",
    };
    Error::new(Status::GenericFailure, format!("{code}: {e}"))
}

/// What the file store found and repaired when it opened (`FileStore::recovery_report`), for the startup log.
#[napi(object)]
pub struct RecoveryReportJs {
    pub segments: u32,
    pub from_summary: u32,
    pub scanned_bytes: f64,
    pub msgs: f64,
    /// One line per repair, in words (what was cut or skipped, and which sequences may be lost).
    pub problems: Vec<String>,
}

impl From<&RecoveryReport> for RecoveryReportJs {
    fn from(r: &RecoveryReport) -> RecoveryReportJs {
        RecoveryReportJs {
            segments: r.segments as u32,
            from_summary: r.from_summary as u32,
            scanned_bytes: r.scanned_bytes as f64,
            msgs: r.msgs as f64,
            problems: r.problems.iter().map(describe).collect(),
        }
    }
}

fn describe(p: &RecoveryProblem) -> String {
    match *p {
        RecoveryProblem::TornTail { segment, offset, bytes } => {
            format!("block {segment}: truncated {bytes} trailing bytes of an incomplete write at offset {offset} (unsynced data)")
        }
        RecoveryProblem::Corrupt { segment, from, to, after_seq, before_seq } => {
            let lost = match (after_seq, before_seq) {
                (a, 0) => format!("messages after sequence {a} may be lost"),
                (a, b) => format!("messages between sequences {a} and {b} are lost"),
            };
            format!("block {segment}: skipped corrupt bytes {from}..{to}, {lost}")
        }
        RecoveryProblem::BadHeader { segment, removed: true } => {
            format!("block {segment}: unreadable header and no records, file removed")
        }
        RecoveryProblem::BadHeader { segment, removed: false } => {
            format!("block {segment}: unreadable header, records recovered by scanning")
        }
        RecoveryProblem::BadSummary { segment } => {
            format!("block {segment}: index damaged or outdated, rebuilt by scanning (nothing lost)")
        }
    }
}

/// The one place a stream's storage kind becomes a store. A file stream keeps its messages in `<dir>/msgs`
/// (nats-server's layout: the stream folder holds the meta files and `obs/`, the blocks live in `msgs/`).
fn open_store(storage: &str, dir: &Path, limits: StoreLimits) -> Result<(Box<dyn MsgStore>, Option<RecoveryReport>)> {
    match storage {
        "memory" => Ok((Box::new(MemStore::new(limits)), None)),
        "file" => {
            let fs = FileStore::open(&dir.join("msgs"), limits).map_err(to_js)?;
            let report = fs.recovery_report().clone();
            Ok((Box::new(fs), Some(report)))
        }
        other => Err(Error::new(Status::InvalidArg, format!("unknown storage {other}"))),
    }
}

#[napi]
pub struct NativeStore {
    /// Shared with the stream's direct-get service, which reads it from any worker thread (`registerDirectGet`).
    inner: SharedStore,
    /// Set for file stores: what opening them recovered.
    report: Option<RecoveryReport>,
    /// The policy of the stream's capture (`registerCapture`), set by the control plane.
    capture: Arc<CaptureState>,
}

impl NativeStore {
    /// The store, locked for the caller's statement. Only the direct-get service contends for it, briefly.
    fn locked(&self) -> MutexGuard<'_, Box<dyn MsgStore>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shared handle, for a direct-get service or a capture.
    pub fn shared(&self) -> SharedStore {
        self.inner.clone()
    }

    pub fn capture_state(&self) -> Arc<CaptureState> {
        self.capture.clone()
    }
}

#[napi]
impl NativeStore {
    /// Open (or create) a stream's store. `storage` is "memory" or "file"; `dir` is the stream's folder.
    #[napi(constructor)]
    pub fn new(storage: String, dir: String, limits: StoreLimitsJs) -> Result<Self> {
        let (inner, report) = open_store(&storage, Path::new(&dir), StoreLimits::from(&limits))?;
        Ok(NativeStore { inner: Arc::new(Mutex::new(inner)), report, capture: Arc::default() })
    }

    /// What recovery found when a file store was opened; null for memory stores.
    #[napi]
    pub fn recovery_report(&self) -> Option<RecoveryReportJs> {
        self.report.as_ref().map(Into::into)
    }

    /// Store a message; returns its sequence. Throws `max_msgs: …`, `msg_too_big: …` and the like.
    #[napi]
    pub fn store(&mut self, subject: &[u8], hdr: &[u8], msg: &[u8], ts_ns: BigInt) -> Result<f64> {
        let mut store = self.locked();
        let ts = clock::reserve(ts_ns.get_i64().0, 1);
        store.store(subject, hdr, msg, ts).map(|s| s as f64).map_err(to_js)
    }

    /// Store with the caller's timestamp as it is, not drawn from the shared clock: a mirror keeps its origin's.
    #[napi]
    pub fn store_at(&mut self, subject: &[u8], hdr: &[u8], msg: &[u8], ts_ns: BigInt) -> Result<f64> {
        self.locked().store(subject, hdr, msg, ts_ns.get_i64().0).map(|s| s as f64).map_err(to_js)
    }

    /// Store a run of header-less messages framed in `buf` (see ingest.rs for `index` and the result): one
    /// call per run on the publish path.
    #[napi]
    pub fn store_run(&mut self, buf: &[u8], index: &[u8], ts_ns: BigInt, ack_prefix: &[u8]) -> Buffer {
        let mut store = self.locked();
        let ts = clock::reserve(ts_ns.get_i64().0, run_len(index));
        store_run(store.as_mut(), buf, index, ts, ack_prefix).into()
    }

    /// The capture's policy (see myelin_store::capture): store header-less publishes on the receiving thread,
    /// send their acks (unless `no_ack`), and call the registration's `onStored` after storing (`notify`).
    #[napi]
    pub fn set_capture(&self, enabled: bool, no_ack: bool, notify: bool) {
        self.capture.set(enabled, no_ack, notify);
    }

    /// The control plane stored `count` messages that reached its subscription while a capture was registered.
    #[napi]
    pub fn settle_capture(&self, count: u32) {
        self.capture.settle(count as u64);
    }

    /// The control plane took the capture's `onStored` notification.
    #[napi]
    pub fn capture_notified(&self) {
        self.capture.notified();
    }

    #[napi]
    pub fn sync(&mut self) -> Result<()> {
        self.locked().sync().map_err(to_js)
    }

    /// Write buffered messages to the OS without fsync (acks under a `sync_interval`).
    #[napi]
    pub fn flush(&mut self) -> Result<()> {
        self.locked().flush().map_err(to_js)
    }

    #[napi]
    pub fn load(&self, seq: f64) -> Result<Option<StoredMsgJs>> {
        match self.locked().load(seq as u64) {
            Ok(m) => Ok(Some(m.into())),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(to_js(e)),
        }
    }

    #[napi]
    pub fn load_next(&self, start: f64, filter: &[u8]) -> Result<Option<StoredMsgJs>> {
        self.locked().load_next(start as u64, filter).map(|m| m.map(Into::into)).map_err(to_js)
    }

    /// Frame up to `max_msgs` first deliveries from `start` (see deliver.rs for the Buffer's layout): one
    /// call per batch on the delivery path.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn deliver_batch(
        &self,
        start: f64,
        filter: &[u8],
        max_msgs: u32,
        max_bytes: f64,
        route: &[u8],
        reply_prefix: &[u8],
        first_cseq: f64,
        pending_before: f64,
    ) -> Result<Buffer> {
        let spec = DeliverySpec {
            start: start as u64,
            filter,
            max_msgs: max_msgs as usize,
            max_bytes: max_bytes as usize,
            route,
            reply_prefix,
            first_cseq: first_cseq as u64,
            pending_before: pending_before as u64,
        };
        frame_batch(self.locked().as_ref(), &spec).map(Into::into).map_err(to_js)
    }

    #[napi]
    pub fn load_last(&self, filter: &[u8]) -> Result<Option<StoredMsgJs>> {
        match self.locked().load_last(filter) {
            Ok(m) => Ok(Some(m.into())),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(to_js(e)),
        }
    }

    #[napi]
    pub fn seq_for_time(&self, ts_ns: BigInt) -> f64 {
        self.locked().seq_for_time(ts_ns.get_i64().0) as f64
    }

    #[napi]
    pub fn remove(&mut self, seq: f64) -> Result<bool> {
        self.locked().remove(seq as u64).map_err(to_js)
    }

    #[napi]
    pub fn purge(&mut self, filter: &[u8], upto_seq: f64, keep: f64) -> Result<f64> {
        self.locked().purge(filter, upto_seq as u64, keep as u64).map(|n| n as f64).map_err(to_js)
    }

    #[napi]
    pub fn expire(&mut self, now_ns: BigInt) -> Result<f64> {
        self.locked().expire(now_ns.get_i64().0).map(|n| n as f64).map_err(to_js)
    }

    /// Expiry by age and by `Nats-TTL`: how many went, and the sequences left for a subject delete marker.
    #[napi]
    pub fn expire_due(&mut self, now_ns: BigInt) -> Result<ExpiredJs> {
        let e = self.locked().expire_due(now_ns.get_i64().0).map_err(to_js)?;
        Ok(ExpiredJs { removed: e.removed as f64, await_marker: e.await_marker.iter().map(|&s| s as f64).collect() })
    }

    #[napi]
    pub fn set_limits(&mut self, limits: StoreLimitsJs) -> Result<()> {
        self.locked().set_limits(StoreLimits::from(&limits)).map_err(to_js)
    }

    #[napi]
    pub fn state(&self) -> StreamStateJs {
        let s = self.locked().state();
        StreamStateJs {
            msgs: s.msgs as f64,
            bytes: s.bytes as f64,
            first_seq: s.first_seq as f64,
            first_ts_ns: BigInt::from(s.first_ts_ns),
            last_seq: s.last_seq as f64,
            last_ts_ns: BigInt::from(s.last_ts_ns),
            num_deleted: s.num_deleted as f64,
            num_subjects: s.num_subjects as f64,
        }
    }

    #[napi]
    pub fn subjects_state(&self, filter: &[u8]) -> Vec<SubjectCount> {
        self.locked()
            .subjects_state(filter)
            .into_iter()
            .map(|(s, n)| SubjectCount { subject: String::from_utf8_lossy(&s).into_owned(), msgs: n as f64 })
            .collect()
    }

    #[napi]
    pub fn num_pending(&self, start: f64, filter: &[u8], last_per_subject: bool) -> f64 {
        self.locked().num_pending(start as u64, filter, last_per_subject) as f64
    }

    #[napi]
    pub fn destroy(&mut self) -> Result<()> {
        self.locked().destroy().map_err(to_js)
    }

    /// Cold storage: move the oldest sealed segments whose messages are all older than `before_ts_ns` into
    /// `archive_dir`; returns how many messages left the stream (0 for memory stores).
    #[napi]
    pub fn archive_older_than(&mut self, before_ts_ns: BigInt, archive_dir: String) -> Result<f64> {
        self.locked()
            .archive_older_than(before_ts_ns.get_i64().0, Path::new(&archive_dir))
            .map(|n| n as f64)
            .map_err(to_js)
    }
}

/// The messages of one cold-storage archive file, checksums checked (the `myelin archive` command).
#[napi(object)]
pub struct ExpiredJs {
    pub removed: f64,
    pub await_marker: Vec<f64>,
}

/// A header block's `Nats-TTL` as nats-server reads it (`myelin_store::ttl`): seconds (> 0), 0 for none,
/// -1 for `never`, -2 for a value nats-server refuses.
#[napi]
pub fn msg_ttl(hdr: &[u8]) -> f64 {
    match myelin_store::ttl::msg_ttl(hdr) {
        Ttl::Secs(s) => s as f64,
        Ttl::None => 0.0,
        Ttl::Never => -1.0,
        Ttl::Invalid => -2.0,
    }
}

#[napi]
pub fn read_archive_file(path: String) -> Result<Vec<StoredMsgJs>> {
    Ok(myelin_store::file::read_archive_file(Path::new(&path)).map_err(to_js)?.into_iter().map(Into::into).collect())
}
