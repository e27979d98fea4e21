//! The client-protocol parser: a resumable state machine over received bytes.
//!
//! Semantics follow nats-server's `server/parser.go`: op words are matched byte by byte and case-insensitively,
//! spaces and tabs separate arguments, a control line ends at `\n` (a `\r` just before it is dropped), and a
//! message payload is skipped by its declared length rather than scanned. Unlike the Go parser, argument lines
//! are located with `memchr` instead of a byte loop, since nothing inside them needs a state change.
//!
//! Buffer ownership: `parse` borrows the caller's chunk only for the duration of the call. Whatever must
//! survive into the next chunk (a partial control line, a partial payload) is copied into the parser's own
//! `arg_buf` / `msg_buf`, which it reuses for the life of the connection. Complete ops inside one chunk are
//! handed to the [`OpHandler`] as slices of the chunk itself: no copy on the common path.

use crate::wire_error::Fatal;

/// Where a published message is in its journey through the parser. Slices borrow from the chunk being
/// parsed or from the parser's hold buffers; either way they are valid only inside the handler call.
pub struct Publish<'a> {
    pub subject: &'a [u8],
    pub reply: &'a [u8],
    /// Length of the header block for HPUB (it starts the `body`); `None` for PUB.
    pub header_len: Option<usize>,
    /// Headers (if any) followed by the payload, without the trailing CRLF.
    pub body: &'a [u8],
}

/// What the parser does after CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop here: the rest of the input waits until the control plane has authenticated the client.
    Pause,
}

/// Receives parsed ops. Returning `Err` stops parsing: the connection is to be closed.
pub trait OpHandler {
    fn on_connect(&mut self, json: &[u8]) -> Result<Flow, Fatal>;
    /// True while authentication is required and no CONNECT has been accepted: then any op but CONNECT is an
    /// authorization violation, as in nats-server.
    fn awaiting_auth(&mut self) -> bool;
    /// An op other than CONNECT came first while `awaiting_auth`: true if the handler takes it to the control
    /// plane (nats-server's `no_auth_user` exception); parsing then pauses before the op, which is parsed again
    /// once the client is admitted. False makes it an authorization violation.
    fn admit_without_connect(&mut self) -> bool {
        false
    }
    /// Called when a PUB/HPUB control line is complete, before its payload has arrived, so that argument
    /// errors are reported at the same moment nats-server reports them.
    fn on_publish_args(
        &mut self,
        subject: &[u8],
        reply: &[u8],
        header_len: Option<usize>,
        size: usize,
    ) -> Result<(), Fatal>;
    fn on_publish(&mut self, msg: Publish<'_>) -> Result<(), Fatal>;
    fn on_sub(&mut self, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Result<(), Fatal>;
    fn on_unsub(&mut self, sid: &[u8], max: Option<u64>) -> Result<(), Fatal>;
    fn on_ping(&mut self) -> Result<(), Fatal>;
    fn on_pong(&mut self) -> Result<(), Fatal>;
    /// The peer sent `-ERR`: nats-server closes a client that does.
    fn on_client_err(&mut self, text: &[u8]) -> Result<(), Fatal>;
    /// Whether HPUB is accepted now: the client said `headers: true` in a CONNECT, possibly earlier in the
    /// same chunk, and the server supports headers.
    fn headers_allowed(&mut self) -> bool;
    /// Protocol tracing is on: the parser then reports each op line through `trace_in` before handling it.
    fn tracing(&self) -> bool {
        false
    }
    /// A received op as nats-server traces it: the op word and its raw argument line (CRLF removed).
    fn trace_in(&mut self, _op: &'static str, _arg: Option<&[u8]>) {}
}

/// Limits the parser enforces itself.
#[derive(Clone, Copy, Debug)]
pub struct ParserLimits {
    pub max_control_line: usize,
    pub max_payload: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Pub,
    HPub,
    Sub,
    Unsub,
    Connect,
    Info,
    Err,
}

impl Op {
    /// The name nats-server's trace gives the op; `None` for ops it does not trace from clients.
    fn trace_name(self) -> Option<&'static str> {
        match self {
            Op::Pub => Some("PUB"),
            Op::HPub => Some("HPUB"),
            Op::Sub => Some("SUB"),
            Op::Unsub => Some("UNSUB"),
            Op::Connect => Some("CONNECT"),
            Op::Info | Op::Err => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Expecting the first byte of an op.
    Start,
    /// Inside an op word; `word` indexes [`OP_WORDS`], `pos` is how many letters matched.
    Word { word: u8, pos: u8 },
    /// After an op word, skipping spaces before its arguments.
    Space(Op),
    /// Collecting an argument line up to `\n`.
    Arg(Op),
    /// PING, PONG or +OK seen: everything up to `\n` is ignored, as nats-server does.
    SkipLine(Bare),
    /// Receiving `size + 2` bytes of payload and CRLF.
    Payload,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bare {
    Ping,
    Pong,
    Ok,
}

/// The op words a client may send. The first letter picks the candidates; later letters must follow
/// exactly one word, except for the shared prefixes (`P` → PUB/PING/PONG, `H` → HPUB only for clients).
const OP_WORDS: [&[u8]; 9] = [b"PUB", b"PING", b"PONG", b"HPUB", b"SUB", b"UNSUB", b"CONNECT", b"INFO", b"+OK"];
const W_PUB: u8 = 0;
const W_PING: u8 = 1;
const W_PONG: u8 = 2;
const W_HPUB: u8 = 3;
const W_SUB: u8 = 4;
const W_UNSUB: u8 = 5;
const W_CONNECT: u8 = 6;
const W_INFO: u8 = 7;
const W_OK: u8 = 8;
/// `-ERR` is matched separately because it needs a following space like PUB.
const MINUS_ERR: &[u8] = b"-ERR";
const W_MINUS_ERR: u8 = 9;

/// The pending PUB/HPUB whose payload is still arriving. Ranges index into `arg_buf`.
#[derive(Clone, Copy, Debug, Default)]
struct PendingPub {
    subject: (usize, usize),
    reply: (usize, usize),
    header_len: Option<usize>,
    size: usize,
}

/// Per-connection parser state. Owned by the connection for its whole life.
pub struct Parser {
    state: State,
    /// A control line split across chunks, or the args of a PUB whose payload is split.
    arg_buf: Vec<u8>,
    /// A payload (plus CRLF) split across chunks.
    msg_buf: Vec<u8>,
    /// Subject and reply of the PUB whose payload is split; `pending` indexes into it.
    pub_args: Vec<u8>,
    pending: PendingPub,
    pub limits: ParserLimits,
}

/// Split an argument line on runs of spaces and tabs into at most `N` fields; returns the count found,
/// which may exceed `N` (extra fields are counted but not stored).
fn split_args<'a, const N: usize>(line: &'a [u8], out: &mut [&'a [u8]; N]) -> usize {
    let mut count = 0;
    let mut start: Option<usize> = None;
    for (i, &b) in line.iter().enumerate() {
        if b == b' ' || b == b'\t' {
            if let Some(s) = start.take() {
                if count < N {
                    out[count] = &line[s..i];
                }
                count += 1;
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        if count < N {
            out[count] = &line[s..];
        }
        count += 1;
    }
    count
}

/// nats-server's size parsing: decimal digits only; anything else (or an overflow) is invalid.
pub fn parse_size(b: &[u8]) -> Option<usize> {
    // nats-server refuses more than 9 digits, which also keeps the value inside an i32.
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut n: usize = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as usize;
    }
    Some(n)
}

impl Parser {
    pub fn new(limits: ParserLimits) -> Parser {
        Parser {
            state: State::Start,
            arg_buf: Vec::new(),
            msg_buf: Vec::new(),
            pub_args: Vec::new(),
            pending: PendingPub::default(),
            limits,
        }
    }

    /// True when no op is partially received.
    pub fn is_idle(&self) -> bool {
        self.state == State::Start
    }

    /// Parse one received chunk, calling `h` for each complete op. Stops at the first fatal error. Returns how
    /// many bytes were consumed: all of them, unless a CONNECT paused parsing (the caller keeps the rest).
    pub fn parse<H: OpHandler>(&mut self, buf: &[u8], h: &mut H) -> Result<usize, Fatal> {
        let mut i = 0;
        let len = buf.len();
        while i < len {
            match self.state {
                State::Start => {
                    let b = buf[i].to_ascii_uppercase();
                    if b != b'C' && h.awaiting_auth() {
                        if h.admit_without_connect() {
                            return Ok(i);
                        }
                        return Err(Fatal::AUTH_VIOLATION);
                    }
                    self.state = match b {
                        b'P' => State::Word { word: W_PUB, pos: 1 },
                        b'H' => State::Word { word: W_HPUB, pos: 1 },
                        b'S' => State::Word { word: W_SUB, pos: 1 },
                        b'U' => State::Word { word: W_UNSUB, pos: 1 },
                        b'C' => State::Word { word: W_CONNECT, pos: 1 },
                        b'I' => State::Word { word: W_INFO, pos: 1 },
                        b'+' => State::Word { word: W_OK, pos: 1 },
                        b'-' => State::Word { word: W_MINUS_ERR, pos: 1 },
                        _ => return Err(Fatal::PARSE),
                    };
                    i += 1;
                }
                State::Word { word, pos } => {
                    let b = buf[i].to_ascii_uppercase();
                    let text = if word == W_MINUS_ERR { MINUS_ERR } else { OP_WORDS[word as usize] };
                    if (pos as usize) < text.len() {
                        // `P` is shared by PUB, PING and PONG: the second letter decides.
                        let word = if word == W_PUB && pos == 1 {
                            match b {
                                b'U' => W_PUB,
                                b'I' => W_PING,
                                b'O' => W_PONG,
                                _ => return Err(Fatal::PARSE),
                            }
                        } else if b == text[pos as usize] {
                            word
                        } else {
                            return Err(Fatal::PARSE);
                        };
                        self.state = State::Word { word, pos: pos + 1 };
                        i += 1;
                        continue;
                    }
                    // The whole word matched; decide what may follow it.
                    self.state = match word {
                        W_PING => State::SkipLine(Bare::Ping),
                        W_PONG => State::SkipLine(Bare::Pong),
                        W_OK => State::SkipLine(Bare::Ok),
                        // CONNECT and INFO may be followed directly by their JSON.
                        W_CONNECT => State::Space(Op::Connect),
                        W_INFO => State::Space(Op::Info),
                        _ => {
                            if b != b' ' && b != b'\t' {
                                return Err(Fatal::PARSE);
                            }
                            i += 1;
                            State::Space(match word {
                                W_PUB => Op::Pub,
                                W_HPUB => Op::HPub,
                                W_SUB => Op::Sub,
                                W_UNSUB => Op::Unsub,
                                _ => Op::Err,
                            })
                        }
                    };
                }
                State::Space(op) => {
                    let b = buf[i];
                    if b == b' ' || b == b'\t' {
                        i += 1;
                    } else {
                        self.state = State::Arg(op);
                    }
                }
                State::SkipLine(bare) => match memchr::memchr(b'\n', &buf[i..]) {
                    None => i = len,
                    Some(off) => {
                        i += off + 1;
                        self.state = State::Start;
                        if h.tracing() {
                            match bare {
                                Bare::Ping => h.trace_in("PING", None),
                                Bare::Pong => h.trace_in("PONG", None),
                                Bare::Ok => {}
                            }
                        }
                        match bare {
                            Bare::Ping => h.on_ping()?,
                            Bare::Pong => h.on_pong()?,
                            Bare::Ok => {}
                        }
                    }
                },
                State::Arg(op) => {
                    let Some(off) = memchr::memchr(b'\n', &buf[i..]) else {
                        self.arg_buf.extend_from_slice(&buf[i..]);
                        // Like nats-server, the control-line limit is checked on what is held over between
                        // reads: that is what bounds memory. A `\r` held at the end may be the line's terminator,
                        // which does not count (nats-server does not hold it either).
                        let held = self.arg_buf.len() - usize::from(self.arg_buf.last() == Some(&b'\r'));
                        if held > self.limits.max_control_line {
                            return Err(Fatal::MAX_CONTROL_LINE);
                        }
                        return Ok(len);
                    };
                    let end = i + off;
                    let next = end + 1;
                    let held = !self.arg_buf.is_empty();
                    if held {
                        self.arg_buf.extend_from_slice(&buf[i..end]);
                    }
                    // Detach the line from `self` so the handler can borrow both.
                    let mut arg_buf = std::mem::take(&mut self.arg_buf);
                    let line: &[u8] = if held { &arg_buf } else { &buf[i..end] };
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if h.tracing() && line.len() <= self.limits.max_control_line {
                        if let Some(name) = op.trace_name() {
                            h.trace_in(name, Some(line));
                        }
                    }
                    let result = if line.len() > self.limits.max_control_line {
                        Err(Fatal::MAX_CONTROL_LINE)
                    } else if op == Op::Connect {
                        self.state = State::Start;
                        h.on_connect(line).map(|flow| (next, flow))
                    } else {
                        self.finish_line(op, line, buf, next, h).map(|n| (n, Flow::Continue))
                    };
                    arg_buf.clear();
                    self.arg_buf = arg_buf;
                    let (n, flow) = result?;
                    i = n;
                    if flow == Flow::Pause {
                        return Ok(i);
                    }
                }
                State::Payload => {
                    let need = self.pending.size + 2 - self.msg_buf.len();
                    let take = need.min(len - i);
                    self.msg_buf.extend_from_slice(&buf[i..i + take]);
                    i += take;
                    self.check_trailer()?;
                    if take == need {
                        self.state = State::Start;
                        let result = self.deliver_held(h);
                        self.msg_buf.clear();
                        result?;
                    }
                }
            }
        }
        Ok(len)
    }

    /// Handle a complete control line. Returns the index in `buf` where parsing continues.
    fn finish_line<H: OpHandler>(
        &mut self,
        op: Op,
        line: &[u8],
        buf: &[u8],
        next: usize,
        h: &mut H,
    ) -> Result<usize, Fatal> {
        self.state = State::Start;
        match op {
            Op::Connect => unreachable!("CONNECT is handled by the caller"),
            Op::Info => {}
            Op::Err => h.on_client_err(line)?,
            Op::Sub => {
                let mut a: [&[u8]; 3] = [&[]; 3];
                match split_args(line, &mut a) {
                    2 => h.on_sub(a[0], None, a[1])?,
                    3 => h.on_sub(a[0], Some(a[1]), a[2])?,
                    _ => return Err(Fatal::BAD_ARGS),
                }
            }
            Op::Unsub => {
                let mut a: [&[u8]; 2] = [&[]; 2];
                match split_args(line, &mut a) {
                    1 => h.on_unsub(a[0], None)?,
                    // An unparseable max is ignored, as nats-server ignores a negative parse result.
                    2 => h.on_unsub(a[0], parse_size(a[1]).map(|n| n as u64))?,
                    _ => return Err(Fatal::BAD_ARGS),
                }
            }
            Op::Pub | Op::HPub => return self.start_publish(op, line, buf, next, h),
        }
        Ok(next)
    }

    fn start_publish<H: OpHandler>(
        &mut self,
        op: Op,
        line: &[u8],
        buf: &[u8],
        next: usize,
        h: &mut H,
    ) -> Result<usize, Fatal> {
        let mut a: [&[u8]; 4] = [&[]; 4];
        let n = split_args(line, &mut a);
        let (subject, reply, header_len, size) = if op == Op::Pub {
            let (subject, reply, size) = match n {
                2 => (a[0], &[][..], a[1]),
                3 => (a[0], a[1], a[2]),
                _ => return Err(Fatal::BAD_ARGS),
            };
            (subject, reply, None, parse_size(size).ok_or(Fatal::BAD_ARGS)?)
        } else {
            if !h.headers_allowed() {
                return Err(Fatal::BAD_ARGS);
            }
            let (subject, reply, hdr, total) = match n {
                3 => (a[0], &[][..], a[1], a[2]),
                4 => (a[0], a[1], a[2], a[3]),
                _ => return Err(Fatal::BAD_ARGS),
            };
            let hdr = parse_size(hdr).ok_or(Fatal::BAD_ARGS)?;
            let total = parse_size(total).ok_or(Fatal::BAD_ARGS)?;
            if hdr > total {
                return Err(Fatal::BAD_ARGS);
            }
            (subject, reply, Some(hdr), total)
        };
        if size > self.limits.max_payload {
            return Err(Fatal::MAX_PAYLOAD);
        }
        h.on_publish_args(subject, reply, header_len, size)?;

        // Fast path: the whole payload and its CRLF are in this chunk, so deliver straight from it.
        let end = next + size;
        if end + 2 <= buf.len() {
            if &buf[end..end + 2] != b"\r\n" {
                return Err(Fatal::PARSE);
            }
            h.on_publish(Publish { subject, reply, header_len, body: &buf[next..end] })?;
            return Ok(end + 2);
        }

        // Split payload: keep a copy of the args (they may point into the caller's chunk) and of the bytes
        // received so far. Both buffers keep their capacity for the next split message.
        self.pub_args.clear();
        self.pub_args.extend_from_slice(subject);
        self.pub_args.extend_from_slice(reply);
        self.pending = PendingPub {
            subject: (0, subject.len()),
            reply: (subject.len(), subject.len() + reply.len()),
            header_len,
            size,
        };
        self.msg_buf.clear();
        self.msg_buf.reserve(size + 2);
        let avail = &buf[next.min(buf.len())..];
        self.msg_buf.extend_from_slice(avail);
        self.state = State::Payload;
        self.check_trailer()?;
        Ok(buf.len())
    }

    /// The two bytes after a payload must be CRLF. Check them as soon as they arrive, as nats-server's
    /// byte-wise states do, so a short payload fails at once instead of waiting for bytes that may never come.
    fn check_trailer(&self) -> Result<(), Fatal> {
        let size = self.pending.size;
        let got = &self.msg_buf;
        if (got.len() > size && got[size] != b'\r') || (got.len() > size + 1 && got[size + 1] != b'\n') {
            return Err(Fatal::PARSE);
        }
        Ok(())
    }

    fn deliver_held<H: OpHandler>(&self, h: &mut H) -> Result<(), Fatal> {
        let p = self.pending;
        let (args, msg) = (&self.pub_args, &self.msg_buf);
        if &msg[p.size..] != b"\r\n" {
            return Err(Fatal::PARSE);
        }
        h.on_publish(Publish {
            subject: &args[p.subject.0..p.subject.1],
            reply: &args[p.reply.0..p.reply.1],
            header_len: p.header_len,
            body: &msg[..p.size],
        })
    }
}

#[cfg(test)]
mod tests;
