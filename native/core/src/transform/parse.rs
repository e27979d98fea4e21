//! Reading one destination token: a literal, `$N`, or a `{{function(args)}}` placeholder, with nats-server's
//! argument rules and error kinds (its `indexPlaceHolders`). Function names match as nats-server's patterns
//! do: `{{`, optional whitespace, the name with the first letter of each word in either case, optional
//! whitespace, `(`, the arguments up to the last `)` that is followed by optional whitespace and `}}`.

use super::{ErrorKind, TransformError};

/// What a destination token does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Literal,
    Wildcard,
    Partition,
    SplitFromLeft,
    SplitFromRight,
    SliceFromLeft,
    SliceFromRight,
    Split,
    Left,
    Right,
    Random,
}

/// A parsed destination token. `indexes` are wildcard numbers (1-based, as written) until the transform
/// turns them into source token positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub func: Func,
    pub indexes: Vec<i64>,
    pub int_arg: i32,
    pub delim: Vec<u8>,
}

impl Placeholder {
    fn new(func: Func, indexes: Vec<i64>, int_arg: i32) -> Self {
        Placeholder { func, indexes, int_arg, delim: Vec::new() }
    }
}

/// The functions in the order nats-server tries them, with their names split into words.
const FUNCTIONS: &[(Func, &[&str])] = &[
    (Func::Wildcard, &["wildcard"]),
    (Func::Partition, &["partition"]),
    (Func::SplitFromLeft, &["split", "from", "left"]),
    (Func::SplitFromRight, &["split", "from", "right"]),
    (Func::SliceFromLeft, &["slice", "from", "left"]),
    (Func::SliceFromRight, &["slice", "from", "right"]),
    (Func::Right, &["right"]),
    (Func::Left, &["left"]),
    (Func::Split, &["split"]),
    (Func::Random, &["random"]),
];

/// The functions an account mapping's destination may name (nats-server's `ValidateMapping` list, which
/// lacks `left` and `right`).
pub const MAPPING_FUNCTIONS: &[Func] = &[
    Func::Partition,
    Func::Wildcard,
    Func::SplitFromLeft,
    Func::SplitFromRight,
    Func::SliceFromLeft,
    Func::SliceFromRight,
    Func::Split,
    Func::Random,
];

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

fn skip_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

/// The name's words at `i`: each word's first letter in either case, the rest exact. Returns the end.
fn match_name(s: &[u8], mut i: usize, words: &[&str]) -> Option<usize> {
    for w in words {
        let w = w.as_bytes();
        let end = i + w.len();
        if end > s.len() || !s[i].eq_ignore_ascii_case(&w[0]) || s[i + 1..end] != w[1..] {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The argument text of `{{name(args)}}` somewhere in `token`, as nats-server's unanchored pattern finds it.
pub fn function_args<'a>(token: &'a [u8], words: &[&str]) -> Option<&'a [u8]> {
    for start in 0..token.len().saturating_sub(1) {
        if &token[start..start + 2] != b"{{" {
            continue;
        }
        let Some(i) = match_name(token, skip_space(token, start + 2), words) else { continue };
        let i = skip_space(token, i);
        if token.get(i) != Some(&b'(') {
            continue;
        }
        let args = i + 1;
        // `.*` is greedy and stops at a newline: the last `)` before one that `\s*}}` follows.
        let line_end = token[args..].iter().position(|&b| b == b'\n').map_or(token.len(), |p| args + p);
        for j in (args..line_end).rev() {
            if token[j] == b')' {
                let k = skip_space(token, j + 1);
                if token[k..].starts_with(b"}}") {
                    return Some(&token[args..j]);
                }
            }
        }
    }
    None
}

/// Whether `token` names `func` as nats-server's pattern for it would match.
pub fn names_function(token: &[u8], func: Func) -> bool {
    FUNCTIONS.iter().any(|(f, words)| *f == func && function_args(token, words).is_some())
}

/// nats-server splits arguments on `,` followed by any whitespace.
fn split_args(args: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < args.len() {
        if args[i] == b',' {
            out.push(&args[start..i]);
            i = skip_space(args, i + 1);
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&args[start..]);
    out
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ').unwrap_or(s.len());
    let end = s.iter().rposition(|&b| b != b' ').map_or(start, |p| p + 1);
    &s[start..end]
}

/// Go's `strconv.Atoi` after trimming spaces: an optional sign and decimal digits, in range of an int64.
fn atoi(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(trim_spaces(s)).ok()?.parse().ok()
}

/// Go's `strconv.ParseInt(s, 10, 32)` after trimming spaces.
fn atoi32(s: &[u8]) -> Option<i32> {
    std::str::from_utf8(trim_spaces(s)).ok()?.parse().ok()
}

fn err(kind: ErrorKind, token: &[u8]) -> TransformError {
    TransformError::new(kind, String::from_utf8_lossy(token).into_owned())
}

/// A function of a wildcard index and an int (`splitFromLeft`, `left`, ...).
fn index_and_int(token: &[u8], args: &[&[u8]], func: Func) -> Result<Placeholder, TransformError> {
    match args.len() {
        0 | 1 => return Err(err(ErrorKind::NotEnoughArgs, token)),
        2 => {}
        _ => return Err(err(ErrorKind::TooManyArgs, token)),
    }
    let index = atoi(args[0]).ok_or_else(|| err(ErrorKind::InvalidArg, token))?;
    let int_arg = atoi32(args[1]).ok_or_else(|| err(ErrorKind::InvalidArg, token))?;
    Ok(Placeholder::new(func, vec![index], int_arg))
}

/// A count argument (`partition`, `random`): an int no larger than an int32 holds.
fn count(token: &[u8], arg: &[u8]) -> Result<i32, TransformError> {
    match atoi(arg) {
        Some(n) if n <= i32::MAX as i64 => Ok(n as i32),
        _ => Err(err(ErrorKind::InvalidArg, token)),
    }
}

/// Parse one destination token.
pub fn placeholder(token: &[u8]) -> Result<Placeholder, TransformError> {
    let literal = Ok(Placeholder::new(Func::Literal, vec![-1], -1));
    let n = token.len();
    if n <= 1 {
        return literal;
    }
    if token[0] == b'$' {
        // `$N`; any other `$` token is a literal (other features use such tokens).
        return match std::str::from_utf8(&token[1..]).ok().and_then(|s| s.parse::<i64>().ok()) {
            Some(i) => Ok(Placeholder::new(Func::Wildcard, vec![i], -1)),
            None => literal,
        };
    }
    if !(n > 4 && token.starts_with(b"{{") && token.ends_with(b"}}")) {
        return literal;
    }
    for (func, words) in FUNCTIONS {
        let Some(raw) = function_args(token, words) else { continue };
        let args = split_args(raw);
        return match func {
            Func::Wildcard => match args.as_slice() {
                [b""] => Err(err(ErrorKind::NotEnoughArgs, token)),
                [a] => Ok(Placeholder::new(
                    Func::Wildcard,
                    vec![atoi(a).ok_or_else(|| err(ErrorKind::InvalidArg, token))?],
                    -1,
                )),
                _ => Err(err(ErrorKind::TooManyArgs, token)),
            },
            Func::Partition => {
                let partitions = count(token, args[0])?;
                let mut indexes = Vec::with_capacity(args.len() - 1);
                for a in &args[1..] {
                    indexes.push(atoi(a).ok_or_else(|| err(ErrorKind::InvalidArg, token))?);
                }
                Ok(Placeholder::new(Func::Partition, indexes, partitions))
            }
            Func::Split => {
                match args.len() {
                    0 | 1 => return Err(err(ErrorKind::NotEnoughArgs, token)),
                    2 => {}
                    _ => return Err(err(ErrorKind::TooManyArgs, token)),
                }
                let index = atoi(args[0]).ok_or_else(|| err(ErrorKind::InvalidArg, token))?;
                if args[1].contains(&b' ') || args[1].contains(&b'.') {
                    return Err(err(ErrorKind::InvalidArg, token));
                }
                Ok(Placeholder { func: Func::Split, indexes: vec![index], int_arg: -1, delim: args[1].to_vec() })
            }
            Func::Random => {
                if args.len() != 1 {
                    return Err(err(ErrorKind::NotEnoughArgs, token));
                }
                Ok(Placeholder::new(Func::Random, Vec::new(), count(token, args[0])?))
            }
            f => index_and_int(token, &args, *f),
        };
    }
    Err(err(ErrorKind::UnknownFunction, token))
}
