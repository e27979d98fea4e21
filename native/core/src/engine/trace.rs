//! Protocol tracing (`-V`, `trace: true`): the text of nats-server's `[TRC]` lines for client ops.
//!
//! When tracing is off the engine tests one bool per op and does nothing else. When it is on, each traced op
//! appends one record to `buf`: `<conn slot> <text>\n`, where `<text>` is what nats-server prints after the
//! client's log prefix, for example `<<- [SUB foo  1]`, `->> [MSG foo 1 5]`, `<<- MSG_PAYLOAD: ["hello"]`,
//! `<-> [DELSUB 1]`. The buffer is owned by the engine until the control plane takes it (once per chunk, tick or
//! inbox drain), adds each connection's prefix and logs the lines. Records never contain `\n`: op arguments end
//! at the line's `\n`, payloads are quoted like Go's `%q`, and error texts come from the wire error table.

use super::EngineConfig;
use std::fmt::Write as _;

#[derive(Default)]
pub struct Tracer {
    on: bool,
    /// nats-server's `max_traced_msg_len`: payloads longer than this are cut and end with `...`; 0 = no limit.
    max_len: usize,
    /// nats-server's `trace_headers`: payload lines show only the header block, and nothing for messages
    /// without headers.
    headers_only: bool,
    buf: Vec<u8>,
    /// DELSUBs of connections the engine is closing, held until the control plane frees the slot: nats-server
    /// logs them after the connection's close line.
    held: Vec<(u32, Box<[u8]>)>,
}

impl Tracer {
    pub fn new(cfg: &EngineConfig) -> Tracer {
        let mut t = Tracer::default();
        t.configure(cfg);
        t
    }

    #[inline]
    pub fn on(&self) -> bool {
        self.on
    }

    /// Applies changed settings (reload); records already taken are unaffected.
    pub fn configure(&mut self, cfg: &EngineConfig) {
        self.on = cfg.trace || cfg.trace_headers;
        self.max_len = cfg.max_traced_msg_len;
        self.headers_only = cfg.trace_headers;
        if !self.on {
            self.buf = Vec::new();
            self.held = Vec::new();
        }
    }

    /// Everything traced since the last call, as `<slot> <text>\n` records.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// A received op: `<<- [OP arg]`, or `<<- [OP]` without arguments. CONNECT arguments have secrets redacted.
    pub fn op_in(&mut self, conn: u32, op: &str, arg: Option<&[u8]>) {
        if op == "CONNECT" {
            let redacted = arg.map(redact_secrets);
            self.op(conn, "<<-", op, redacted.as_deref());
        } else {
            self.op(conn, "<<-", op, arg);
        }
    }

    /// A sent op: `->> [OP arg]`.
    pub fn op_out(&mut self, conn: u32, op: &str, arg: Option<&[u8]>) {
        self.op(conn, "->>", op, arg);
    }

    /// A sent `-ERR 'text'\r\n` as queued on the wire, traced as nats-server does: `->> [-ERR text]`.
    pub fn err_out(&mut self, conn: u32, wire: &[u8]) {
        let text = wire.strip_prefix(b"-ERR ").unwrap_or(wire);
        let text = text.strip_suffix(b"\r\n").unwrap_or(text);
        let text = text.strip_prefix(b"'").and_then(|t| t.strip_suffix(b"'")).unwrap_or(text);
        self.op(conn, "->>", "-ERR", Some(text));
    }

    /// A delivered message: its MSG/HMSG line (without CRLF) as `->> [MSG foo 1 5]`, then its payload.
    pub fn msg_out(&mut self, conn: u32, line: &[u8], body: &[u8], header_len: Option<usize>) {
        self.start(conn);
        self.buf.extend_from_slice(b"->> [");
        self.buf.extend_from_slice(line);
        self.buf.extend_from_slice(b"]\n");
        self.payload(conn, true, body, header_len);
    }

    /// A subscription left the sublist (UNSUB, auto-unsubscribe reached, connection closed).
    pub fn delsub(&mut self, conn: u32, sid: &[u8]) {
        self.op(conn, "<->", "DELSUB", Some(sid));
    }

    /// A DELSUB of a connection that is closing: traced when its slot is freed (`release`).
    pub fn delsub_after_close(&mut self, conn: u32, sid: &[u8]) {
        self.held.push((conn, sid.into()));
    }

    /// The slot of `conn` is being freed: trace the DELSUBs held for it.
    pub fn release(&mut self, conn: u32) {
        if self.held.iter().all(|(c, _)| *c != conn) {
            return;
        }
        let held = std::mem::take(&mut self.held);
        for (c, sid) in held {
            if c == conn {
                self.delsub(c, &sid);
            } else {
                self.held.push((c, sid));
            }
        }
    }

    /// A message payload (headers included), received (`<<-`) or delivered (`->>`). Empty payloads are not traced.
    /// With `headers_only`, the header block without its closing blank line, if there is one.
    pub fn payload(&mut self, conn: u32, delivered: bool, body: &[u8], header_len: Option<usize>) {
        let body = if self.headers_only {
            match header_len {
                Some(h) if h > 0 && h <= body.len() => &body[..h.saturating_sub(4)],
                _ => return,
            }
        } else {
            body
        };
        if body.is_empty() {
            return;
        }
        self.start(conn);
        self.buf.extend_from_slice(if delivered { b"->> MSG_PAYLOAD: [\"" } else { b"<<- MSG_PAYLOAD: [\"" });
        if self.max_len > 0 && body.len() > self.max_len {
            go_quote_into(&mut self.buf, &body[..self.max_len]);
            self.buf.extend_from_slice(b"...");
        } else {
            go_quote_into(&mut self.buf, body);
        }
        self.buf.extend_from_slice(b"\"]\n");
    }

    fn start(&mut self, conn: u32) {
        let _ = write!(Appender(&mut self.buf), "{conn} ");
    }

    fn op(&mut self, conn: u32, dir: &str, op: &str, arg: Option<&[u8]>) {
        self.start(conn);
        self.buf.extend_from_slice(dir.as_bytes());
        self.buf.extend_from_slice(b" [");
        self.buf.extend_from_slice(op.as_bytes());
        if let Some(a) = arg {
            self.buf.push(b' ');
            // A stray `\n` cannot occur in a control line, but keep the record framing safe regardless.
            self.buf.extend(a.iter().map(|&b| if b == b'\n' { b' ' } else { b }));
        }
        self.buf.extend_from_slice(b"]\n");
    }
}

struct Appender<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Appender<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The inside of Go's `%q` for a byte string: printable UTF-8 kept, the usual escapes, `\xNN` for bytes that
/// are not valid UTF-8, `\u`/`\U` for non-printable characters.
pub fn go_quote_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                quote_str(out, s);
                return;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                quote_str(out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len()).max(1);
                for &b in &after[..bad] {
                    let _ = write!(Appender(out), "\\x{b:02x}");
                }
                rest = &after[bad..];
            }
        }
    }
}

fn quote_str(out: &mut Vec<u8>, s: &str) {
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\x07' => out.extend_from_slice(b"\\a"),
            '\x08' => out.extend_from_slice(b"\\b"),
            '\x0c' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\x0b' => out.extend_from_slice(b"\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(Appender(out), "\\x{:02x}", c as u32);
            }
            c if is_go_unprintable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(Appender(out), "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(Appender(out), "\\U{:08x}", c as u32);
                }
            }
            c => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

/// An approximation of Go's `!unicode.IsPrint` for non-ASCII: C1 controls, the no-break and other format
/// spaces Go escapes, surrogates cannot occur in a `str`, and private-use/unassigned ranges are kept as is.
fn is_go_unprintable(c: char) -> bool {
    matches!(c as u32, 0x80..=0xa0 | 0xad | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0xfeff)
}

/// nats-server's `removeSecretsFromTrace`: the values of `pass…`/`auth_token…` fields (any key that starts so,
/// e.g. `password`) and of exactly `sig`, `proxy_sig` and `nkey` become `[REDACTED]`. A value runs to the next
/// `"`, `,`, `\r`, `\n` or `}`.
pub fn redact_secrets(arg: &[u8]) -> Vec<u8> {
    let once = redact(arg, &[b"auth_token", b"pass"], true);
    redact(&once, &[b"proxy_sig", b"nkey", b"sig"], false)
}

/// `prefix_keys`: the key may continue with non-space characters (`pass\S*?`); otherwise the key must stand on
/// its own (no word character before it).
fn redact(arg: &[u8], keys: &[&[u8]], prefix_keys: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(arg.len());
    let mut i = 0;
    'scan: while i < arg.len() {
        for key in keys {
            if !arg[i..].starts_with(key) {
                continue;
            }
            if !prefix_keys && !stands_alone(arg, i) {
                continue;
            }
            let after_key = i + key.len();
            let candidates = if prefix_keys {
                let run = arg[after_key..].iter().take_while(|b| !b.is_ascii_whitespace()).count();
                after_key..=after_key + run
            } else {
                after_key..=after_key
            };
            for q in candidates {
                if let Some(value_start) = separator_end(arg, q) {
                    let value_len = arg[value_start..]
                        .iter()
                        .take_while(|b| !matches!(b, b'"' | b',' | b'\r' | b'\n' | b'}'))
                        .count();
                    out.extend_from_slice(&arg[i..value_start]);
                    out.extend_from_slice(b"[REDACTED]");
                    i = value_start + value_len;
                    continue 'scan;
                }
            }
        }
        out.push(arg[i]);
        i += 1;
    }
    out
}

/// `(?:^|[^A-Za-z0-9_])"?\s*` before position `i`.
fn stands_alone(arg: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && arg[j - 1].is_ascii_whitespace() {
        j -= 1;
    }
    j == 0 || !(arg[j - 1].is_ascii_alphanumeric() || arg[j - 1] == b'_')
}

/// Matches `"?\s*[:=]\s*"?` at `q`; returns where the value starts.
fn separator_end(arg: &[u8], mut q: usize) -> Option<usize> {
    if arg.get(q) == Some(&b'"') {
        q += 1;
    }
    while arg.get(q).is_some_and(|b| b.is_ascii_whitespace()) {
        q += 1;
    }
    if !matches!(arg.get(q), Some(b':') | Some(b'=')) {
        return None;
    }
    q += 1;
    while arg.get(q).is_some_and(|b| b.is_ascii_whitespace()) {
        q += 1;
    }
    if arg.get(q) == Some(&b'"') {
        q += 1;
    }
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(b: &[u8]) -> String {
        let mut out = Vec::new();
        go_quote_into(&mut out, b);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(quoted(b"hello"), "hello");
        assert_eq!(quoted(b"a\"b\\c\r\n\t\x00\x7f"), "a\\\"b\\\\c\\r\\n\\t\\x00\\x7f");
        assert_eq!(quoted("h\u{e9}".as_bytes()), "h\u{e9}");
        assert_eq!(quoted(b"\xff\xfeok"), "\\xff\\xfeok");
    }

    #[test]
    fn redacts_connect_secrets() {
        let r = |s: &str| String::from_utf8(redact_secrets(s.as_bytes())).unwrap();
        assert_eq!(
            r(r#"{"user":"a","pass":"secret","auth_token":"tok","name":"x"}"#),
            r#"{"user":"a","pass":"[REDACTED]","auth_token":"[REDACTED]","name":"x"}"#
        );
        assert_eq!(r(r#"{"password" : "p,q"}"#), r#"{"password" : "[REDACTED],q"}"#);
        assert_eq!(
            r(r#"{"nkey":"UABC","sig":"xyz","proxy_sig":"p","jwt":"eyJ"}"#),
            r#"{"nkey":"[REDACTED]","sig":"[REDACTED]","proxy_sig":"[REDACTED]","jwt":"eyJ"}"#
        );
        assert_eq!(r(r#"{"name":"design","verbose":false}"#), r#"{"name":"design","verbose":false}"#);
    }

    #[test]
    fn records_and_truncation() {
        let mut t = Tracer::new(&EngineConfig { trace: true, max_traced_msg_len: 4, ..EngineConfig::default() });
        t.op_in(3, "SUB", Some(b"foo  1"));
        t.op_in(3, "PING", None);
        t.payload(3, false, b"hello", None);
        t.payload(3, true, b"hi", None);
        t.payload(3, true, b"", None);
        t.err_out(3, b"-ERR 'Unknown Protocol Operation'\r\n");
        t.delsub(3, b"1");
        assert_eq!(
            String::from_utf8(t.take()).unwrap(),
            "3 <<- [SUB foo  1]\n3 <<- [PING]\n3 <<- MSG_PAYLOAD: [\"hell...\"]\n3 ->> MSG_PAYLOAD: [\"hi\"]\n\
             3 ->> [-ERR Unknown Protocol Operation]\n3 <-> [DELSUB 1]\n"
        );
    }

    #[test]
    fn delsubs_of_a_closing_connection_wait_for_its_release() {
        let mut t = Tracer::new(&EngineConfig { trace: true, ..EngineConfig::default() });
        t.delsub_after_close(1, b"7");
        t.delsub_after_close(2, b"8");
        assert_eq!(t.take(), b"");
        t.release(1);
        assert_eq!(String::from_utf8(t.take()).unwrap(), "1 <-> [DELSUB 7]\n");
        t.release(2);
        assert_eq!(String::from_utf8(t.take()).unwrap(), "2 <-> [DELSUB 8]\n");
    }

    #[test]
    fn trace_headers_shows_only_the_header_block() {
        let mut t = Tracer::new(&EngineConfig { trace_headers: true, ..EngineConfig::default() });
        assert!(t.on());
        t.payload(1, false, b"NATS/1.0\r\nA: b\r\n\r\nhello", Some(18));
        t.payload(1, false, b"hello", None);
        assert_eq!(String::from_utf8(t.take()).unwrap(), "1 <<- MSG_PAYLOAD: [\"NATS/1.0\\r\\nA: b\"]\n");
    }
}
