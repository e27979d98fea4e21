//! The `Nats-Request-Info` header nats-server stamps on a request entering a service import, so the
//! service can tell which account asked. A client's own header of that name is replaced, never trusted.

use crate::parser::Publish;

pub const HEADER: &[u8] = b"Nats-Request-Info";

/// The header value for requests from `account`: nats-server's ClientInfo with the account (its `rtt` is
/// left out: Myelin does not measure it in nanoseconds).
pub fn value_for(account: &str) -> Box<[u8]> {
    let name = serde_json::to_string(account).unwrap_or_else(|_| "\"\"".into());
    format!("{{\"acc\":{name}}}").into_bytes().into()
}

fn is_header_line(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len() && line[name.len()] == b':' && line[..name.len()].eq_ignore_ascii_case(name)
}

/// Write `m`'s headers and payload into `out` with the header set to `value` (replacing any copy of it), as
/// nats-server's setHeader does. Returns the new header length.
pub fn stamp(m: &Publish<'_>, value: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    let payload = match m.header_len {
        Some(h) if h <= m.body.len() => {
            // Every line but the closing empty one; the status line always stays.
            let block = &m.body[..h];
            let lines = block.strip_suffix(b"\r\n\r\n").unwrap_or(block);
            for (i, line) in lines.split(|&b| b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if i > 0 && is_header_line(line, HEADER) {
                    continue;
                }
                out.extend_from_slice(line);
                out.extend_from_slice(b"\r\n");
            }
            &m.body[h..]
        }
        _ => {
            out.extend_from_slice(b"NATS/1.0\r\n");
            m.body
        }
    };
    out.extend_from_slice(HEADER);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n\r\n");
    let header_len = out.len();
    out.extend_from_slice(payload);
    header_len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamped(header_len: Option<usize>, body: &[u8]) -> String {
        let m = Publish { subject: b"s", reply: b"", header_len, body };
        let mut out = Vec::new();
        let h = stamp(&m, &value_for("IMP"), &mut out);
        let s = String::from_utf8(out).unwrap();
        assert!(s[..h].ends_with("\r\n\r\n"));
        s
    }

    #[test]
    fn a_plain_message_gets_a_header_block() {
        assert_eq!(stamped(None, b"hi"), "NATS/1.0\r\nNats-Request-Info: {\"acc\":\"IMP\"}\r\n\r\nhi");
    }

    #[test]
    fn existing_headers_stay_and_a_forged_one_is_replaced() {
        let body = b"NATS/1.0\r\nA: 1\r\nnats-request-info: {\"acc\":\"X\"}\r\nB: 2\r\n\r\npayload";
        assert_eq!(
            stamped(Some(body.len() - 7), body),
            "NATS/1.0\r\nA: 1\r\nB: 2\r\nNats-Request-Info: {\"acc\":\"IMP\"}\r\n\r\npayload"
        );
    }
}
