//! Sublist match benchmark: hit, miss and churn, with and without the
//! per-worker cache. Plain `std::time::Instant`, no harness.
//!
//! Run: `cargo bench -p myelin-core --bench sublist`
//!
//! Population (~11k subscriptions, nats-server-like shapes):
//! 10 000 literals `svc.A.B.evt` (A, B in 0..100), 100 `svc.*.B.evt`,
//! 100 `svc.A.>`, and 1 000 queue subscribers (`svc.A.B.evt` for A < 10, group
//! `workers`). A hit subject matches 3 or 4 subscriptions.

use std::hint::black_box;
use std::time::Instant;

use myelin_core::sublist::{Matcher, Sublist};

const CACHE: usize = 1024; // nats-server's slCacheMax
const REPEATS: usize = 5;

fn populate() -> Sublist<u32> {
    let mut sl = Sublist::new();
    let mut id = 0u32;
    let mut add = |sl: &mut Sublist<u32>, s: String, q: Option<&[u8]>| {
        sl.insert(s.as_bytes(), q, id).unwrap();
        id += 1;
    };
    for a in 0..100 {
        for b in 0..100 {
            add(&mut sl, format!("svc.{a}.{b}.evt"), None);
        }
    }
    for b in 0..100 {
        add(&mut sl, format!("svc.*.{b}.evt"), None);
    }
    for a in 0..100 {
        add(&mut sl, format!("svc.{a}.>"), None);
    }
    for a in 0..10 {
        for b in 0..100 {
            add(&mut sl, format!("svc.{a}.{b}.evt"), Some(b"workers"));
        }
    }
    sl
}

/// `n` distinct subjects, spread over the whole space.
fn subjects(n: usize, hit: bool) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let (a, b) = ((i * 7919) % 100, (i * 104_729 / 100) % 100);
            let head = if hit { "svc" } else { "other" };
            format!("{head}.{a}.{b}.{}", if i < 10_000 { "evt".to_string() } else { format!("evt{}", i) }).into_bytes()
        })
        .collect()
}

/// Best-of-REPEATS nanoseconds per iteration of `f`, which runs `iters` times.
fn time(iters: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..REPEATS {
        let t = Instant::now();
        for i in 0..iters {
            f(i);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / iters as f64);
    }
    best
}

fn bench_match(sl: &Sublist<u32>, subs: &[Vec<u8>], cap: usize, iters: usize) -> f64 {
    let mut m = Matcher::new(cap);
    time(iters, |i| {
        let r = m.matches(sl, &subs[i % subs.len()]);
        black_box(r.plain.len() + r.queues.len());
    })
}

/// One subscription comes and goes every `every` matches (1 = every match
/// sees a changed sublist). Reports ns per match, insert/remove included.
fn bench_churn(sl: &mut Sublist<u32>, subs: &[Vec<u8>], cap: usize, every: usize, iters: usize) -> f64 {
    let mut m = Matcher::new(cap);
    let churn = subs[0].clone();
    time(iters, |i| {
        if i % every == 0 {
            if (i / every) % 2 == 0 {
                sl.insert(&churn, None, u32::MAX).unwrap();
            } else {
                sl.remove(&churn, None, u32::MAX);
            }
        }
        let r = m.matches(sl, &subs[i % subs.len()]);
        black_box(r.plain.len() + r.queues.len());
    })
}

fn main() {
    let mut sl = populate();
    println!(
        "sublist: {} subscriptions, {} nodes; cache capacity {CACHE}; best of {REPEATS}",
        sl.count(),
        sl.node_count()
    );
    println!("{:<44} {:>12} {:>12}", "workload", "no cache", "cache");
    let row = |name: &str, a: f64, b: f64| println!("{name:<44} {a:>9.1} ns {b:>9.1} ns");
    let n = 2_000_000;

    for (ws, hit) in [(1usize, true), (256, true), (4096, true), (256, false), (4096, false)] {
        let subs = subjects(ws, hit);
        let name = format!("{} {ws} distinct subjects", if hit { "hit," } else { "miss," });
        row(&name, bench_match(&sl, &subs, 0, n), bench_match(&sl, &subs, CACHE, n));
    }
    for every in [1usize, 10, 100, 1000] {
        let subs = subjects(256, true);
        let name = format!("churn: 1 insert|remove per {every} matches (256)");
        let a = bench_churn(&mut sl, &subs, 0, every, n / 4);
        let b = bench_churn(&mut sl, &subs, CACHE, every, n / 4);
        row(&name, a, b);
    }
    // Raw write cost.
    let churn = b"svc.1.2.evt".to_vec();
    let w = time(n / 4, |i| {
        if i % 2 == 0 {
            sl.insert(&churn, None, u32::MAX).unwrap();
        } else {
            sl.remove(&churn, None, u32::MAX);
        }
    });
    println!("{:<44} {w:>9.1} ns", "insert or remove (existing path)");
    let w = time(n / 4, |i| {
        let s = format!("new.{}.x", i / 2);
        if i % 2 == 0 {
            sl.insert(s.as_bytes(), None, 1).unwrap();
        } else {
            sl.remove(s.as_bytes(), None, 1);
        }
    });
    println!("{:<44} {w:>9.1} ns", "insert or remove (new path + prune, +fmt)");
}
