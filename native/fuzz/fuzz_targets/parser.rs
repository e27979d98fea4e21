//! Parser fuzz target.
//!
//! Input layout: `[mode] [nsplits] [split offsets: nsplits x u16 LE] [protocol bytes...]`.
//!
//! The protocol bytes are parsed twice by fresh parsers: once whole, once cut at the fuzzer-chosen offsets.
//! A checking handler asserts per-op invariants (declared sizes, non-empty arguments, limits). Both runs
//! must produce the same op sequence, the same error (or none) and the same final idle state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myelin_core::parser::{Flow, OpHandler, Parser, ParserLimits, Publish};
use myelin_core::wire_error::Fatal;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rec {
    Connect(Vec<u8>),
    PubArgs { subject: Vec<u8>, reply: Vec<u8>, hdr: Option<usize>, size: usize },
    Pub { subject: Vec<u8>, reply: Vec<u8>, hdr: Option<usize>, body: Vec<u8> },
    Sub { subject: Vec<u8>, queue: Option<Vec<u8>>, sid: Vec<u8> },
    Unsub { sid: Vec<u8>, max: Option<u64> },
    Ping,
    Pong,
    ClientErr(Vec<u8>),
}

struct Checker {
    limits: ParserLimits,
    ops: Vec<Rec>,
    /// Auth required until a CONNECT has been seen.
    awaiting_auth: bool,
    /// HPUB allowed only after a CONNECT (mode bit) or always.
    headers_always: bool,
    connected: bool,
    /// CONNECT pauses parsing (the driver resumes with the rest, as `authorize` does).
    pause_on_connect: bool,
    /// The args announced by `on_publish_args`, waiting for their payload.
    pending: Option<(Vec<u8>, Vec<u8>, Option<usize>, usize)>,
}

fn check_token(what: &str, t: &[u8]) {
    assert!(!t.is_empty(), "empty {what}");
    assert!(!t.iter().any(|&b| b == b' ' || b == b'\t' || b == b'\n'), "{what} holds a separator: {t:?}");
}

impl OpHandler for Checker {
    fn on_connect(&mut self, json: &[u8]) -> Result<Flow, Fatal> {
        assert!(self.pending.is_none(), "CONNECT while a PUB payload is pending");
        assert!(json.len() <= self.limits.max_control_line, "CONNECT line over the limit");
        assert!(!json.contains(&b'\n'), "CONNECT line holds a newline");
        self.ops.push(Rec::Connect(json.to_vec()));
        // A content-dependent refusal, so error paths out of a handler are exercised identically in both runs.
        if json.starts_with(b"!") {
            return Err(Fatal::BAD_ARGS);
        }
        self.awaiting_auth = false;
        self.connected = true;
        Ok(if self.pause_on_connect { Flow::Pause } else { Flow::Continue })
    }

    fn awaiting_auth(&mut self) -> bool {
        self.awaiting_auth
    }

    fn on_publish_args(&mut self, subject: &[u8], reply: &[u8], hdr: Option<usize>, size: usize) -> Result<(), Fatal> {
        assert!(self.pending.is_none(), "PUB args twice without a payload");
        check_token("subject", subject);
        if !reply.is_empty() {
            check_token("reply", reply);
        }
        assert!(size <= self.limits.max_payload, "size {size} over max_payload");
        if let Some(h) = hdr {
            assert!(h <= size, "header length {h} over total {size}");
        }
        assert!(subject.len() + reply.len() <= self.limits.max_control_line, "PUB args over the control line limit");
        self.ops.push(Rec::PubArgs { subject: subject.to_vec(), reply: reply.to_vec(), hdr, size });
        self.pending = Some((subject.to_vec(), reply.to_vec(), hdr, size));
        Ok(())
    }

    fn on_publish(&mut self, m: Publish<'_>) -> Result<(), Fatal> {
        let (subject, reply, hdr, size) = self.pending.take().expect("on_publish without on_publish_args");
        assert_eq!(m.subject, &subject[..], "subject changed between args and payload");
        assert_eq!(m.reply, &reply[..], "reply changed between args and payload");
        assert_eq!(m.header_len, hdr, "header length changed");
        assert_eq!(m.body.len(), size, "payload length differs from the declared size");
        if let Some(h) = m.header_len {
            assert!(h <= m.body.len());
        }
        self.ops.push(Rec::Pub { subject, reply, hdr, body: m.body.to_vec() });
        // A content-dependent refusal from the publish path too.
        if m.body.starts_with(b"!") {
            return Err(Fatal::CLIENT_ERR);
        }
        Ok(())
    }

    fn on_sub(&mut self, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Result<(), Fatal> {
        assert!(self.pending.is_none());
        check_token("subject", subject);
        check_token("sid", sid);
        if let Some(q) = queue {
            check_token("queue", q);
        }
        self.ops.push(Rec::Sub { subject: subject.to_vec(), queue: queue.map(<[u8]>::to_vec), sid: sid.to_vec() });
        Ok(())
    }

    fn on_unsub(&mut self, sid: &[u8], max: Option<u64>) -> Result<(), Fatal> {
        assert!(self.pending.is_none());
        check_token("sid", sid);
        if let Some(m) = max {
            assert!(m < 1_000_000_000, "max over 9 digits");
        }
        self.ops.push(Rec::Unsub { sid: sid.to_vec(), max });
        Ok(())
    }

    fn on_ping(&mut self) -> Result<(), Fatal> {
        assert!(self.pending.is_none());
        self.ops.push(Rec::Ping);
        Ok(())
    }

    fn on_pong(&mut self) -> Result<(), Fatal> {
        assert!(self.pending.is_none());
        self.ops.push(Rec::Pong);
        Ok(())
    }

    fn on_client_err(&mut self, text: &[u8]) -> Result<(), Fatal> {
        assert!(self.pending.is_none());
        self.ops.push(Rec::ClientErr(text.to_vec()));
        Err(Fatal::CLIENT_ERR)
    }

    fn headers_allowed(&mut self) -> bool {
        self.headers_always || self.connected
    }
}

/// Feed `chunks` in order, resuming after a pause like the engine does with held input. Returns the error,
/// if any, and whether the parser ended idle.
fn run(parser: &mut Parser, h: &mut Checker, chunks: &[&[u8]]) -> (Option<Fatal>, bool) {
    for chunk in chunks {
        let mut rest: &[u8] = chunk;
        loop {
            match parser.parse(rest, h) {
                Err(e) => return (Some(e), parser.is_idle()),
                Ok(n) => {
                    assert!(n <= rest.len(), "consumed more than given");
                    if n == rest.len() {
                        break;
                    }
                    assert!(n > 0, "paused without progress");
                    rest = &rest[n..];
                }
            }
        }
    }
    (None, parser.is_idle())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mode = data[0];
    let nsplits = (data[1] % 8) as usize;
    let mut rest = &data[2..];
    let mut offsets = Vec::with_capacity(nsplits);
    for _ in 0..nsplits {
        if rest.len() < 2 {
            break;
        }
        offsets.push(u16::from_le_bytes([rest[0], rest[1]]) as usize);
        rest = &rest[2..];
    }
    let input = rest;
    // Small limits so the limit paths are reachable; mode picks among a few.
    let limits = ParserLimits {
        max_control_line: [16, 64, 4096, 33][(mode & 3) as usize],
        max_payload: [8, 256, 1 << 20, 0][((mode >> 2) & 3) as usize],
    };
    let new_checker = || Checker {
        limits,
        ops: Vec::new(),
        awaiting_auth: mode & 0x10 != 0,
        headers_always: mode & 0x20 != 0,
        connected: false,
        pause_on_connect: mode & 0x40 != 0,
        pending: None,
    };

    let mut whole_h = new_checker();
    let mut whole_p = Parser::new(limits);
    let (whole_err, whole_idle) = run(&mut whole_p, &mut whole_h, &[input]);

    let mut cuts: Vec<usize> = offsets.iter().map(|&o| o % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    for c in cuts {
        chunks.push(&input[at..c]);
        at = c;
    }
    chunks.push(&input[at..]);
    // mode bit 7: also feed byte by byte, the most split a stream can be.
    let bytewise: Vec<&[u8]>;
    let chunks: &[&[u8]] = if mode & 0x80 != 0 {
        bytewise = input.chunks(1).collect();
        &bytewise
    } else {
        &chunks
    };
    let mut split_h = new_checker();
    let mut split_p = Parser::new(limits);
    let (split_err, split_idle) = run(&mut split_p, &mut split_h, chunks);

    assert_eq!(whole_h.ops, split_h.ops, "op sequence differs when split");
    assert_eq!(whole_err, split_err, "error differs when split");
    if whole_err.is_none() {
        assert_eq!(whole_idle, split_idle, "final state differs when split");
        assert_eq!(whole_h.pending.is_some(), split_h.pending.is_some());
    }
});
