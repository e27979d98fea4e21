//! Reproducers for bugs found by the fuzz targets in `native/fuzz`, kept as plain tests.

use myelin_core::parser::{Flow, OpHandler, Parser, ParserLimits, Publish};
use myelin_core::wire_error::Fatal;

/// Records ops as text; accepts everything.
#[derive(Default)]
struct Rec(Vec<String>);

impl OpHandler for Rec {
    fn on_connect(&mut self, json: &[u8]) -> Result<Flow, Fatal> {
        self.0.push(format!("CONNECT {}", String::from_utf8_lossy(json)));
        Ok(Flow::Continue)
    }
    fn awaiting_auth(&mut self) -> bool {
        false
    }
    fn on_publish_args(&mut self, _: &[u8], _: &[u8], _: Option<usize>, _: usize) -> Result<(), Fatal> {
        Ok(())
    }
    fn on_publish(&mut self, m: Publish<'_>) -> Result<(), Fatal> {
        self.0.push(format!("PUB {} {}", String::from_utf8_lossy(m.subject), m.body.len()));
        Ok(())
    }
    fn on_sub(&mut self, subject: &[u8], _: Option<&[u8]>, sid: &[u8]) -> Result<(), Fatal> {
        self.0.push(format!("SUB {} {}", String::from_utf8_lossy(subject), String::from_utf8_lossy(sid)));
        Ok(())
    }
    fn on_unsub(&mut self, _: &[u8], _: Option<u64>) -> Result<(), Fatal> {
        Ok(())
    }
    fn on_ping(&mut self) -> Result<(), Fatal> {
        self.0.push("PING".into());
        Ok(())
    }
    fn on_pong(&mut self) -> Result<(), Fatal> {
        Ok(())
    }
    fn on_client_err(&mut self, _: &[u8]) -> Result<(), Fatal> {
        Err(Fatal::CLIENT_ERR)
    }
    fn headers_allowed(&mut self) -> bool {
        true
    }
}

fn parse_chunks(limits: ParserLimits, chunks: &[&[u8]]) -> (Vec<String>, Option<Fatal>) {
    let mut p = Parser::new(limits);
    let mut h = Rec::default();
    for c in chunks {
        if let Err(e) = p.parse(c, &mut h) {
            return (h.0, Some(e));
        }
    }
    (h.0, None)
}

/// Found by the `parser` target (crash-e1e81dcb…, fed byte by byte): a control line exactly
/// `max_control_line` long was refused with MAX_CONTROL_LINE when its `\r` arrived in one read and its `\n`
/// in the next, because the held-line check counted the terminator's `\r`. The same bytes in one read were
/// accepted.
#[test]
fn control_line_of_exactly_the_limit_split_between_cr_and_lf() {
    let limits = ParserLimits { max_control_line: 16, max_payload: 1024 };
    // "SUB " + a 16-byte argument line.
    let line: &[u8] = b"SUB foo.bar.baz.q 12\r\n";
    assert_eq!(line.len() - 4 - 2, 16);
    let whole = parse_chunks(limits, &[line]);
    assert_eq!(whole, (vec!["SUB foo.bar.baz.q 12".to_string()], None));
    let (head, tail) = line.split_at(line.len() - 1); // cut between `\r` and `\n`
    assert_eq!(parse_chunks(limits, &[head, tail]), whole);
    // Byte by byte, as the fuzzer found it.
    let bytes: Vec<&[u8]> = line.chunks(1).collect();
    assert_eq!(parse_chunks(limits, &bytes), whole);
    // One byte more is still refused, split or not.
    let long: &[u8] = b"SUB foo.bar.baz.qq 12\r\n";
    assert_eq!(parse_chunks(limits, &[long]).1, Some(Fatal::MAX_CONTROL_LINE));
    let (head, tail) = long.split_at(long.len() - 1);
    assert_eq!(parse_chunks(limits, &[head, tail]).1, Some(Fatal::MAX_CONTROL_LINE));
}

/// Found by the `engine` target (crash-991e72c9…): a client subscribed to `>` with echo and no_responders
/// publishes 14 requests of 32 bytes in one chunk; its own echo pushes it past max_pending, so the engine closes it as a
/// slow consumer and drops its backlog. The parser then went on with the rest of the chunk: each later
/// request found no open receiver and queued a 503 no-responders HMSG on the closed connection's emptied
/// buffer (and would have routed its publishes to everyone else). Now the rest of the input is dropped.
#[test]
fn publisher_closed_by_its_own_echo_stops_processing_its_input() {
    use myelin_core::engine::{Engine, EngineConfig, Event};
    use myelin_core::wire_error::CloseReason;
    let cfg = EngineConfig { max_pending: 512, ..EngineConfig::default() };
    let mut e = Engine::new(cfg, 1);
    let info: &[u8] = b"INFO {\"server_id\":\"fuzz\",\"headers\":true,\"max_payload\":1024}\r\n";
    let a = e.open_conn(info, Some(info));
    let b = e.open_conn(info, Some(info));
    e.ingest(b, b"CONNECT {}\r\nSUB a 1\r\n");
    let _ = e.take_outbound(b);
    let mut chunk = b"CONNECT {\"headers\":true,\"no_responders\":true}\r\nSUB > 1\r\n".to_vec();
    for _ in 0..14 {
        chunk.extend_from_slice(b"PUB a _INBOX.x 32\r\n0123456789abcdef0123456789abcdef\r\n");
    }
    chunk.extend_from_slice(b"PING\r\n");
    e.ingest(a, &chunk);
    let events = e.take_events();
    assert!(events.contains(&Event::Close { conn: a, reason: CloseReason::SlowConsumerPendingBytes }));
    // The slow consumer's backlog is dropped and nothing is queued after it.
    assert_eq!(e.pending_bytes(a), 0, "{:?}", String::from_utf8_lossy(e.outbound(a)));
    // The other subscriber got the messages published before the close, not the ones after it.
    let got = e.take_outbound(b);
    let n = got.windows(4).filter(|w| w == b"MSG ").count();
    assert!(n > 0 && n < 14, "b received {n} messages");
    e.close_conn(a);
    e.close_conn(b);
    assert_eq!(e.subscription_count(), 0);
}
