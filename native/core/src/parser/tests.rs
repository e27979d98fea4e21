//! Parser tests: every op, every error, and every transcript re-fed split at every byte offset.

use super::*;
use crate::wire_error::{CloseReason, WireError};

/// Records ops as text so results from differently split inputs compare equal.
#[derive(Default)]
struct Recorder {
    ops: Vec<String>,
    headers: bool,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl OpHandler for Recorder {
    fn on_connect(&mut self, json: &[u8]) -> Result<Flow, Fatal> {
        self.headers = s(json).contains("\"headers\":true");
        self.ops.push(format!("CONNECT {}", s(json)));
        Ok(Flow::Continue)
    }
    fn awaiting_auth(&mut self) -> bool {
        false
    }
    fn on_publish_args(&mut self, subject: &[u8], reply: &[u8], hdr: Option<usize>, size: usize) -> Result<(), Fatal> {
        self.ops.push(format!("ARGS {} [{}] {:?} {}", s(subject), s(reply), hdr, size));
        Ok(())
    }
    fn on_publish(&mut self, m: Publish<'_>) -> Result<(), Fatal> {
        self.ops.push(format!("PUB {} [{}] {:?} {:?}", s(m.subject), s(m.reply), m.header_len, s(m.body)));
        Ok(())
    }
    fn on_sub(&mut self, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Result<(), Fatal> {
        self.ops.push(format!("SUB {} {:?} {}", s(subject), queue.map(s), s(sid)));
        Ok(())
    }
    fn on_unsub(&mut self, sid: &[u8], max: Option<u64>) -> Result<(), Fatal> {
        self.ops.push(format!("UNSUB {} {:?}", s(sid), max));
        Ok(())
    }
    fn on_ping(&mut self) -> Result<(), Fatal> {
        self.ops.push("PING".into());
        Ok(())
    }
    fn on_pong(&mut self) -> Result<(), Fatal> {
        self.ops.push("PONG".into());
        Ok(())
    }
    fn on_client_err(&mut self, text: &[u8]) -> Result<(), Fatal> {
        self.ops.push(format!("ERR {}", s(text)));
        Err(Fatal::CLIENT_ERR)
    }
    fn headers_allowed(&mut self) -> bool {
        self.headers
    }
}

fn limits() -> ParserLimits {
    ParserLimits { max_control_line: 4096, max_payload: 1024 * 1024 }
}

/// Feed `chunks` in order; returns the ops and the first fatal error.
fn run(chunks: &[&[u8]]) -> (Vec<String>, Option<Fatal>) {
    let mut p = Parser::new(limits());
    let mut r = Recorder::default();
    for c in chunks {
        if let Err(f) = p.parse(c, &mut r) {
            return (r.ops, Some(f));
        }
    }
    (r.ops, None)
}

const TRANSCRIPT: &[u8] = b"CONNECT {\"verbose\":false,\"headers\":true}\r\n\
PING\r\nPONG\r\n\
SUB foo 1\r\nsub bar.* q 22\r\nSUB\t>\t\t3\r\n\
PUB foo 5\r\nhello\r\n\
pub foo.bar _INBOX.x 0\r\n\r\n\
HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n\
HPUB h r 18 18\r\nNATS/1.0\r\nA: b\r\n\r\n\r\n\
UNSUB 1\r\nUNSUB 22 10\r\n\
+OK\r\nINFO {}\r\nPING\n";

#[test]
fn transcript_whole() {
    let (ops, err) = run(&[TRANSCRIPT]);
    assert_eq!(err, None);
    let expected = [
        "CONNECT {\"verbose\":false,\"headers\":true}",
        "PING",
        "PONG",
        "SUB foo None 1",
        "SUB bar.* Some(\"q\") 22",
        "SUB > None 3",
        "ARGS foo [] None 5",
        "PUB foo [] None \"hello\"",
        "ARGS foo.bar [_INBOX.x] None 0",
        "PUB foo.bar [_INBOX.x] None \"\"",
        "ARGS h [] Some(12) 14",
        "PUB h [] Some(12) \"NATS/1.0\\r\\n\\r\\nhi\"",
        "ARGS h [r] Some(18) 18",
        "PUB h [r] Some(18) \"NATS/1.0\\r\\nA: b\\r\\n\\r\\n\"",
        "UNSUB 1 None",
        "UNSUB 22 Some(10)",
        "PING",
    ];
    assert_eq!(ops, expected);
}

#[test]
fn transcript_split_at_every_offset() {
    let (whole, _) = run(&[TRANSCRIPT]);
    for i in 0..=TRANSCRIPT.len() {
        let (a, b) = TRANSCRIPT.split_at(i);
        let (ops, err) = run(&[a, b]);
        assert_eq!(err, None, "split at {i}");
        assert_eq!(ops, whole, "split at {i}");
    }
}

#[test]
fn transcript_split_at_every_pair_of_offsets() {
    let (whole, _) = run(&[TRANSCRIPT]);
    let n = TRANSCRIPT.len();
    for i in 0..=n {
        for j in i..=n {
            let (ops, err) = run(&[&TRANSCRIPT[..i], &TRANSCRIPT[i..j], &TRANSCRIPT[j..]]);
            assert_eq!(err, None, "split at {i},{j}");
            assert_eq!(ops, whole, "split at {i},{j}");
        }
    }
}

#[test]
fn transcript_one_byte_at_a_time() {
    let (whole, _) = run(&[TRANSCRIPT]);
    let chunks: Vec<&[u8]> = TRANSCRIPT.chunks(1).collect();
    let (ops, err) = run(&chunks);
    assert_eq!(err, None);
    assert_eq!(ops, whole);
}

#[test]
fn unknown_ops_are_parse_errors() {
    for input in
        [&b"FOO\r\n"[..], b"MSG foo 1 0\r\n\r\n", b"PX\r\n", b"UNSUB\r\n", b"PUBX foo 0\r\n", b"\r\n", b" PING\r\n"]
    {
        let (_, err) = run(&[input]);
        assert_eq!(err, Some(Fatal::PARSE), "{:?}", s(input));
        assert_eq!(Fatal::PARSE.error, Some(WireError::UnknownProtocolOperation));
    }
}

#[test]
fn ping_ignores_trailing_bytes_like_nats_server() {
    let (ops, err) = run(&[b"PING x\r\nPINGX\r\nping\r\n"]);
    assert_eq!(err, None);
    assert_eq!(ops, ["PING", "PING", "PING"]);
}

#[test]
fn malformed_args_close_without_error_text() {
    for input in [
        &b"PUB foo\r\n"[..],
        b"PUB foo x\r\n",
        b"PUB foo -1\r\n",
        b"PUB a b c d\r\n",
        b"SUB foo\r\n",
        b"SUB a b c d\r\n",
        b"UNSUB 1 2 3\r\n",
        b"PUB \r\n",
    ] {
        let (_, err) = run(&[input]);
        assert_eq!(err, Some(Fatal::BAD_ARGS), "{:?}", s(input));
        assert_eq!(Fatal::BAD_ARGS.error, None);
    }
}

#[test]
fn unsub_with_unparseable_max_means_no_max() {
    let (ops, err) = run(&[b"UNSUB 1 x\r\n"]);
    assert_eq!(err, None);
    assert_eq!(ops, ["UNSUB 1 None"]);
}

#[test]
fn payload_must_end_in_crlf() {
    let (ops, err) = run(&[b"PUB foo 2\r\nabc\r\n"]);
    assert_eq!(err, Some(Fatal::PARSE));
    assert_eq!(ops, ["ARGS foo [] None 2"]);
    // The same when the payload is split.
    let (_, err) = run(&[b"PUB foo 2\r\nab", b"c\r\n"]);
    assert_eq!(err, Some(Fatal::PARSE));
    // A short payload fails as soon as the byte after it is wrong, without waiting for more input.
    let (_, err) = run(&[b"PUB foo 2\r\nh\r\n"]);
    assert_eq!(err, Some(Fatal::PARSE));
}

#[test]
fn hpub_needs_headers_and_sane_sizes() {
    let (_, err) = run(&[b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"]);
    assert_eq!(err, Some(Fatal::BAD_ARGS));
    let (_, err) = run(&[b"CONNECT {\"headers\":true}\r\nHPUB foo 14 12\r\n"]);
    assert_eq!(err, Some(Fatal::BAD_ARGS));
}

#[test]
fn max_payload_is_checked_at_the_control_line() {
    let mut p = Parser::new(ParserLimits { max_control_line: 4096, max_payload: 10 });
    let mut r = Recorder::default();
    assert_eq!(p.parse(b"PUB foo 10\r\n0123456789\r\n", &mut r), Ok(24));
    assert_eq!(p.parse(b"PUB foo 11\r\n", &mut r), Err(Fatal::MAX_PAYLOAD));
    assert_eq!(Fatal::MAX_PAYLOAD.reason, CloseReason::MaxPayloadExceeded);
}

#[test]
fn max_control_line_applies_to_held_partial_lines() {
    let mut p = Parser::new(ParserLimits { max_control_line: 16, max_payload: 1024 });
    let mut r = Recorder::default();
    assert_eq!(p.parse(b"SUB 0123456789", &mut r), Ok(14));
    assert_eq!(p.parse(b"0123456789", &mut r), Err(Fatal::MAX_CONTROL_LINE));
}

#[test]
fn client_err_closes() {
    let (ops, err) = run(&[b"-ERR 'boom'\r\n"]);
    assert_eq!(ops, ["ERR 'boom'"]);
    assert_eq!(err, Some(Fatal::CLIENT_ERR));
}

#[test]
fn large_split_payload_is_reassembled() {
    let payload = vec![b'x'; 100_000];
    let mut input = b"PUB big 100000\r\n".to_vec();
    input.extend_from_slice(&payload);
    input.extend_from_slice(b"\r\nPING\r\n");
    for chunk in [1usize, 7, 4096, 65536] {
        let chunks: Vec<&[u8]> = input.chunks(chunk).collect();
        let (ops, err) = run(&chunks);
        assert_eq!(err, None);
        assert_eq!(ops.len(), 3);
        assert!(ops[1].starts_with("PUB big [] None \"xxx"));
        assert_eq!(ops[1].len(), "PUB big [] None \"\"".len() + 100_000);
        assert_eq!(ops[2], "PING");
    }
}
