//! The last message of each subject matching any of `multi_last`'s filters, at or below `up_to_seq` (or the
//! last sequence stored before `up_to_time`), in sequence order (nats-server's `getDirectMulti`). Each carries
//! `Nats-Num-Pending` / `Nats-Last-Sequence` as in a batch, and the replies end with a `204 EOB` that also
//! names the ceiling (`Nats-UpTo-Sequence`), so a client can ask again for a consistent next page.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use super::request::Request;
use super::{sent_size, write_headers, Replies, DEFAULT_MAX_BYTES, NOT_FOUND};
use crate::MsgStore;

const NO_RESULTS: &[u8] = b"NATS/1.0 404 No Results\r\n\r\n";
const TOO_MANY_RESULTS: &[u8] = b"NATS/1.0 413 Too Many Results\r\n\r\n";

/// How many subjects one request may select (nats-server's fixed `maxAllowedResponses`).
const MAX_RESULTS: usize = 1024;

pub(super) fn answer(store: &dyn MsgStore, stream: &str, req: &Request, out: &mut Replies<'_>) {
    let max_bytes = if req.max_bytes == 0 { DEFAULT_MAX_BYTES } else { req.max_bytes };
    let mut up_to = req.up_to_seq;
    if let Some(t) = req.up_to_time {
        // The first sequence at or after `t`; the ceiling is the one before it.
        let first_after = store.seq_for_time(t);
        if first_after <= store.state().first_seq {
            out.status(NO_RESULTS);
            return;
        }
        up_to = first_after - 1;
    }
    if up_to == 0 {
        up_to = store.state().last_seq;
    }
    let Some(seqs) = last_seqs(store, &req.multi_last, up_to) else {
        out.status(TOO_MANY_RESULTS);
        return;
    };
    if seqs.is_empty() {
        out.status(NO_RESULTS);
        return;
    }
    let mut pending = seqs.len() as u64;
    let (mut last_seq, mut sent_bytes, mut sent) = (0u64, 0i64, 0i64);
    for seq in seqs {
        // `seq` here is a floor: the client's next page after a cut-off batch.
        pending = pending.saturating_sub(1);
        if seq < req.seq {
            continue;
        }
        let Ok(m) = store.load(seq) else {
            out.status(NOT_FOUND);
            return;
        };
        let reply = out.next();
        write_headers(&mut reply.hdr, &m, stream, Some((pending, last_seq)));
        reply.body.extend_from_slice(&m.msg);
        last_seq = m.seq;
        sent_bytes += sent_size(&m);
        if sent_bytes >= max_bytes {
            break;
        }
        sent += 1;
        if req.batch > 0 && sent >= req.batch {
            break;
        }
    }
    let _ = write!(
        out.next().hdr,
        "NATS/1.0 204 EOB\r\nNats-Num-Pending: {pending}\r\nNats-Last-Sequence: {last_seq}\r\n\
         Nats-UpTo-Sequence: {up_to}\r\n\r\n"
    );
}

/// The sorted, distinct last sequences at or below `up_to` of the subjects matching `filters`; None when more
/// than [`MAX_RESULTS`] (checked after each filter, as nats-server does).
fn last_seqs(store: &dyn MsgStore, filters: &[String], up_to: u64) -> Option<Vec<u64>> {
    let mut seqs = Vec::new();
    let mut seen = HashSet::new();
    // An empty filter selects nothing (in the store, empty means every subject).
    for filter in filters.iter().filter(|f| !f.is_empty()) {
        // Subjects whose last message is above the ceiling: their last one below it needs a scan.
        let mut above = Vec::new();
        for (subject, count) in store.subjects_state(filter.as_bytes()) {
            let Ok(last) = store.load_last(&subject) else { continue };
            if last.seq <= up_to {
                if seen.insert(last.seq) {
                    seqs.push(last.seq);
                }
            } else if count > 1 {
                above.push(subject);
            }
        }
        if !above.is_empty() {
            let mut lasts: HashMap<Vec<u8>, u64> = HashMap::new();
            let _ = store.visit_from(1, filter.as_bytes(), usize::MAX, &mut |m| {
                if m.seq > up_to {
                    return false;
                }
                lasts.insert(m.subject.to_vec(), m.seq);
                true
            });
            for seq in above.iter().filter_map(|s| lasts.get(s)) {
                if seen.insert(*seq) {
                    seqs.push(*seq);
                }
            }
        }
        if seqs.len() > MAX_RESULTS {
            return None;
        }
    }
    seqs.sort_unstable();
    Some(seqs)
}
