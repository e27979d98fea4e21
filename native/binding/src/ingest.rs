//! Storing a run of published messages in one native call (`NativeStore.storeRun`), straight from the
//! internal client's delivery buffer, and framing their publish acks.
//!
//! Only messages without headers come here (stream.ts sends anything with headers, which may carry
//! Nats-Msg-Id or Nats-Expected-*, through the per-message path). `index` holds six u32 LE per message:
//! subject offset, subject length, reply offset, reply length, body offset, body length, all into `buf`.
//! Message i gets timestamp `ts_ns + i` (the caller reserved the run's nanoseconds).
//!
//! The result (owned by JS) is: publish records of the acks, in the layout `Engine::publish_internal` reads
//! (route = subject = the reply, no reply, body `<ack_prefix><seq>}`), for every stored message with a reply
//! when `ack_prefix` is not empty; then u32 stored count, f64 last stored seq, u32 length of the ack records.
//! Storing stops at the first message the store refuses; the caller retries that one through the per-message
//! path, which words the error.

use std::io::Write;

use myelin_store::MsgStore;

const FIELDS: usize = 6;

/// How many messages `index` describes.
pub fn run_len(index: &[u8]) -> usize {
    index.len() / (FIELDS * 4)
}

pub fn store_run(store: &mut dyn MsgStore, buf: &[u8], index: &[u8], ts_ns: i64, ack_prefix: &[u8]) -> Vec<u8> {
    let n = run_len(index);
    let mut acks = Vec::with_capacity(if ack_prefix.is_empty() { 0 } else { n * 96 });
    let mut stored = 0usize;
    let mut last_seq = 0u64;
    for i in 0..n {
        let f = |k: usize| {
            let at = (i * FIELDS + k) * 4;
            u32::from_le_bytes([index[at], index[at + 1], index[at + 2], index[at + 3]]) as usize
        };
        let subject = &buf[f(0)..f(0) + f(1)];
        let reply = &buf[f(2)..f(2) + f(3)];
        let body = &buf[f(4)..f(4) + f(5)];
        let Ok(seq) = store.store(subject, &[], body, ts_ns + i as i64) else { break };
        stored += 1;
        last_seq = seq;
        if ack_prefix.is_empty() || reply.is_empty() {
            continue;
        }
        for _ in 0..2 {
            acks.extend_from_slice(&(reply.len() as u32).to_le_bytes());
            acks.extend_from_slice(reply);
        }
        acks.extend_from_slice(&0u32.to_le_bytes());
        acks.extend_from_slice(&0u32.to_le_bytes());
        let len_at = acks.len();
        acks.extend_from_slice(&0u32.to_le_bytes());
        acks.extend_from_slice(ack_prefix);
        // Writing into a Vec cannot fail.
        let _ = write!(acks, "{seq}}}");
        let body_len = (acks.len() - len_at - 4) as u32;
        acks[len_at..len_at + 4].copy_from_slice(&body_len.to_le_bytes());
    }
    let acks_len = acks.len() as u32;
    acks.extend_from_slice(&(stored as u32).to_le_bytes());
    acks.extend_from_slice(&(last_seq as f64).to_le_bytes());
    acks.extend_from_slice(&acks_len.to_le_bytes());
    acks
}
