//! A direct get's JSON request (nats-server's `JSApiMsgGetRequest`), read as Go's `encoding/json` reads it
//! into that struct (keys matched case-insensitively, unknown keys ignored, `null` leaves a field unset, a
//! value of the wrong type fails the whole request), then checked as `processDirectGetRequest` and
//! `processDirectGetLastBySubjectRequest` check it. A refusal is the status line to answer with.

use serde_json::{Map, Value};

use myelin_core::time::parse_rfc3339;

/// The status replies of a request refused before any lookup.
pub const EMPTY_REQUEST: &[u8] = b"NATS/1.0 408 Empty Request\r\n\r\n";
pub const MALFORMED_REQUEST: &[u8] = b"NATS/1.0 408 Malformed Request\r\n\r\n";
pub const BAD_REQUEST: &[u8] = b"NATS/1.0 408 Bad Request\r\n\r\n";

/// What a request asks for. Empty strings and zeros mean unset, as in nats-server's struct.
#[derive(Debug, Default, PartialEq)]
pub struct Request {
    pub seq: u64,
    pub last_by_subj: String,
    pub next_by_subj: String,
    /// 0: a single lookup; otherwise a batch (a negative one sends only the end-of-batch status).
    pub batch: i64,
    /// 0: the server's default.
    pub max_bytes: i64,
    /// Unix nanoseconds.
    pub start_time: Option<i64>,
    pub multi_last: Vec<String>,
    pub up_to_seq: u64,
    pub up_to_time: Option<i64>,
    pub no_hdr: bool,
}

/// The body of a request on `$JS.API.DIRECT.GET.<stream>`.
pub fn parse_body(body: &[u8]) -> Result<Request, &'static [u8]> {
    if body.is_empty() {
        return Err(EMPTY_REQUEST);
    }
    let r = decode(body).ok_or(MALFORMED_REQUEST)?;
    if r.seq == 0
        && r.last_by_subj.is_empty()
        && r.next_by_subj.is_empty()
        && r.multi_last.is_empty()
        && r.start_time.is_none()
    {
        return Err(EMPTY_REQUEST);
    }
    let (last, next, multi) = (!r.last_by_subj.is_empty(), !r.next_by_subj.is_empty(), !r.multi_last.is_empty());
    // The pairs nats-server refuses together (a batch of `last_by_subj` among them).
    let (seq, start, up_to_time) = (r.seq > 0, r.start_time.is_some(), r.up_to_time.is_some());
    let pairs = [
        (seq, last),
        (seq, start),
        (start, last),
        (last, next),
        (last, r.batch > 0),
        (last, multi),
        (next, multi),
        (r.up_to_seq > 0, up_to_time),
    ];
    let conflict = pairs.iter().any(|&(a, b)| a && b);
    if conflict {
        return Err(BAD_REQUEST);
    }
    Ok(r)
}

/// The (optional) body of a request on `$JS.API.DIRECT.GET.<stream>.<subject>`, the last message on `subject`:
/// only `max_bytes` and `no_hdr` may be given.
pub fn parse_subject_form(subject: &[u8], body: &[u8]) -> Result<Request, &'static [u8]> {
    let r = if body.is_empty() { Request::default() } else { decode(body).ok_or(MALFORMED_REQUEST)? };
    if subject.is_empty() {
        return Err(BAD_REQUEST);
    }
    let asks_more = !r.last_by_subj.is_empty()
        || !r.next_by_subj.is_empty()
        || !r.multi_last.is_empty()
        || r.seq != 0
        || r.batch != 0
        || r.start_time.is_some()
        || r.up_to_seq != 0
        || r.up_to_time.is_some();
    if asks_more {
        return Err(BAD_REQUEST);
    }
    let last_by_subj = String::from_utf8_lossy(subject).into_owned();
    Ok(Request { last_by_subj, ..r })
}

/// None when Go's `json.Unmarshal` into the request struct would fail.
fn decode(body: &[u8]) -> Option<Request> {
    let mut r = Request::default();
    let fields = match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(o) => o,
        // Go decodes `null` into a struct as nothing at all.
        Value::Null => Map::new(),
        _ => return None,
    };
    for (key, v) in &fields {
        if v.is_null() {
            continue;
        }
        match key.to_ascii_lowercase().as_str() {
            "seq" => r.seq = v.as_u64()?,
            "last_by_subj" => r.last_by_subj = v.as_str()?.to_string(),
            "next_by_subj" => r.next_by_subj = v.as_str()?.to_string(),
            "batch" => r.batch = v.as_i64()?,
            "max_bytes" => r.max_bytes = v.as_i64()?,
            "start_time" => r.start_time = Some(parse_rfc3339(v.as_str()?)?),
            "up_to_seq" => r.up_to_seq = v.as_u64()?,
            "up_to_time" => r.up_to_time = Some(parse_rfc3339(v.as_str()?)?),
            "no_hdr" => r.no_hdr = v.as_bool()?,
            "multi_last" => {
                r.multi_last = v
                    .as_array()?
                    .iter()
                    .map(|s| if s.is_null() { Some(String::new()) } else { s.as_str().map(str::to_string) })
                    .collect::<Option<_>>()?
            }
            _ => {}
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Request {
        parse_body(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {}", String::from_utf8_lossy(e)))
    }

    fn refused(body: &str) -> &'static str {
        std::str::from_utf8(parse_body(body.as_bytes()).expect_err(body)).unwrap()
    }

    #[test]
    fn fields_as_go_decodes_them() {
        let r = ok(r#"{"seq":5,"next_by_subj":"a.*","batch":10,"max_bytes":100,"no_hdr":true,"x":[1]}"#);
        assert_eq!(
            r,
            Request {
                seq: 5,
                next_by_subj: "a.*".into(),
                batch: 10,
                max_bytes: 100,
                no_hdr: true,
                ..Default::default()
            }
        );
        let r = ok(r#"{"multi_last":["a.>","b",null],"up_to_time":"2023-11-14T22:13:20Z","SEQ":2}"#);
        assert_eq!(r.multi_last, ["a.>", "b", ""]);
        assert_eq!((r.seq, r.up_to_time), (2, Some(1_700_000_000_000_000_000)));
        let r = ok(r#"{"start_time":"2023-11-14T22:13:20.5Z","batch":null,"last_by_subj":null}"#);
        assert_eq!((r.start_time, r.batch), (Some(1_700_000_000_500_000_000), 0));
        assert_eq!(ok(r#"{"seq":1,"batch":-3}"#).batch, -3);
    }

    #[test]
    fn refusals_as_nats_server_words_them() {
        let (empty, malformed, bad) = (
            "NATS/1.0 408 Empty Request\r\n\r\n",
            "NATS/1.0 408 Malformed Request\r\n\r\n",
            "NATS/1.0 408 Bad Request\r\n\r\n",
        );
        assert_eq!(refused(""), empty);
        assert_eq!(refused("{}"), empty);
        assert_eq!(refused("null"), empty);
        assert_eq!(refused(r#"{"batch":5,"up_to_seq":3,"max_bytes":9}"#), empty);
        for m in [
            "{",
            "[]",
            "1",
            r#"{"seq":"1"}"#,
            r#"{"seq":-1}"#,
            r#"{"seq":1.5}"#,
            r#"{"batch":"2","seq":1}"#,
            r#"{"multi_last":"a"}"#,
            r#"{"multi_last":[1]}"#,
            r#"{"start_time":"yesterday"}"#,
            r#"{"no_hdr":1,"seq":1}"#,
            r#"{"seq":1} x"#,
        ] {
            assert_eq!(refused(m), malformed, "{m}");
        }
        for b in [
            r#"{"seq":1,"last_by_subj":"a"}"#,
            r#"{"seq":1,"start_time":"2023-11-14T22:13:20Z"}"#,
            r#"{"last_by_subj":"a","start_time":"2023-11-14T22:13:20Z"}"#,
            r#"{"last_by_subj":"a","next_by_subj":"a"}"#,
            r#"{"last_by_subj":"a","batch":2}"#,
            r#"{"last_by_subj":"a","multi_last":["a"]}"#,
            r#"{"next_by_subj":"a","multi_last":["a"]}"#,
            r#"{"seq":1,"up_to_seq":1,"up_to_time":"2023-11-14T22:13:20Z"}"#,
        ] {
            assert_eq!(refused(b), bad, "{b}");
        }
        // Allowed together.
        ok(r#"{"seq":3,"next_by_subj":"a","batch":2}"#);
        ok(r#"{"multi_last":["a"],"batch":2,"start_time":"2023-11-14T22:13:20Z"}"#);
        ok(r#"{"multi_last":["a"],"seq":3,"up_to_seq":2}"#);
        ok(r#"{"last_by_subj":"a","batch":-1}"#);
    }

    #[test]
    fn subject_form_takes_only_max_bytes_and_no_hdr() {
        let r = parse_subject_form(b"kv.a", b"").unwrap();
        assert_eq!(r, Request { last_by_subj: "kv.a".into(), ..Default::default() });
        let r = parse_subject_form(b"kv.a", br#"{"max_bytes":5,"no_hdr":true}"#).unwrap();
        assert_eq!((r.max_bytes, r.no_hdr, r.last_by_subj.as_str()), (5, true, "kv.a"));
        assert_eq!(parse_subject_form(b"kv.a", b"{").unwrap_err(), MALFORMED_REQUEST);
        assert_eq!(parse_subject_form(b"kv.a", br#"{"seq":1}"#).unwrap_err(), BAD_REQUEST);
        assert_eq!(parse_subject_form(b"kv.a", br#"{"batch":2}"#).unwrap_err(), BAD_REQUEST);
        assert_eq!(parse_subject_form(b"", b"").unwrap_err(), BAD_REQUEST);
    }
}
