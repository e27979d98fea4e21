//! Behavioural tests of the sublist through its public API: nats-server's
//! sublist_test.go cases as facts, plus property tests comparing every match
//! path (direct, matcher without cache, small and large caches) with a naive
//! matcher over random operation sequences.

use std::collections::BTreeMap;

use myelin_core::subject;
use myelin_core::sublist::{MatchResult, Matcher, MatcherStats, SubjectError, Sublist};
use proptest::prelude::*;

fn b(s: &str) -> &[u8] {
    s.as_bytes()
}

fn plain(sl: &Sublist<u32>, subject: &str) -> Vec<u32> {
    let mut r = MatchResult::new();
    sl.match_into(b(subject), &mut r);
    let mut v = r.plain.clone();
    v.sort_unstable();
    v
}

/// Queue groups as sorted (name, sorted members).
fn groups(sl: &Sublist<u32>, r: &MatchResult<u32>) -> Vec<(String, Vec<u32>)> {
    assert_eq!(r.queues.len(), r.queue_ids.len());
    let mut g: Vec<_> = r
        .queue_ids
        .iter()
        .zip(&r.queues)
        .map(|(&id, m)| {
            let mut m = m.clone();
            m.sort_unstable();
            (String::from_utf8(sl.queue_name(id).unwrap().to_vec()).unwrap(), m)
        })
        .collect();
    g.sort();
    g
}

fn sl_with(subs: &[(&str, u32)]) -> Sublist<u32> {
    let mut sl = Sublist::new();
    for &(s, id) in subs {
        sl.insert(b(s), None, id).unwrap();
    }
    sl
}

#[test]
fn sublist_literal_and_wildcards() {
    // TestSublistSimple / PartialWildcard / PartialWildcardAtEnd / FullWildcard.
    let sl = sl_with(&[("foo", 1), ("a.b.c", 2), ("a.*.c", 3), ("a.b.*", 4), ("a.>", 5), (">", 6), ("*.b.c", 7)]);
    assert_eq!(plain(&sl, "foo"), [1, 6]);
    assert_eq!(plain(&sl, "a.b.c"), [2, 3, 4, 5, 6, 7]);
    assert_eq!(plain(&sl, "a.x.c"), [3, 5, 6]);
    assert_eq!(plain(&sl, "a.b.c.d"), [5, 6]);
    // `>` needs at least one token: `a.>` does not match `a`.
    assert_eq!(plain(&sl, "a"), [6]);
    // TestSublistTwoTokenPubMatchSingleTokenSub.
    assert_eq!(plain(&sl, "foo.bar"), [6]);
    assert_eq!(sl.count(), 7);
}

#[test]
fn sublist_brief_example() {
    let sl = sl_with(&[("foo.bar", 1), ("foo.*", 2), ("*.bar", 3), (">", 4), ("foo.>", 5), ("foo", 6)]);
    assert_eq!(plain(&sl, "foo.bar"), [1, 2, 3, 4, 5]);
    assert_eq!(plain(&sl, "foo"), [4, 6]);
}

#[test]
fn sublist_publish_subject_is_literal() {
    let sl = sl_with(&[("foo.*", 1), ("foo.>", 2), ("foo.bar", 3), ("*.*", 4)]);
    // Without pedantic a client may publish to `foo.*`: the `*` is a token.
    assert_eq!(plain(&sl, "foo.*"), [1, 2, 4]);
    assert_eq!(plain(&sl, "foo.>"), [1, 2, 4]);
    // Empty tokens match nothing, even `>`.
    let all = sl_with(&[(">", 1), ("*", 2)]);
    for bad in ["", ".", ".foo", "foo.", "foo..bar"] {
        assert!(plain(&all, bad).is_empty(), "{bad:?}");
    }
}

#[test]
fn sublist_wildcards_as_literals() {
    // TestSublistInsertWithWildcardsAsLiterals / RemoveWithWildcardsAsLiterals.
    for subject in ["foo.*-", "foo.>-"] {
        let mut sl = sl_with(&[(subject, 1)]);
        assert!(plain(&sl, "foo.bar").is_empty());
        assert_eq!(plain(&sl, subject), [1]);
        assert!(!sl.remove(b("foo.bar"), None, 1));
        assert_eq!(sl.count(), 1);
        assert!(sl.remove(b(subject), None, 1));
        assert_eq!(sl.count(), 0);
    }
}

#[test]
fn sublist_invalid_inserts_and_removes() {
    // TestSublistInvalidSubjectsInsert / TestSublistBadSubjectOnRemove.
    let mut sl: Sublist<u32> = Sublist::new();
    for bad in ["", ".foo", "foo.", "foo..bar", "foo.bar..baz", "foo.>.bar", "a.b..d", ">.>"] {
        assert_eq!(sl.insert(b(bad), None, 1), Err(SubjectError::InvalidSubject), "{bad:?}");
        assert!(!sl.remove(b(bad), None, 1));
    }
    assert_eq!(sl.insert(b("foo"), Some(b""), 1), Err(SubjectError::InvalidQueue));
    assert_eq!(sl.insert(b("foo"), Some(b"a b"), 1), Err(SubjectError::InvalidQueue));
    assert_eq!((sl.count(), sl.generation(), sl.node_count()), (0, 0, 1));
}

#[test]
fn sublist_queue_groups_merge_by_name_across_subjects() {
    // nats-server builds one group per queue name, whichever subject the
    // members subscribed through, so `q` gets the message once.
    let mut sl: Sublist<u32> = Sublist::new();
    sl.insert(b("foo.bar"), Some(b"q"), 1).unwrap();
    sl.insert(b("foo.*"), Some(b"q"), 2).unwrap();
    sl.insert(b("foo.>"), Some(b"q"), 3).unwrap();
    sl.insert(b("foo.*"), Some(b"other"), 4).unwrap();
    sl.insert(b("foo.bar"), Some(b"q"), 2).unwrap(); // same sub via two subjects
    let mut r = MatchResult::new();
    sl.match_into(b("foo.bar"), &mut r);
    assert_eq!(groups(&sl, &r), [("other".into(), vec![4]), ("q".into(), vec![1, 2, 2, 3])]);
    sl.match_into(b("foo.baz"), &mut r);
    assert_eq!(groups(&sl, &r), [("other".into(), vec![4]), ("q".into(), vec![2, 3])]);
}

#[test]
fn sublist_duplicates_and_generation() {
    let mut sl: Sublist<u32> = Sublist::new();
    sl.insert(b("foo"), None, 1).unwrap();
    assert_eq!(sl.generation(), 1);
    sl.insert(b("foo"), None, 1).unwrap(); // already there: no-op
    assert_eq!((sl.count(), sl.generation()), (1, 1));
    sl.insert(b("foo"), Some(b"q"), 1).unwrap(); // another subscription
    assert_eq!((sl.count(), sl.generation()), (2, 2));
    assert!(!sl.remove(b("bar"), None, 1));
    assert_eq!(sl.generation(), 2);
    assert!(sl.remove(b("foo"), None, 1));
    assert_eq!(sl.generation(), 3);
    let st = sl.stats();
    assert_eq!((st.num_subs, st.num_inserts, st.num_removes), (1, 2, 1));
}

#[test]
fn sublist_match_result_reuses_capacity() {
    let mut sl: Sublist<u32> = Sublist::new();
    for i in 0..10 {
        sl.insert(b("a.b"), None, i).unwrap();
        sl.insert(b("a.*"), Some(format!("q{i}").as_bytes()), i).unwrap();
    }
    let mut r = MatchResult::new();
    sl.match_into(b("a.b"), &mut r);
    assert_eq!((r.plain.len(), r.queues.len()), (10, 10));
    let ptrs: Vec<*const u32> = r.queues.iter().map(|q| q.as_ptr()).collect();
    let plain_ptr = r.plain.as_ptr();
    sl.match_into(b("zzz"), &mut r);
    assert!(r.is_empty());
    sl.match_into(b("a.b"), &mut r);
    assert_eq!(r.plain.as_ptr(), plain_ptr);
    let mut again: Vec<*const u32> = r.queues.iter().map(|q| q.as_ptr()).collect();
    let mut before = ptrs.clone();
    again.sort();
    before.sort();
    assert_eq!(again, before, "inner queue vectors are recycled");
}

#[test]
fn sublist_matcher_cache_invalidation() {
    let mut sl = sl_with(&[("foo.*", 1)]);
    let mut m = Matcher::new(2);
    assert_eq!(m.matches(&sl, b("foo.bar")).plain, [1]);
    assert_eq!(m.matches(&sl, b("foo.bar")).plain, [1]);
    assert_eq!(m.stats().cache_hits, 1);
    // Any change flushes: a new matching sub is seen immediately.
    sl.insert(b("foo.bar"), None, 2).unwrap();
    let mut got = m.matches(&sl, b("foo.bar")).plain.clone();
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
    assert!(sl.remove(b("foo.*"), None, 1));
    assert_eq!(m.matches(&sl, b("foo.bar")).plain, [2]);
    // Eviction keeps answers right with more subjects than capacity.
    for round in 0..3 {
        for s in ["foo.bar", "foo.a", "foo.b", "x"] {
            let want: &[u32] = if s == "foo.bar" { &[2] } else { &[] };
            assert_eq!(m.matches(&sl, b(s)).plain, want, "round {round} {s}");
        }
    }
    assert_eq!(m.stats().cache_len, 2);
    // A matcher used against another sublist never serves stale results,
    // even when the generations happen to be equal.
    let other = sl_with(&[("foo.bar", 7), ("zzz", 8), ("zzz", 9)]);
    assert_eq!(sl.generation(), other.generation());
    assert_eq!(m.matches(&other, b("foo.bar")).plain, [7]);
    assert_eq!(m.matches(&sl, b("foo.bar")).plain, [2]);
    m.clear_cache();
    assert_eq!(m.stats().cache_len, 0);
    let mut st = sl.stats();
    st.absorb(&m.stats());
    assert!(st.num_matches > st.num_cache_hits && st.cache_hit_rate() > 0.0);
}

#[test]
fn sublist_matcher_without_cache() {
    let sl = sl_with(&[("a", 1)]);
    let mut m = Matcher::new(0);
    assert_eq!(m.cache_capacity(), 0);
    for _ in 0..3 {
        assert_eq!(m.matches(&sl, b("a")).plain, [1]);
    }
    assert_eq!(m.stats(), MatcherStats { matches: 3, cache_hits: 0, cache_bypassed: 0, cache_len: 0 });
}

#[test]
fn sublist_deep_subjects_do_not_recurse() {
    // 2000 `*` levels: the explicit stack copes where recursion might not.
    let pattern = vec!["*"; 2000].join(".");
    let subject = vec!["x"; 2000].join(".");
    let mut sl: Sublist<u32> = Sublist::new();
    sl.insert(pattern.as_bytes(), None, 1).unwrap();
    sl.insert(b(">"), None, 2).unwrap();
    assert_eq!(plain(&sl, &subject), [1, 2]);
    assert!(sl.remove(pattern.as_bytes(), None, 1));
    assert_eq!(sl.node_count(), 2);
}

#[test]
fn sublist_queue_groups() {
    // TestSublistBasicQueueResults, with groups identified by name.
    let mut sl: Sublist<u32> = Sublist::new();
    let mut r = MatchResult::new();
    sl.insert(b("foo"), Some(b"bar"), 1).unwrap();
    sl.match_into(b("foo"), &mut r);
    assert!(r.plain.is_empty());
    assert_eq!(groups(&sl, &r), [("bar".into(), vec![1])]);
    sl.insert(b("foo"), Some(b"baz"), 2).unwrap();
    sl.insert(b("foo"), None, 3).unwrap();
    sl.insert(b("foo"), Some(b"bar"), 4).unwrap();
    sl.insert(b("foo"), Some(b"baz"), 5).unwrap();
    sl.match_into(b("foo"), &mut r);
    assert_eq!(r.plain, [3]);
    assert_eq!(groups(&sl, &r), [("bar".into(), vec![1, 4]), ("baz".into(), vec![2, 5])]);
    assert_eq!(r.len(), 5);
    let bar = r.queue_ids[r.queue_ids.iter().position(|&q| sl.queue_name(q) == Some(b"bar")).unwrap()];
    assert!(sl.remove(b("foo"), None, 3));
    assert!(sl.remove(b("foo"), Some(b"bar"), 1));
    assert!(!sl.remove(b("foo"), Some(b"baz"), 1));
    assert!(sl.remove(b("foo"), Some(b"bar"), 4));
    sl.match_into(b("foo"), &mut r);
    assert_eq!(groups(&sl, &r), [("baz".into(), vec![2, 5])]);
    // The `bar` name is released once no node uses it.
    assert_eq!(sl.queue_name(bar), None);
    assert!(sl.remove(b("foo"), Some(b"baz"), 2));
    assert!(sl.remove(b("foo"), Some(b"baz"), 5));
    sl.match_into(b("foo"), &mut r);
    assert!(r.is_empty());
    assert_eq!((sl.count(), sl.node_count()), (0, 1));
}

#[test]
fn sublist_remove_and_prune() {
    // TestSublistRemove / RemoveWildcard / RemoveCleanup / RemoveCleanupWildcards.
    let mut sl = sl_with(&[("a.b.c.d", 1), ("a.b.*.d", 2), ("a.b.>", 3)]);
    assert_eq!(plain(&sl, "a.b.c.d"), [1, 2, 3]);
    assert!(!sl.remove(b("a.b.c"), None, 1));
    assert!(!sl.remove(b("a.b.c.d"), None, 9));
    assert!(!sl.remove(b("a.b.c.d"), Some(b"q"), 1));
    assert_eq!(sl.count(), 3);
    assert!(sl.remove(b("a.b.c.d"), None, 1));
    assert!(!sl.remove(b("a.b.c.d"), None, 1));
    assert!(sl.remove(b("a.b.>"), None, 3));
    assert!(sl.remove(b("a.b.*.d"), None, 2));
    assert_eq!((sl.count(), sl.node_count()), (0, 1));
    assert!(plain(&sl, "a.b.c.d").is_empty());

    // A removal prunes only what is no longer needed.
    let mut sl = sl_with(&[("a.b.c.d.e.f", 1), ("a.b", 2), ("a.b.*.d.e.>", 3)]);
    let full = sl.node_count();
    assert!(sl.remove(b("a.b.c.d.e.f"), None, 1));
    assert_eq!(sl.node_count(), full - 4);
    assert!(sl.remove(b("a.b.*.d.e.>"), None, 3));
    assert_eq!(sl.node_count(), 3);
    assert_eq!(plain(&sl, "a.b"), [2]);
    sl.insert(b("x.y.z"), None, 4).unwrap();
    assert_eq!(sl.node_count(), 6);
}

#[test]
fn sublist_large_subscriber_sets() {
    // Crosses the index threshold both ways.
    let mut sl: Sublist<u32> = Sublist::new();
    let n = 192; // a position index is built above 64 members, dropped below 32
    for i in 0..n {
        sl.insert(b("big"), None, i).unwrap();
        sl.insert(b("big"), Some(b"q"), i).unwrap();
    }
    sl.insert(b("big"), None, 5).unwrap();
    assert_eq!(sl.count(), 2 * n as usize);
    for i in (0..n).filter(|i| i % 10 != 0) {
        assert!(sl.remove(b("big"), None, i));
        assert!(sl.remove(b("big"), Some(b"q"), i));
        assert!(!sl.remove(b("big"), None, i));
    }
    let want: Vec<u32> = (0..n).filter(|i| i % 10 == 0).collect();
    let mut r = MatchResult::new();
    sl.match_into(b("big"), &mut r);
    r.plain.sort_unstable();
    r.queues[0].sort_unstable();
    assert_eq!((&r.plain, &r.queues[0]), (&want, &want));
}

// ---------------------------------------------------------------------------
// Property tests against a naive model.
// ---------------------------------------------------------------------------

/// Naive token-list matcher, written independently of the library: `pattern`
/// is a valid subscription subject, `subject` is taken literally.
fn naive_match(pattern: &str, subject: &str) -> bool {
    fn go(p: &[&str], s: &[&str]) -> bool {
        match (p.split_first(), s.split_first()) {
            (None, None) => true,
            (Some((&">", _)), Some(_)) => true,
            (Some((&pt, pr)), Some((&st, sr))) => (pt == "*" || pt == st) && go(pr, sr),
            _ => false,
        }
    }
    let s: Vec<&str> = subject.split('.').collect();
    if s.iter().any(|t| t.is_empty()) {
        return false; // nats-server matches nothing for empty tokens
    }
    go(&pattern.split('.').collect::<Vec<_>>(), &s)
}

/// One subscription in the model.
type Entry = (String, Option<String>, u32);

/// Expected (sorted plain, queue name -> sorted members) for `subject`.
fn expected(model: &[Entry], subject: &str) -> (Vec<u32>, BTreeMap<String, Vec<u32>>) {
    let mut plain = Vec::new();
    let mut queues: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (p, q, id) in model.iter().filter(|(p, _, _)| naive_match(p, subject)) {
        match q {
            None => plain.push(*id),
            Some(q) => queues.entry(q.clone()).or_default().push(*id),
        }
        let _ = p;
    }
    plain.sort_unstable();
    queues.values_mut().for_each(|v| v.sort_unstable());
    (plain, queues)
}

/// Normalises a result the same way, checking its structural invariants.
fn actual(sl: &Sublist<u32>, r: &MatchResult<u32>) -> (Vec<u32>, BTreeMap<String, Vec<u32>>) {
    assert_eq!(r.queues.len(), r.queue_ids.len());
    let mut plain = r.plain.clone();
    plain.sort_unstable();
    let mut queues = BTreeMap::new();
    for (&id, members) in r.queue_ids.iter().zip(&r.queues) {
        assert!(!members.is_empty(), "empty queue group in result");
        let name = String::from_utf8(sl.queue_name(id).expect("live queue id").to_vec()).unwrap();
        let mut m = members.clone();
        m.sort_unstable();
        assert!(queues.insert(name, m).is_none(), "queue group listed twice");
    }
    (plain, queues)
}

#[derive(Debug, Clone)]
enum Op {
    Insert(String, Option<String>, u32),
    /// Remove the model entry at this index (if any), else the given triple.
    Remove(prop::sample::Index, String, Option<String>, u32),
    Match(String),
}

fn pattern() -> impl Strategy<Value = String> {
    let tok = prop_oneof![Just("a"), Just("b"), Just("c"), Just("*")];
    (prop::collection::vec(tok, 0..4), any::<bool>()).prop_map(|(mut toks, fwc)| {
        if fwc || toks.is_empty() {
            toks.push(">");
        }
        toks.join(".")
    })
}

fn publish_subject() -> impl Strategy<Value = String> {
    // Mostly literal tokens; sometimes a literal `*`/`>` token or an empty
    // token, which must be handled the nats-server way.
    let tok =
        prop_oneof![8 => Just("a"), 8 => Just("b"), 8 => Just("c"), 1 => Just("*"), 1 => Just(">"), 1 => Just("")];
    prop::collection::vec(tok, 1..6).prop_map(|t| t.join("."))
}

fn queue() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.3, prop_oneof![Just("q1".to_string()), Just("q2".to_string())])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (pattern(), queue(), 0..6u32).prop_map(|(p, q, id)| Op::Insert(p, q, id)),
        2 => (any::<prop::sample::Index>(), pattern(), queue(), 0..6u32).prop_map(|(i, p, q, id)| Op::Remove(i, p, q, id)),
        5 => publish_subject().prop_map(Op::Match),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sublist_matches_naive_model(ops in prop::collection::vec(op(), 1..120)) {
        let mut sl: Sublist<u32> = Sublist::new();
        let mut model: Vec<Entry> = Vec::new();
        // Cache off, a tiny cache (constant eviction) and a roomy one.
        let mut matchers = [Matcher::new(0), Matcher::new(3), Matcher::new(1024)];
        let mut scratch = MatchResult::new();
        for op in ops {
            let gen = sl.generation();
            match op {
                Op::Insert(p, q, id) => {
                    sl.insert(p.as_bytes(), q.as_deref().map(str::as_bytes), id).unwrap();
                    let e = (p, q, id);
                    let new = !model.contains(&e);
                    if new {
                        model.push(e);
                    }
                    prop_assert_eq!(sl.generation(), gen + new as u64);
                }
                Op::Remove(i, p, q, id) => {
                    let e = if model.is_empty() { (p, q, id) } else { model[i.index(model.len())].clone() };
                    let present = model.iter().position(|x| *x == e);
                    let removed = sl.remove(e.0.as_bytes(), e.1.as_deref().map(str::as_bytes), e.2);
                    prop_assert_eq!(removed, present.is_some());
                    if let Some(pos) = present {
                        model.swap_remove(pos);
                    }
                    prop_assert_eq!(sl.generation(), gen + removed as u64);
                }
                Op::Match(s) => {
                    let want = expected(&model, &s);
                    sl.match_into(s.as_bytes(), &mut scratch);
                    prop_assert_eq!(&actual(&sl, &scratch), &want, "direct, subject {:?}", s);
                    for m in &mut matchers {
                        // Twice, so cached answers are checked too.
                        for _ in 0..2 {
                            let r = m.matches(&sl, s.as_bytes());
                            prop_assert_eq!(&actual(&sl, r), &want, "cap {}, subject {:?}", m.cache_capacity(), s);
                        }
                    }
                    for (p, _, _) in &model {
                        prop_assert_eq!(subject::subject_matches(p.as_bytes(), s.as_bytes()), naive_match(p, &s));
                    }
                }
            }
            prop_assert_eq!(sl.count(), model.len());
        }
        // Removing everything prunes the trie back to the root.
        for (p, q, id) in model.drain(..) {
            prop_assert!(sl.remove(p.as_bytes(), q.as_deref().map(str::as_bytes), id));
        }
        prop_assert_eq!((sl.count(), sl.node_count()), (0, 1));
        prop_assert_eq!(matchers[0].stats().cache_hits, 0);
    }
}

// Validators against naive transcriptions of nats-server's rules.

fn naive_valid_subject(s: &str) -> bool {
    let toks: Vec<&str> = s.split('.').collect();
    toks.iter().all(|t| !t.is_empty())
        && !toks[..toks.len() - 1].contains(&">")
        && !s.chars().any(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c'))
}

fn naive_literal(s: &str) -> bool {
    !s.split('.').any(|t| t == "*" || t == ">")
}

proptest! {
    #[test]
    fn subject_validators_match_naive_rules(s in "[ab.*> \t\r\n\x0c\x0b]{0,8}") {
        let b = s.as_bytes();
        prop_assert_eq!(subject::is_valid_subject(b), naive_valid_subject(&s));
        let no_ws = !s.chars().any(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c'));
        let sub_ok = subject::is_valid_subscribe_subject(b);
        prop_assert_eq!(sub_ok && no_ws, naive_valid_subject(&s));
        prop_assert_eq!(subject::is_literal(b), naive_literal(&s));
        prop_assert_eq!(
            subject::is_valid_literal_subject(b),
            naive_literal(&s) && s.split('.').all(|t| !t.is_empty())
        );
        prop_assert_eq!(subject::is_valid_publish_subject(b), naive_valid_subject(&s) && naive_literal(&s));
        prop_assert_eq!(subject::is_well_formed(b), s.split('.').all(|t| !t.is_empty()));
        prop_assert_eq!(subject::tokens(b).count(), s.split('.').count());
        prop_assert_eq!(subject::num_tokens(b), s.split('.').count());
        // The sublist accepts exactly the SUB-valid subjects.
        let mut sl: Sublist<u8> = Sublist::new();
        prop_assert_eq!(sl.insert(b, None, 0).is_ok(), sub_ok);
    }
}

#[test]
fn sublist_matcher_cache_steps_aside_when_not_paying() {
    let mut sl: Sublist<u32> = Sublist::new();
    sl.insert(b"inbox.>", None, 1).unwrap();
    sl.insert(b"hot.*", None, 2).unwrap();
    let mut m = Matcher::new(4);
    // Unique subjects (like reply inboxes) never hit: after one window the
    // cache is bypassed, and answers stay right throughout.
    for i in 0..2000 {
        assert_eq!(m.matches(&sl, format!("inbox.{i}").as_bytes()).plain, [1]);
    }
    let st = m.stats();
    assert!(st.cache_bypassed > 1000 && st.cache_hits == 0, "{st:?}");
    // A small repeating working set later gets the cache back.
    for i in 0..20_000 {
        assert_eq!(m.matches(&sl, format!("hot.{}", i % 3).as_bytes()).plain, [2]);
    }
    let later = m.stats();
    assert!(later.cache_hits > 10_000, "{later:?}");
}
