//! The publishing side of direct delivery (`crate::direct`): at the end of a chunk, a small forward batch for
//! another worker is written straight to its connections' sockets where they are idle, and only the rest is
//! posted to that worker's inbox.

use std::sync::Arc;

use super::{write_msg_line, Engine};
use crate::direct::{DirectGate, Sent};
use crate::router::{encode_forward, ForwardReader};

/// At most this many forward records in a worker's batch are tried directly: request/reply traffic makes one
/// or two per chunk, while a stream of messages keeps the batched inbox path (one wake-up per chunk, the
/// target frames in parallel).
pub(super) const DIRECT_MAX_RECORDS: usize = 4;

/// One connection's share of a batch: its framed bytes, and the (record, slot, generation) they came from in
/// case it is busy and they must be forwarded after all.
struct ConnShare {
    gate: Arc<DirectGate>,
    bytes: Vec<u8>,
    msgs: u64,
    payload: u64,
    targets: Vec<(usize, u32, u16)>,
}

impl Engine {
    /// Post this chunk's forward batches, first writing small ones directly where the target connections
    /// are idle.
    pub(super) fn post_forwards(&mut self) {
        for worker in 0..self.fwd.batches.len() {
            let records = std::mem::take(&mut self.fwd.records[worker]);
            if self.fwd.batches[worker].is_empty() {
                continue;
            }
            if records <= DIRECT_MAX_RECORDS && !self.t.cfg.trace && self.router.inbox_settled(worker) {
                self.send_direct(worker);
            }
            if !self.fwd.batches[worker].is_empty() {
                self.router.post(worker, &mut self.fwd.batches[worker]);
            }
        }
    }

    /// Write `worker`'s batch directly if every target is a direct subscription; leave in the batch what
    /// must still be posted (messages for busy connections, flush notes after partial writes).
    fn send_direct(&mut self, worker: usize) {
        let batch = std::mem::take(&mut self.fwd.batches[worker]);
        let mut shares: Vec<ConnShare> = Vec::new();
        let mut all_direct = true;
        {
            let direct = self.router.direct_subs(worker).read();
            'records: for (i, rec) in ForwardReader::new(&batch).enumerate() {
                // A message trace's state (`msg_trace_flow.rs`) is for the owning worker's engine.
                if rec.subject.is_empty() {
                    all_direct = false;
                    break 'records;
                }
                for (slot, gen) in rec.targets() {
                    let Some(sub) = direct.get(&slot).filter(|s| s.gen == gen) else {
                        all_direct = false;
                        break 'records;
                    };
                    let at = match shares.iter().position(|s| Arc::ptr_eq(&s.gate, &sub.gate)) {
                        Some(at) => at,
                        None => {
                            shares.push(ConnShare {
                                gate: sub.gate.clone(),
                                bytes: Vec::new(),
                                msgs: 0,
                                payload: 0,
                                targets: Vec::new(),
                            });
                            shares.len() - 1
                        }
                    };
                    let share = &mut shares[at];
                    frame_msg(&mut share.bytes, rec.subject, &sub.sid, rec.reply, rec.header_len, rec.body);
                    share.msgs += 1;
                    share.payload += rec.body.len() as u64;
                    share.targets.push((i, slot, gen));
                }
            }
        }
        if !all_direct {
            // Not every target can be written directly: the whole batch takes the inbox path, which keeps each
            // connection's messages in one order.
            self.fwd.batches[worker] = batch;
            return;
        }
        let mut leftover = Vec::new();
        let mut records: Vec<_> = Vec::new();
        for share in &shares {
            match share.gate.try_send(&share.bytes) {
                Sent::All => self.count_direct(share),
                Sent::Partial => {
                    self.count_direct(share);
                    let &(_, slot, gen) = share.targets.last().expect("a share has a target");
                    encode_forward(&mut leftover, b"", b"", None, b"", &[(slot, gen)]);
                }
                Sent::Busy => {
                    if records.is_empty() {
                        records = ForwardReader::new(&batch).collect();
                    }
                    for &(i, slot, gen) in &share.targets {
                        let r = &records[i];
                        encode_forward(&mut leftover, r.subject, r.reply, r.header_len, r.body, &[(slot, gen)]);
                    }
                }
            }
        }
        drop(records);
        self.fwd.batches[worker] = leftover;
        // Keep the batch buffer's allocation for the next chunk when nothing is left over.
        if self.fwd.batches[worker].is_empty() {
            let mut spare = batch;
            spare.clear();
            self.fwd.batches[worker] = spare;
        }
    }

    fn count_direct(&mut self, share: &ConnShare) {
        share.gate.count(share.msgs, share.payload);
        self.t.counters.out_msgs += share.msgs;
        self.t.counters.out_bytes += share.payload;
    }
}

/// A whole delivery frame, as the owner would have written it. Direct subscriptions all take headers
/// (`Tables::register_direct`), so the header block stays in the payload.
fn frame_msg(out: &mut Vec<u8>, subject: &[u8], sid: &[u8], reply: &[u8], header_len: Option<usize>, body: &[u8]) {
    write_msg_line(out, subject, sid, reply, header_len, body.len());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}
