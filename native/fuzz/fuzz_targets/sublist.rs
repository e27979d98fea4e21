//! Sublist fuzz target: random insert / remove / match sequences on a `Sublist<u8>`, matched directly, through
//! a `Matcher` without cache and through a `Matcher` with a small cache, all checked against a model: a set of
//! (pattern, queue, sub) triples, with `subject::subject_matches` as the oracle for matching.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myelin_core::subject;
use myelin_core::sublist::{MatchResult, Matcher, Sublist};
use std::collections::{BTreeMap, BTreeSet};

/// Tokens for patterns and subjects: literals, wildcards, and a few that are invalid or tricky
/// (empty, embedded wildcard characters, whitespace).
const TOKENS: [&[u8]; 12] = [b"a", b"b", b"c", b"*", b">", b"", b"a*", b">b", b" ", b"\t", b"ab", b"\xff"];
const QUEUES: [Option<&[u8]>; 5] = [None, None, Some(b"q1"), Some(b"q2"), Some(b"bad q")];

fn make_subject(b: &mut impl Iterator<Item = u8>) -> Vec<u8> {
    let n = 1 + (b.next().unwrap_or(0) % 5) as usize;
    let mut out = Vec::new();
    for i in 0..n {
        if i > 0 {
            out.push(b'.');
        }
        // Valid tokens are much more likely than broken ones.
        let x = b.next().unwrap_or(0);
        let t = if x < 224 { TOKENS[(x % 5) as usize] } else { TOKENS[(x as usize) % TOKENS.len()] };
        out.extend_from_slice(t);
    }
    out
}

type Model = BTreeSet<(Vec<u8>, Option<Vec<u8>>, u8)>;

/// What the model says a publish on `subj` matches: sorted plain subs, and per queue name its sorted members.
fn expected(model: &Model, subj: &[u8]) -> (Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>) {
    let mut plain = Vec::new();
    let mut queues: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for (p, q, s) in model {
        if subject::subject_matches(p, subj) {
            match q {
                None => plain.push(*s),
                Some(q) => queues.entry(q.clone()).or_default().push(*s),
            }
        }
    }
    plain.sort_unstable();
    for v in queues.values_mut() {
        v.sort_unstable();
    }
    (plain, queues)
}

fn actual(sl: &Sublist<u8>, r: &MatchResult<u8>) -> (Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>) {
    let mut plain = r.plain.clone();
    plain.sort_unstable();
    assert_eq!(r.queues.len(), r.queue_ids.len(), "queues and queue_ids differ in length");
    let mut queues: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for (members, id) in r.queues.iter().zip(&r.queue_ids) {
        assert!(!members.is_empty(), "empty queue group in a result");
        let name = sl.queue_name(*id).expect("queue id of a live group").to_vec();
        let mut m = members.clone();
        m.sort_unstable();
        assert!(queues.insert(name, m).is_none(), "one queue name appears twice in a result");
    }
    assert_eq!(r.len(), plain.len() + queues.values().map(Vec::len).sum::<usize>());
    assert_eq!(r.is_empty(), r.len() == 0);
    (plain, queues)
}

fuzz_target!(|data: &[u8]| {
    let mut sl: Sublist<u8> = Sublist::new();
    let mut model = Model::new();
    let mut direct = MatchResult::new();
    let mut uncached: Matcher<u8> = Matcher::new(0);
    let cap = 1 + data.first().copied().unwrap_or(0) as usize % 4;
    let mut cached: Matcher<u8> = Matcher::new(cap);
    // The first byte chose the cache size; the rest drive the operations.
    let mut it = data.get(1..).unwrap_or_default().iter().copied();
    let mut steps = 0;
    while let Some(op) = it.next() {
        steps += 1;
        if steps > 2000 {
            break;
        }
        match op % 8 {
            0..=2 => {
                let p = make_subject(&mut it);
                let q = QUEUES[(op >> 3) as usize % QUEUES.len()];
                let s = it.next().unwrap_or(0) % 4;
                let gen = sl.generation();
                let res = sl.insert(&p, q, s);
                let valid = subject::is_valid_subscribe_subject(&p) && q.map_or(true, subject::is_valid_queue);
                assert_eq!(res.is_ok(), valid, "insert of {:?} {:?}: {res:?}", String::from_utf8_lossy(&p), q);
                if valid {
                    let added = model.insert((p, q.map(<[u8]>::to_vec), s));
                    assert_eq!(sl.generation() != gen, added, "generation must change exactly when a sub is added");
                } else {
                    assert_eq!(sl.generation(), gen);
                }
            }
            3 => {
                // Remove an existing triple (picked from the model) or a made-up one.
                let pick = it.next().unwrap_or(0) as usize;
                let key = if !model.is_empty() && pick & 1 == 0 {
                    model.iter().nth((pick >> 1) % model.len()).cloned().unwrap()
                } else {
                    let p = make_subject(&mut it);
                    let q = QUEUES[pick % QUEUES.len()].map(<[u8]>::to_vec);
                    (p, q, (pick >> 4) as u8 % 4)
                };
                let removed = sl.remove(&key.0, key.1.as_deref(), key.2);
                assert_eq!(removed, model.remove(&key), "remove of {key:?}");
            }
            _ => {
                let subj = make_subject(&mut it);
                let want = expected(&model, &subj);
                sl.match_into(&subj, &mut direct);
                assert_eq!(actual(&sl, &direct), want, "match_into {:?}", String::from_utf8_lossy(&subj));
                let r = uncached.matches(&sl, &subj);
                assert_eq!(actual(&sl, r), want, "uncached matcher {:?}", String::from_utf8_lossy(&subj));
                // Twice through the cache: a miss then (usually) a hit.
                for _ in 0..2 {
                    let r = cached.matches(&sl, &subj);
                    assert_eq!(actual(&sl, r), want, "cached matcher {:?}", String::from_utf8_lossy(&subj));
                }
            }
        }
        assert_eq!(sl.count(), model.len(), "count differs from the model");
    }
    // Remove everything: the trie must shrink back to its root.
    for (p, q, s) in std::mem::take(&mut model) {
        assert!(sl.remove(&p, q.as_deref(), s));
    }
    assert_eq!(sl.count(), 0);
    assert!(sl.is_empty());
    assert_eq!(sl.node_count(), 1, "nodes left after removing every subscription");
});
