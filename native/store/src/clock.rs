//! Message timestamps, strictly increasing across every stream and thread of the process.
//!
//! A stream is written from the control plane's thread and, through its capture (`capture.rs`), from any
//! worker thread. Its timestamps must not go backwards in sequence order (deliver-by-start-time and
//! `seq_for_time` search them), so every store takes its stamps here, under the stream's lock: the stamp is
//! at least the caller's time and later than any stamp handed out before.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static LAST: AtomicI64 = AtomicI64::new(0);

/// Unix time in nanoseconds.
pub fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

/// Reserve `count` (at least 1) consecutive stamps, the first at least `at_least` and after every earlier
/// stamp. Returns the first; the others follow it by 1 ns each.
pub fn reserve(at_least: i64, count: usize) -> i64 {
    let span = count.max(1) as i64;
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let first = at_least.max(last + 1);
        match LAST.compare_exchange_weak(last, first + span - 1, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return first,
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_increase_even_when_asked_for_the_past() {
        let a = reserve(now_ns(), 3);
        let b = reserve(0, 1);
        assert!(b >= a + 3);
        let c = reserve(b - 1_000, 2);
        assert_eq!(c, b + 1);
    }

    #[test]
    fn threads_never_share_a_stamp() {
        let stamps: Vec<i64> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|_| s.spawn(|| (0..1000).map(|_| reserve(0, 1)).collect::<Vec<_>>())).collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = stamps.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), stamps.len());
    }
}
