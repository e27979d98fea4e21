//! Framing a batch of consumer deliveries in one native call (`NativeStore::deliverBatch`), so a replay or a
//! pull batch costs one call and one Buffer per batch instead of one `StoredMsgJs` (a String, a BigInt and two
//! Buffers) per message.
//!
//! The returned Buffer (owned by JS from then on) is:
//!   frames   one publish record per message, the layout `Engine::publish_internal` reads
//!            (`InternalClient.publishFramed` queues them unchanged):
//!            u32 route len, route, u32 subject len, subject, u32 reply len, reply, u32 hdr len, u32 total, hdr, msg
//!   meta     per message: f64 stream seq, u32 offset of its subject in the buffer, u32 subject length
//!   trailer  u32 count, u32 bytes (sum of subject + hdr + msg, what max_bytes counts), u32 frames length
//! The reply is `<reply_prefix><sseq>.<cseq>.<ts_ns>.<pending>`: a first delivery's ack subject (acks.ts).

use std::io::Write;

use myelin_store::{MsgStore, StoreError};

/// What one batch may hold and how its replies are numbered.
pub struct DeliverySpec<'a> {
    pub start: u64,
    pub filter: &'a [u8],
    pub max_msgs: usize,
    /// 0: no limit. Otherwise the batch stops before the message that would go past it.
    pub max_bytes: usize,
    pub route: &'a [u8],
    pub reply_prefix: &'a [u8],
    pub first_cseq: u64,
    /// num_pending before the batch; message i carries `pending_before - 1 - i` (not below 0).
    pub pending_before: u64,
}

pub fn frame_batch(store: &dyn MsgStore, spec: &DeliverySpec) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut meta: Vec<u8> = Vec::with_capacity(spec.max_msgs.min(1024) * 16);
    let mut count: u64 = 0;
    let mut bytes: usize = 0;
    // The store lends each message for the call only: it is framed straight from the store's read buffer.
    store.visit_from(spec.start, spec.filter, spec.max_msgs, &mut |m| {
        let size = m.subject.len() + m.hdr.len() + m.msg.len();
        if spec.max_bytes > 0 && bytes + size > spec.max_bytes {
            return false;
        }
        bytes += size;
        put_bytes(&mut out, spec.route);
        let subject_at = out.len() + 4;
        put_bytes(&mut out, m.subject);
        let reply_at = out.len();
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(spec.reply_prefix);
        // Writing into a Vec cannot fail.
        let pending = spec.pending_before.saturating_sub(count + 1);
        let _ = write!(out, "{}.{}.{}.{}", m.seq, spec.first_cseq + count, m.ts_ns, pending);
        let reply_len = (out.len() - reply_at - 4) as u32;
        out[reply_at..reply_at + 4].copy_from_slice(&reply_len.to_le_bytes());
        out.extend_from_slice(&(m.hdr.len() as u32).to_le_bytes());
        out.extend_from_slice(&((m.hdr.len() + m.msg.len()) as u32).to_le_bytes());
        out.extend_from_slice(m.hdr);
        out.extend_from_slice(m.msg);
        meta.extend_from_slice(&(m.seq as f64).to_le_bytes());
        meta.extend_from_slice(&(subject_at as u32).to_le_bytes());
        meta.extend_from_slice(&(m.subject.len() as u32).to_le_bytes());
        count += 1;
        true
    })?;
    let frames_len = out.len() as u32;
    out.extend_from_slice(&meta);
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out.extend_from_slice(&(bytes as u32).to_le_bytes());
    out.extend_from_slice(&frames_len.to_le_bytes());
    Ok(out)
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}
