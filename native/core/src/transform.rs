//! Subject transforms, as nats-server's `subjectTransform` defines them: a source subject (maybe with
//! wildcards) and a destination made of literal tokens, `$N` and `{{function(args)}}` placeholders. Account
//! subject mappings (`mapping.rs`) use them; a JetStream stream's `subject_transform` can use them too.
//!
//! A [`Transform`] is built once from its configuration and is then a pure function of the subject's tokens
//! (plus a random source for `{{random(n)}}`). `{{partition(n, ...)}}` hashes with FNV-1a 32 exactly as
//! nats-server does, so a client sees the same partition numbers from either server.

mod parse;
#[cfg(test)]
mod tests;

use crate::subject::{self, FWC, PWC, SEP};
pub use parse::Func;
use std::fmt;

/// nats-server's mapping error kinds, with its texts (`errors.go`); they reach the operator in config errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    BadSubject,
    InvalidDestinationSubject,
    NotUsingAllWildcards,
    UnknownFunction,
    IndexOutOfRange,
    NotEnoughArgs,
    InvalidArg,
    TooManyArgs,
    NotSupportedForImport,
}

impl ErrorKind {
    pub fn text(self) -> &'static str {
        match self {
            ErrorKind::BadSubject => "invalid subject",
            ErrorKind::InvalidDestinationSubject => "invalid mapping destination: invalid transform",
            ErrorKind::NotUsingAllWildcards => "invalid mapping destination: not using all of the token wildcard(s)",
            ErrorKind::UnknownFunction => "invalid mapping destination: unknown function",
            ErrorKind::IndexOutOfRange => "invalid mapping destination: wildcard index out of range",
            ErrorKind::NotEnoughArgs => "invalid mapping destination: not enough arguments passed to the function",
            ErrorKind::InvalidArg => "invalid mapping destination: function argument is invalid or in the wrong format",
            ErrorKind::TooManyArgs => "invalid mapping destination: too many arguments passed to the function",
            ErrorKind::NotSupportedForImport => {
                "invalid mapping destination: the only mapping function allowed for import transforms is {{Wildcard()}}"
            }
        }
    }
}

/// An error and the destination token (or whole destination) it is about, worded `<kind> in <token>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformError {
    pub kind: ErrorKind,
    pub token: String,
}

impl TransformError {
    pub fn new(kind: ErrorKind, token: String) -> Self {
        TransformError { kind, token }
    }

    fn bare(kind: ErrorKind) -> Self {
        TransformError { kind, token: String::new() }
    }
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.token.is_empty() {
            f.write_str(self.kind.text())
        } else {
            write!(f, "{} in {}", self.kind.text(), self.token)
        }
    }
}

impl std::error::Error for TransformError {}

/// One destination token: what it does, the source token positions it reads, and its other arguments.
#[derive(Clone, Debug)]
struct DestToken {
    func: Func,
    text: Vec<u8>,
    sources: Vec<usize>,
    int_arg: i32,
    delim: Vec<u8>,
}

/// A compiled source → destination transform.
#[derive(Clone, Debug)]
pub struct Transform {
    src: String,
    dest: String,
    src_tokens: usize,
    dest_tokens: Vec<DestToken>,
}

/// nats-server's `subjectInfo`: valid (no empty token, nothing after `>`), tokens, `*` count, has `>`.
fn subject_info(s: &str) -> Option<(Vec<&[u8]>, usize, bool)> {
    if s.is_empty() {
        return None;
    }
    let (mut pwcs, mut fwc) = (0, false);
    let tokens: Vec<&[u8]> = subject::tokens(s.as_bytes()).collect();
    for t in &tokens {
        if t.is_empty() || fwc {
            return None;
        }
        match t {
            [FWC] => fwc = true,
            [PWC] => pwcs += 1,
            _ => {}
        }
    }
    Some((tokens, pwcs, fwc))
}

impl Transform {
    /// nats-server's `NewSubjectTransform` (`strict` = `NewSubjectTransformStrict`, for import transforms that
    /// must be reversible). `Ok(None)` for an empty destination; an empty source means `>`.
    pub fn new(src: &str, dest: &str, strict: bool) -> Result<Option<Transform>, TransformError> {
        if dest.is_empty() {
            return Ok(None);
        }
        let src = if src.is_empty() { ">" } else { src };
        let (Some((stokens, npwcs, src_fwc)), Some((dtokens, dpwcs, dest_fwc))) =
            (subject_info(src), subject_info(dest))
        else {
            return Err(TransformError::bare(ErrorKind::BadSubject));
        };
        if dpwcs > 0 || src_fwc != dest_fwc {
            return Err(TransformError::bare(ErrorKind::BadSubject));
        }
        // Wildcard number (1-based) → source token position; numbers not present read position 0, as in Go.
        let wildcard_positions: Vec<usize> =
            stokens.iter().enumerate().filter(|(_, t)| **t == [PWC]).map(|(i, _)| i).collect();
        let position = |n: i64| if n >= 1 { wildcard_positions.get(n as usize - 1).copied().unwrap_or(0) } else { 0 };
        let mut out = Vec::with_capacity(dtokens.len());
        let mut used = 0;
        for token in &dtokens {
            let p = parse::placeholder(token)?;
            let lossy = || String::from_utf8_lossy(token).into_owned();
            let mut d = DestToken {
                func: p.func,
                text: token.to_vec(),
                sources: Vec::new(),
                int_arg: p.int_arg,
                delim: p.delim,
            };
            if npwcs > 0 || src_fwc {
                if strict && !matches!(p.func, Func::Literal | Func::Wildcard) {
                    return Err(TransformError::new(ErrorKind::NotSupportedForImport, lossy()));
                }
                if !matches!(p.func, Func::Literal | Func::Random) {
                    used += p.indexes.len();
                    for &n in &p.indexes {
                        if n > npwcs as i64 {
                            return Err(TransformError::new(ErrorKind::IndexOutOfRange, format!("{}: [{n}]", lossy())));
                        }
                        d.sources.push(position(n));
                    }
                }
            } else if !matches!(p.func, Func::Literal | Func::Random | Func::Partition) {
                // A literal source has no wildcards to read; partition hashes the whole subject.
                return Err(TransformError::new(ErrorKind::IndexOutOfRange, lossy()));
            }
            out.push(d);
        }
        if strict && (npwcs > 0 || src_fwc) && used < npwcs {
            return Err(TransformError::new(ErrorKind::NotUsingAllWildcards, dest.to_string()));
        }
        Ok(Some(Transform {
            src: src.to_string(),
            dest: dest.to_string(),
            src_tokens: stokens.len(),
            dest_tokens: out,
        }))
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    pub fn destination(&self) -> &str {
        &self.dest
    }

    /// nats-server's `Match`: the transformed subject when `subject` (literal, valid) is within the source.
    pub fn transform(&self, subject: &[u8], random: &mut impl FnMut() -> u32) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let identity = (self.src == ">") && (self.dest == ">");
        if identity {
            return Some(subject.to_vec());
        }
        if !subject::is_valid_literal_subject(subject) || !subject::is_subset_match(subject, self.src.as_bytes()) {
            return None;
        }
        let tokens: Vec<&[u8]> = subject::tokens(subject).collect();
        self.apply(&tokens, random, &mut out);
        Some(out)
    }

    /// nats-server's `TransformTokenizedSubject`: write the destination for a subject already known to match,
    /// given as its tokens, to `out` (appended).
    pub fn apply(&self, tokens: &[&[u8]], random: &mut impl FnMut() -> u32, out: &mut Vec<u8>) {
        let last = self.dest_tokens.len() - 1;
        let token = |i: usize| tokens.get(i).copied().unwrap_or(b"");
        for (i, d) in self.dest_tokens.iter().enumerate() {
            match d.func {
                Func::Literal if d.text == [FWC] => break,
                Func::Literal => out.extend_from_slice(&d.text),
                Func::Partition => {
                    let mut hash = Fnv1a32::new();
                    if d.sources.is_empty() {
                        for (n, t) in tokens.iter().enumerate() {
                            if n > 0 {
                                hash.write(&[SEP]);
                            }
                            hash.write(t);
                        }
                    } else {
                        for &s in &d.sources {
                            hash.write(token(s));
                        }
                    }
                    let bucket = if d.int_arg == 0 { 0 } else { hash.finish() % d.int_arg as u32 };
                    push_number(out, bucket as i64);
                }
                Func::Wildcard => {
                    if let Some(t) = d.sources.first().and_then(|&s| tokens.get(s)) {
                        out.extend_from_slice(t);
                    }
                }
                Func::SplitFromLeft | Func::SplitFromRight => {
                    let t = token(d.sources[0]);
                    let at = d.int_arg as i64;
                    if at > 0 && (at as usize) < t.len() {
                        let cut = if d.func == Func::SplitFromLeft { at as usize } else { t.len() - at as usize };
                        out.extend_from_slice(&t[..cut]);
                        out.push(SEP);
                        out.extend_from_slice(&t[cut..]);
                    } else {
                        out.extend_from_slice(t);
                    }
                }
                Func::SliceFromLeft | Func::SliceFromRight => {
                    let t = token(d.sources[0]);
                    let size = d.int_arg as i64;
                    if size > 0 && (size as usize) < t.len() {
                        let size = size as usize;
                        // From the left the short piece is last; from the right it is first.
                        let first = if d.func == Func::SliceFromLeft { size } else { t.len() % size };
                        let mut at = 0;
                        let mut cut = if first == 0 { size } else { first };
                        while at < t.len() {
                            if at > 0 {
                                out.push(SEP);
                            }
                            out.extend_from_slice(&t[at..cut]);
                            at = cut;
                            cut = (cut + size).min(t.len());
                        }
                    } else {
                        out.extend_from_slice(t);
                    }
                }
                Func::Split => {
                    let parts = go_split(token(d.sources[0]), &d.delim);
                    for (j, part) in parts.iter().enumerate() {
                        out.extend_from_slice(part);
                        if j + 1 < parts.len() && !parts[j + 1].is_empty() && !(j == 0 && part.is_empty()) {
                            out.push(SEP);
                        }
                    }
                }
                Func::Left | Func::Right => {
                    let t = token(d.sources[0]);
                    let size = d.int_arg as i64;
                    if size > 0 && (size as usize) < t.len() {
                        let size = size as usize;
                        out.extend_from_slice(if d.func == Func::Left { &t[..size] } else { &t[t.len() - size..] });
                    } else {
                        out.extend_from_slice(t);
                    }
                }
                Func::Random => {
                    // Go: rand.Int31() % n (the sign of the remainder follows the dividend, never negative).
                    let n = d.int_arg as i64;
                    let v = if n == 0 { 0 } else { (random() & 0x7fff_ffff) as i64 % n };
                    push_number(out, v);
                }
            }
            if i < last {
                out.push(SEP);
            }
        }
        // A destination ending in `>` takes the source's remaining tokens.
        if self.dest_tokens[last].text == [FWC] {
            let from = self.src_tokens - 1;
            for (n, t) in tokens.iter().enumerate().skip(from) {
                if n > from {
                    out.push(SEP);
                }
                out.extend_from_slice(t);
            }
        }
    }
}

/// Go's `strings.Split`: an empty separator splits into UTF-8 characters.
fn go_split<'a>(s: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    if sep.is_empty() {
        let Ok(text) = std::str::from_utf8(s) else { return s.chunks(1).collect() };
        return text.char_indices().map(|(i, c)| &s[i..i + c.len_utf8()]).collect();
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= s.len() {
        if &s[i..i + sep.len()] == sep {
            parts.push(&s[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

fn push_number(out: &mut Vec<u8>, n: i64) {
    use std::io::Write;
    let _ = write!(out, "{n}");
}

/// FNV-1a, 32 bits (Go's `hash/fnv.New32a`).
pub struct Fnv1a32(u32);

impl Fnv1a32 {
    pub fn new() -> Self {
        Fnv1a32(0x811c_9dc5)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u32;
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }

    pub fn finish(&self) -> u32 {
        self.0
    }
}

impl Default for Fnv1a32 {
    fn default() -> Self {
        Self::new()
    }
}

/// nats-server's `ValidateMapping`: the checks an account mapping's destination gets before its transform is
/// built (empty tokens, tokens after `>`, whitespace, and only the functions mappings may use).
pub fn validate_mapping(src: &str, dest: &str) -> Result<(), TransformError> {
    if dest.is_empty() {
        return Ok(());
    }
    let mut after_fwc = false;
    for t in subject::tokens(dest.as_bytes()) {
        let lossy = || String::from_utf8_lossy(t).into_owned();
        if t.is_empty() || after_fwc {
            return Err(TransformError::new(ErrorKind::InvalidDestinationSubject, lossy()));
        }
        if t.len() > 4 && t.starts_with(b"{{") && t.ends_with(b"}}") {
            if parse::MAPPING_FUNCTIONS.iter().any(|&f| parse::names_function(t, f)) {
                continue;
            }
            return Err(TransformError::new(ErrorKind::UnknownFunction, lossy()));
        }
        if t == [FWC] {
            after_fwc = true;
        } else if t.iter().any(|b| matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')) {
            return Err(TransformError::bare(ErrorKind::InvalidDestinationSubject));
        }
    }
    Transform::new(src, dest, false).map(|_| ())
}
