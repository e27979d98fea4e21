//! Subject validation and tokenising: the single source of truth for what a
//! NATS subject is, for the whole project.
//!
//! A subject is a byte string split on `.` into tokens. In a subscription a
//! token that is exactly `*` matches any one token and a token that is exactly
//! `>` matches one or more trailing tokens. Wildcard characters that are only
//! *part* of a token (`foo.*bar`, `foo>`, `**`) are plain literal bytes.
//!
//! The Go nats-server is the spec, and it does not have one notion of "valid":
//! each entry point checks something slightly different. We mirror each one
//! with its own function instead of inventing a single stricter rule, so that
//! a client sees exactly the `-ERR` it would see from nats-server:
//!
//! | function | nats-server equivalent | used for |
//! |---|---|---|
//! | [`is_valid_subscribe_subject`] | the check inside `Sublist.Insert` | `SUB`: failure is `-ERR 'Invalid Subject'` |
//! | [`is_valid_subject`] | `IsValidSubject` | config, mappings, permissions, imports/exports |
//! | [`is_valid_subject_checked`] | `isValidSubject(s, checkRunes=true)` | as above, also refusing NUL / bad UTF-8 |
//! | [`is_valid_literal_subject`] | `IsValidLiteralSubject` | pedantic `PUB`/`HPUB`: `-ERR 'Invalid Publish Subject'` (message is still routed) |
//! | [`is_valid_publish_subject`] | `IsValidPublishSubject` | literal and valid (whitespace refused) |
//! | [`is_literal`] / [`has_wildcard`] | `subjectIsLiteral` | fast wildcard test, no validation |
//! | [`is_well_formed`] | the guard at the top of `Sublist.match` | a publish subject that can match anything |
//! | [`is_valid_queue`] | (nothing: see its doc) | queue group names |
//!
//! Facts established from nats-server's source and `sublist_test.go`:
//! * Empty tokens are always invalid: `""`, `"."`, `".foo"`, `"foo."`, `"foo..bar"`.
//! * `>` must be the last token: `"foo.>.bar"`, `">.bar"` are invalid.
//! * `"foo.*bar"`, `"foo*"`, `"foo.>>"`, `">bar"` are valid, and literal.
//! * `IsValidSubject` refuses ` `, `\t`, `\n`, `\r`, `\f` anywhere (not `\v`).
//!   `Sublist.Insert` and `IsValidLiteralSubject` do *not* check whitespace:
//!   on the wire the protocol splitter already cut the line on ` \t\r\n`.
//! * Publishing to a subject with an empty token matches nothing (no error
//!   unless pedantic). Publishing to `foo.*` is allowed without pedantic, and
//!   the `*` is then an ordinary token (it matches `foo.*`, `foo.>`, `*.*`).
//!
//! Also here: [`tokens`] (a `strings.Split`-like token iterator),
//! [`split_well_formed`] (check and tokenise a publish subject in one pass),
//! [`subject_matches`] (one pattern against one subject) and [`SubjectHash`]
//! (the seeded hasher for subject- and token-keyed maps).
//!
//! Everything works on `&[u8]`: subjects come straight off the wire and
//! nats-server does not require UTF-8 except in the `checked` variant.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::iter::FusedIterator;

/// The token separator.
pub const SEP: u8 = b'.';
/// The single-token wildcard, when it is a whole token.
pub const PWC: u8 = b'*';
/// The tail wildcard, when it is the whole last token.
pub const FWC: u8 = b'>';

/// Why a subscription could not be added to a [`crate::sublist::Sublist`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectError {
    /// The subject failed [`is_valid_subscribe_subject`]. nats-server answers
    /// `-ERR 'Invalid Subject'` and keeps the connection.
    InvalidSubject,
    /// The queue group name failed [`is_valid_queue`].
    InvalidQueue,
}

impl fmt::Display for SubjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SubjectError::InvalidSubject => "invalid subject",
            SubjectError::InvalidQueue => "invalid queue group",
        })
    }
}

impl std::error::Error for SubjectError {}

/// Iterator over the `.`-separated tokens of a subject; see [`tokens`].
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    // `None` once the last token has been yielded; an empty remainder still
    // yields one (empty) token, exactly like Go's `strings.Split`.
    rest: Option<&'a [u8]>,
}

/// Splits `subject` on `.` like Go's `strings.Split`: empty tokens are
/// yielded as empty slices, and an empty subject yields one empty token.
/// This is what makes `""`, `".a"` and `"a..b"` detectable as invalid.
pub fn tokens(subject: &[u8]) -> Tokens<'_> {
    Tokens { rest: Some(subject) }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(SEP, rest) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

impl FusedIterator for Tokens<'_> {}

/// Number of tokens, counting empty ones (`"a..b"` has 3, `""` has 1).
/// This is what nats-server compares against `max_subscription_tokens`.
pub fn num_tokens(subject: &[u8]) -> usize {
    memchr::memchr_iter(SEP, subject).count() + 1
}

#[inline]
fn is_pwc(tok: &[u8]) -> bool {
    tok.len() == 1 && tok[0] == PWC
}

#[inline]
fn is_fwc(tok: &[u8]) -> bool {
    tok.len() == 1 && tok[0] == FWC
}

/// The whitespace bytes `IsValidSubject` refuses. Note: not `\v`.
#[inline]
fn is_subject_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// True when the subject has no empty token (and so is not empty). This is
/// the only shape check nats-server applies to a message's subject before
/// matching: anything else yields no subscribers rather than an error.
#[inline]
pub fn is_well_formed(subject: &[u8]) -> bool {
    // A plain byte loop: measured faster than memchr/memmem on subject-sized
    // inputs, whose setup cost dominates below a few dozen bytes.
    let mut prev = SEP;
    for &b in subject {
        if b == SEP && prev == SEP {
            return false;
        }
        prev = b;
    }
    prev != SEP
}

/// Splits a publish subject into token byte ranges `(start, end)`, appending
/// to `out`, in the same single pass that checks [`is_well_formed`]. Returns
/// false (with `out` holding an unspecified prefix) when it is not.
/// Used by the sublist so a match scans the subject exactly once.
#[inline]
pub fn split_well_formed(subject: &[u8], out: &mut Vec<(usize, usize)>) -> bool {
    let mut start = 0;
    for (i, &b) in subject.iter().enumerate() {
        if b == SEP {
            if i == start {
                return false;
            }
            out.push((start, i));
            start = i + 1;
        }
    }
    if start == subject.len() {
        return false;
    }
    out.push((start, subject.len()));
    true
}

/// What `SUB` accepts: no empty token, and `>` only as the last token. This is
/// the check nats-server's `Sublist.Insert` makes (its failure becomes
/// `-ERR 'Invalid Subject'`). It deliberately does not refuse whitespace,
/// because nats-server does not at that point; use [`is_valid_subject`] for
/// subjects that do not come from a `SUB` line.
pub fn is_valid_subscribe_subject(subject: &[u8]) -> bool {
    let mut after_fwc = false;
    for tok in tokens(subject) {
        if tok.is_empty() || after_fwc {
            return false;
        }
        after_fwc = is_fwc(tok);
    }
    true
}

/// nats-server's `IsValidSubject`: [`is_valid_subscribe_subject`] plus no
/// ` `, `\t`, `\n`, `\r` or `\f` anywhere. Wildcards are allowed.
pub fn is_valid_subject(subject: &[u8]) -> bool {
    is_valid_subscribe_subject(subject) && !subject.iter().copied().any(is_subject_space)
}

/// nats-server's `isValidSubject(subject, checkRunes = true)`:
/// [`is_valid_subject`] plus no NUL byte and valid UTF-8.
pub fn is_valid_subject_checked(subject: &[u8]) -> bool {
    !subject.contains(&0) && std::str::from_utf8(subject).is_ok() && is_valid_subject(subject)
}

/// nats-server's `IsValidLiteralSubject`, the pedantic-mode `PUB` check: no
/// empty token and no token that is exactly `*` or `>`. Whitespace is not
/// checked (the wire splitter already removed it).
pub fn is_valid_literal_subject(subject: &[u8]) -> bool {
    tokens(subject).all(|t| !t.is_empty() && !is_pwc(t) && !is_fwc(t))
}

/// nats-server's `IsValidPublishSubject`: [`is_valid_subject`] and literal.
pub fn is_valid_publish_subject(subject: &[u8]) -> bool {
    is_valid_subject(subject) && is_literal(subject)
}

/// True when no token is exactly `*` or `>` (nats-server's
/// `subjectIsLiteral`). Does not validate; `""` and `"a..b"` are literal.
pub fn is_literal(subject: &[u8]) -> bool {
    // Scan only for the wildcard bytes (rare) and look at their neighbours,
    // instead of tokenising: this runs on hot paths such as cache keys.
    let last = subject.len().wrapping_sub(1);
    memchr::memchr2_iter(PWC, FWC, subject).all(|i| {
        let starts = i == 0 || subject[i - 1] == SEP;
        let ends = i == last || subject[i + 1] == SEP;
        !(starts && ends)
    })
}

/// Negation of [`is_literal`].
pub fn has_wildcard(subject: &[u8]) -> bool {
    !is_literal(subject)
}

/// Whether a queue group name is acceptable.
///
/// nats-server applies no syntax rule to queue names: whatever the `SUB`
/// line splitter produces is used as is, so the only real constraints are
/// "not empty" and "no ` `, `\t`, `\r`, `\n`" (the splitter's separators).
/// Dots and wildcard characters are allowed (`v1.*` is a legal queue name;
/// nats-server's permission code says so explicitly). We enforce exactly
/// those wire constraints so that a name arriving by another path (config,
/// API) cannot be one a `SUB` line could not express.
///
/// (nats-server additionally refuses the reserved group `_sys_` for client
/// connections, as a *permissions violation*; that is a policy decision for
/// the connection layer, not a syntax rule, so it is not checked here.)
pub fn is_valid_queue(queue: &[u8]) -> bool {
    !queue.is_empty() && !queue.iter().any(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Does the literal `subject` match the subscription `pattern`?
///
/// `*` and `>` are wildcards only as whole tokens of `pattern`; in `subject`
/// every token is literal (a published `foo.*` is matched by `foo.*` or
/// `foo.>`, not by `foo.bar`). `>` needs at least one token, so `foo.>` does
/// not match `foo`. A subject that is not [`is_well_formed`] matches nothing,
/// as in the sublist. `pattern` is assumed valid for subscribing.
pub fn subject_matches(pattern: &[u8], subject: &[u8]) -> bool {
    if !is_well_formed(subject) {
        return false;
    }
    let mut pats = tokens(pattern);
    let mut subs = tokens(subject);
    loop {
        match (pats.next(), subs.next()) {
            (None, None) => return true,
            (Some(p), Some(_)) if is_fwc(p) => return true,
            (Some(p), Some(s)) if is_pwc(p) || p == s => continue,
            _ => return false,
        }
    }
}

/// nats-server's `isSubsetMatch` on valid subjects: true if every subject `subject` can match is also
/// matched by `filter` (`a.b` and `a.*` are subsets of `a.*`; `a.>` is not a subset of `a.*`). False when
/// either is not [`is_valid_subject`]. Used for account exports and imports, at configuration time.
pub fn is_subset_match(subject: &[u8], filter: &[u8]) -> bool {
    if !is_valid_subject(subject) || !is_valid_subject(filter) {
        return false;
    }
    let mut subs = tokens(subject);
    for f in tokens(filter) {
        let s = subs.next();
        if is_fwc(f) {
            return s.is_some();
        }
        match s {
            None => return false,
            Some(s) if is_fwc(s) => return false,
            Some(_) if is_pwc(f) => continue,
            Some(s) if is_pwc(s) || s != f => return false,
            Some(_) => {}
        }
    }
    subs.next().is_none()
}

/// nats-server's `SubjectsCollide`: whether some literal subject could match both `a` and `b`.
pub fn subjects_collide(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let (wa, wb) = (has_wildcard(a), has_wildcard(b));
    if !wa && !wb {
        return false;
    }
    if !wa || !wb {
        return if wb { is_subset_match(a, b) } else { is_subset_match(b, a) };
    }
    let (na, nb) = (num_tokens(a), num_tokens(b));
    let fa = tokens(a).last().is_some_and(is_fwc);
    let fb = tokens(b).last().is_some_and(is_fwc);
    if (!fa && !fb && na != nb) || (na < nb && !fa) || (nb < na && !fb) {
        return false;
    }
    for (x, y) in tokens(a).zip(tokens(b)) {
        if is_fwc(x) || is_fwc(y) {
            return true;
        }
        if x != y && !is_pwc(x) && !is_pwc(y) {
            return false;
        }
    }
    true
}

/// A randomly seeded [`BuildHasher`] for maps keyed by subjects or tokens
/// (`[u8]`, `Box<[u8]>`, `Vec<u8>`), built on the folded 64x64->128-bit
/// multiply of wyhash/foldhash.
///
/// Why not std's default: it is several times cheaper than SipHash on short
/// keys, and the sublist does one lookup per token of every published
/// subject. Why not an unseeded fast hash: subjects are chosen by clients;
/// the random seed keeps collisions unpredictable to them (the same level of
/// flooding resistance as foldhash, hashbrown's own default). Only meant for
/// byte-string keys: other key types hash correctly but not as well.
#[derive(Debug, Clone, Copy)]
pub struct SubjectHash {
    k0: u64,
    k1: u64,
}

impl Default for SubjectHash {
    fn default() -> Self {
        Self::new()
    }
}

impl SubjectHash {
    /// A hasher builder with a fresh random seed.
    pub fn new() -> Self {
        // RandomState is std's source of per-process randomness.
        let rs = RandomState::new();
        SubjectHash { k0: rs.hash_one(0x5eed_u64), k1: rs.hash_one(0xfeed_u64) }
    }
}

impl BuildHasher for SubjectHash {
    type Hasher = SubjectHasher;
    fn build_hasher(&self) -> SubjectHasher {
        SubjectHasher { acc: self.k0, k1: self.k1 }
    }
}

/// The state of a [`SubjectHash`] hasher.
#[derive(Debug)]
pub struct SubjectHasher {
    acc: u64,
    k1: u64,
}

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline]
fn read8(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[inline]
fn read4(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()))
}

impl Hasher for SubjectHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        // Overlapping reads cover short inputs without a loop; mixing in the
        // length keeps e.g. "ab" and "abb" apart.
        let (a, b) = if len > 16 {
            let mut rest = bytes;
            while rest.len() > 16 {
                self.acc = fold_mul(read8(rest, 0) ^ self.acc, read8(rest, 8) ^ self.k1);
                rest = &rest[16..];
            }
            (read8(bytes, len - 16), read8(bytes, len - 8))
        } else if len >= 8 {
            (read8(bytes, 0), read8(bytes, len - 8))
        } else if len >= 4 {
            (read4(bytes, 0), read4(bytes, len - 4))
        } else if len > 0 {
            let x = u64::from(bytes[0]) << 16 | u64::from(bytes[len / 2]) << 8 | u64::from(bytes[len - 1]);
            (x, 0)
        } else {
            (0, 0)
        };
        self.acc = fold_mul(a ^ self.acc, b ^ self.k1 ^ len as u64);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        // For byte-string keys this is the length prefix, which `write`
        // mixes in anyway; for anything else, mix properly.
        self.acc = fold_mul(self.acc ^ n as u64, self.k1 | 1);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> &[u8] {
        x.as_bytes()
    }

    #[test]
    fn subject_tokens_like_strings_split() {
        let t = |x: &str| tokens(s(x)).map(|t| String::from_utf8_lossy(t).into_owned()).collect::<Vec<_>>();
        assert_eq!(t("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(t(""), [""]);
        assert_eq!(t("."), ["", ""]);
        assert_eq!(t("a..b"), ["a", "", "b"]);
        assert_eq!(t(".a."), ["", "a", ""]);
        assert_eq!(num_tokens(s("a..b")), 3);
        assert_eq!(num_tokens(s("")), 1);
        // nats-server's TestSubjectToken: one-based token positions.
        assert_eq!(tokens(s("foo.bar.baz.*")).nth(3), Some(s("*")));
        assert_eq!(tokens(s("foo.bar.baz.*")).nth(4), None);
    }

    // Mirrors nats-server's TestSublistValidLiteralSubjects.
    #[test]
    fn subject_valid_literal_cases() {
        for bad in ["", ".foo", "foo.", "foo..bar", "foo.bar.*", "foo.bar.>", "*", ">"] {
            assert!(!is_valid_literal_subject(s(bad)), "{bad:?}");
        }
        for good in [
            "foo", "foo*", "foo**", "foo.**", "foo*bar", "foo.*bar", "foo*.bar", "*bar", "foo>", "foo>>", "foo.>>",
            "foo>bar", "foo.>bar", "foo>.bar", ">bar",
        ] {
            assert!(is_valid_literal_subject(s(good)), "{good:?}");
        }
        // Pedantic PUB does not look at whitespace.
        assert!(is_valid_literal_subject(s("foo\x0cbar")));
    }

    // Mirrors nats-server's TestSublistValidlSubjects (sic) and TestSublistInvalidSubjectsInsert.
    #[test]
    fn subject_valid_subject_cases() {
        for bad in ["", ".", ".foo", "foo.", "foo..bar", "foo.bar..baz", ">.bar", "foo.>.bar", "foo.>.>"] {
            assert!(!is_valid_subject(s(bad)), "{bad:?}");
            assert!(!is_valid_subscribe_subject(s(bad)), "{bad:?}");
        }
        for good in [
            "foo",
            "foo.bar.*",
            "foo.bar.>",
            "*",
            ">",
            "*.>",
            "*.*.*",
            "foo*",
            "foo**",
            "foo.**",
            "foo*bar",
            "foo.*bar",
            "foo*.bar",
            "*bar",
            "foo>",
            "foo.>>",
            "foo>bar",
            "foo.>bar",
            "foo>.bar",
            ">bar",
            "foo.*-",
            "foo.>-",
        ] {
            assert!(is_valid_subject(s(good)), "{good:?}");
            assert!(is_valid_subscribe_subject(s(good)), "{good:?}");
        }
    }

    #[test]
    fn subject_whitespace_rules() {
        for ws in ["foo bar", "foo\tbar", "foo\nbar", "foo\rbar", "foo\x0cbar", " ", "a. ", "\t.a"] {
            assert!(!is_valid_subject(s(ws)), "{ws:?}");
            // The SUB path (Sublist.Insert) does not check whitespace.
            assert!(is_valid_subscribe_subject(s(ws)), "{ws:?}");
        }
        // Vertical tab is not in nats-server's list.
        assert!(is_valid_subject(s("foo\x0bbar")));
    }

    #[test]
    fn subject_checked_runes() {
        assert!(is_valid_subject_checked(s("foo.bär")));
        assert!(!is_valid_subject_checked(b"foo.\xffbar"));
        assert!(!is_valid_subject_checked(b"foo.\0"));
        assert!(is_valid_subject(b"foo.\xffbar"));
        assert!(!is_valid_subject_checked(s("foo..bar")));
    }

    // Mirrors nats-server's TestSubjectIsLiteral plus the publish variant.
    #[test]
    fn subject_is_literal_cases() {
        for lit in ["foo", "foo.bar", "foo*.bar", "*bar", "foo.>>", "", "a..b"] {
            assert!(is_literal(s(lit)), "{lit:?}");
        }
        for wc in ["*", ">", "foo.*", "foo.>", "foo.*.>", "foo.*.bar", "foo.bar.>", "*.a", "a.*.b"] {
            assert!(has_wildcard(s(wc)), "{wc:?}");
        }
        assert!(is_valid_publish_subject(s("foo.bar")));
        assert!(!is_valid_publish_subject(s("foo.*")));
        assert!(!is_valid_publish_subject(s("foo bar")));
    }

    #[test]
    fn subject_queue_names() {
        for good in ["q", "workers", "v1.*", ">", "a.b", "_sys_"] {
            assert!(is_valid_queue(s(good)), "{good:?}");
        }
        for bad in ["", "a b", "a\tb", "a\rb", "a\nb"] {
            assert!(!is_valid_queue(s(bad)), "{bad:?}");
        }
    }

    // Mirrors nats-server's TestSublistMatchLiterals (its matchLiteral takes
    // (literal, pattern); ours takes (pattern, subject)).
    #[test]
    fn subject_matches_cases() {
        let yes = [
            ("foo", "foo"),
            ("*", "foo"),
            (">", "foo"),
            (">", "foo.bar"),
            ("foo.>", "foo.bar"),
            ("stats.>", "stats.test.22"),
            ("stats.*.*", "stats.test.22"),
            ("stats.test.foos", "stats.test.foos"),
            ("*bar", "*bar"),
            ("foo*", "foo*"),
            ("foo*bar", "foo*bar"),
            ("foo.***.bar", "foo.***.bar"),
            (">bar", ">bar"),
            ("foo>", "foo>"),
            ("foo>bar", "foo>bar"),
            ("foo.>>>.bar", "foo.>>>.bar"),
            ("foo.*", "foo.*"),
            ("foo.>", "foo.*"),
            ("*.*", "foo.*"),
        ];
        for (p, x) in yes {
            assert!(subject_matches(s(p), s(x)), "{p:?} should match {x:?}");
        }
        let no = [
            ("bar", "foo"),
            ("bar.>", "foo.bar"),
            ("foo", "foo.bar"),
            ("stats.test.foo", "stats.test.foos"),
            ("stats.test.*", "stats.test"),
            ("stats.*", "stats.test.foos"),
            ("stats.*.*.foos", "stats.test.foos"),
            ("foo.>", "foo"),
            ("foo.bar", "foo.*"),
            ("foo.*-", "foo.bar"),
            ("foo.>-", "foo.bar"),
            (">", ""),
            (">", "foo..bar"),
            ("*", ".foo"),
            ("foo.*", "foo."),
        ];
        for (p, x) in no {
            assert!(!subject_matches(s(p), s(x)), "{p:?} should not match {x:?}");
        }
    }

    #[test]
    fn subject_well_formed() {
        let mut v = Vec::new();
        for good in ["a", "a.b", "*", "a.*", ">", "abc.de.f"] {
            assert!(is_well_formed(s(good)), "{good:?}");
            v.clear();
            assert!(split_well_formed(s(good), &mut v), "{good:?}");
            let toks: Vec<&[u8]> = v.iter().map(|&(a, b)| &s(good)[a..b]).collect();
            assert_eq!(toks, tokens(s(good)).collect::<Vec<_>>());
        }
        for bad in ["", ".", ".a", "a.", "a..b", "a.b..c.d"] {
            assert!(!is_well_formed(s(bad)), "{bad:?}");
            assert!(!split_well_formed(s(bad), &mut v), "{bad:?}");
        }
    }

    #[test]
    fn subject_hash_is_consistent_and_seeded() {
        let (h1, h2) = (SubjectHash::new(), SubjectHash::new());
        let all = [
            "",
            "a",
            "ab",
            "abb",
            "abc",
            "abcd",
            "abcdefgh",
            "abcdefghi",
            "svc.12.34.evt",
            "a-rather-long-subject.with.tokens",
        ];
        for x in all {
            assert_eq!(h1.hash_one(s(x)), h1.hash_one(s(x).to_vec().into_boxed_slice()));
        }
        let hashes: std::collections::HashSet<u64> = all.iter().map(|x| h1.hash_one(s(x))).collect();
        assert_eq!(hashes.len(), all.len());
        assert_ne!(h1.hash_one(s("svc.12.34.evt")), h2.hash_one(s("svc.12.34.evt")));
        assert_ne!(h1.hash_one(1usize), h1.hash_one(2usize));
    }
    // Cases from nats-server's TestSubjectIsSubsetMatch and the import checks that rely on it.
    #[test]
    fn subject_subset_match() {
        for (subject, filter) in
            [("a.b", "a.*"), ("a.*", "a.>"), ("a.>", "a.>"), ("a.b.c", "a.>"), ("a", "a"), ("*", ">")]
        {
            assert!(is_subset_match(s(subject), s(filter)), "{subject} in {filter}");
        }
        for (subject, filter) in [
            ("a.>", "a.*"),
            ("a", "a.>"),
            ("a.*", "a.b"),
            ("a.b", "a.c"),
            ("a.b.c", "a.*"),
            ("a..b", "a.>"),
            ("a b", ">"),
        ] {
            assert!(!is_subset_match(s(subject), s(filter)), "{subject} not in {filter}");
        }
    }

    // Cases from nats-server's TestSubjectsCollide.
    #[test]
    fn subject_collisions() {
        for (a, b) in [
            ("foo.*", "foo.bar"),
            ("foo.*.baz", "foo.bar.*"),
            ("foo.>", "foo.bar.baz"),
            ("foo.*", "foo.>"),
            ("*.>", "foo.bar"),
            (">", "a"),
            ("foo.bar", "foo.bar"),
            ("foo.*.*", "*.bar.>"),
        ] {
            assert!(subjects_collide(s(a), s(b)), "{a} {b}");
            assert!(subjects_collide(s(b), s(a)), "{b} {a}");
        }
        for (a, b) in
            [("foo.bar", "foo.baz"), ("foo.*", "foo.bar.baz"), ("foo.*", "bar.*"), ("foo.*.baz", "foo.*"), ("a.b", "c")]
        {
            assert!(!subjects_collide(s(a), s(b)), "{a} {b}");
            assert!(!subjects_collide(s(b), s(a)), "{b} {a}");
        }
    }
}
