//! One message, or a batch of them from a sequence, a time or a subject filter (nats-server's
//! `getDirectRequest`). A batch's messages carry `Nats-Num-Pending` (what matches after them) and
//! `Nats-Last-Sequence` (the batch's previous message, 0 for the first) and the batch ends with
//! `204 EOB`; nothing at all found is `404 Message Not Found`, without an EOB.

use std::io::Write;

use super::request::Request;
use super::{sent_size, write_headers, Replies, DEFAULT_MAX_BYTES, NOT_FOUND};
use crate::MsgStore;

pub(super) fn answer(store: &dyn MsgStore, stream: &str, req: &Request, out: &mut Replies<'_>) {
    let next_for = req.next_by_subj.as_bytes();
    let mut seq = req.start_time.map_or(req.seq, |t| store.seq_for_time(t));
    let is_batch = req.batch != 0;
    let batch = if is_batch { req.batch } else { 1 };
    // Counted once: the lock held for the whole request keeps it true while the batch is read.
    let mut pending = if is_batch { store.num_pending(seq, next_for, false) } else { 0 };
    let max_bytes = if req.max_bytes == 0 { DEFAULT_MAX_BYTES } else { req.max_bytes };
    let (mut sent_bytes, mut last_seq) = (0i64, 0u64);
    for i in 0..batch {
        let found = if seq > 0 && next_for.is_empty() {
            if i == 0 && !is_batch {
                store.load(seq).map(Some)
            } else {
                // Steps over deleted sequences.
                store.load_next(seq, b">")
            }
        } else if !next_for.is_empty() {
            store.load_next(seq.max(1), next_for)
        } else {
            store.load_last(req.last_by_subj.as_bytes()).map(Some)
        };
        let m = match found {
            Ok(Some(m)) => m,
            // nats-server answers any failed read as not found.
            Ok(None) | Err(_) => {
                if i > 0 {
                    break;
                }
                out.status(NOT_FOUND);
                return;
            }
        };
        seq = m.seq + 1;
        let reply = out.next();
        if !req.no_hdr {
            // As nats-server, which counts down only the messages it writes these headers for.
            let batch_fields = is_batch.then(|| {
                pending = pending.saturating_sub(1);
                (pending, last_seq)
            });
            write_headers(&mut reply.hdr, &m, stream, batch_fields);
        }
        reply.body.extend_from_slice(&m.msg);
        last_seq = m.seq;
        sent_bytes += sent_size(&m);
        if sent_bytes >= max_bytes {
            break;
        }
    }
    if is_batch {
        let _ = write!(
            out.next().hdr,
            "NATS/1.0 204 EOB\r\nNats-Num-Pending: {pending}\r\nNats-Last-Sequence: {last_seq}\r\n\r\n"
        );
    }
}
