//! The trace event's JSON and the header parsing, against what nats-server 2.12 sends (`msgtrace.go`).

use super::*;
use serde_json::{json, Value};

const HDR: &[u8] = b"NATS/1.0\r\nNats-Trace-Dest: tr.1\r\nX-App:  v1 \t\r\nX-App: v2\r\n\r\n";

fn ingress<'a>(cid: u64, name: &'a str, subject: &'a [u8]) -> EgressTo<'a> {
    EgressTo { cid, name, account: 0, sub: subject, queue: None }
}

#[test]
fn only_a_nats_trace_dest_key_starts_a_trace() {
    assert!(find(b"NATS/1.0\r\nX: 1\r\n\r\n").is_none());
    assert!(find(b"NATS/1.0\r\nX: Nats-Trace-Dest: a\r\n\r\n").is_none());
    assert!(find(b"NATS/1.0\r\nNats-Trace-Dest: trace disabled\r\n\r\n").is_none());
    assert!(find(b"NATS/1.0\r\nNats-Trace-Dest: a\r\nNats-Trace-Origin-Account: B\r\n\r\n").is_none());
    // nats-server finds the key in any case but then reads its value by the exact name: no trace.
    assert!(find(b"NATS/1.0\r\nnats-trace-dest: a\r\n\r\n").is_none());
    let r = find(HDR).expect("traced");
    assert_eq!(r.dest, "tr.1");
    assert!(!r.only);
}

#[test]
fn trace_only_takes_nats_server_spellings() {
    for (v, only) in [("true", true), ("TRUE", true), ("1", true), ("on", true), ("yes", false), ("false", false)] {
        let h = format!("NATS/1.0\r\nNats-Trace-Dest: d\r\nNats-Trace-Only: {v}\r\n\r\n");
        assert_eq!(find(h.as_bytes()).unwrap().only, only, "{v}");
    }
}

#[test]
fn headers_keep_their_case_and_all_values_trimmed() {
    let r = find(HDR).unwrap();
    assert_eq!(r.headers.get("X-App").unwrap(), &vec!["v1".to_string(), "v2".to_string()]);
    assert_eq!(r.headers.get("Nats-Trace-Dest").unwrap(), &vec!["tr.1".to_string()]);
    // A status line with a code is skipped like a plain one.
    let r = find(b"NATS/1.0 503\r\nNats-Trace-Dest: d\r\n\r\n").unwrap();
    assert_eq!(r.headers.len(), 1);
}

#[test]
fn client_id_comes_from_the_info_line() {
    assert_eq!(client_id_of(b"INFO {\"server_id\":\"N\",\"client_id\":42,\"x\":1}\r\n"), 42);
    assert_eq!(client_id_of(b"INFO {}\r\n"), 0);
}

#[test]
fn timestamps_are_go_rfc3339_nano() {
    use crate::time::rfc3339_nanos;
    assert_eq!(rfc3339_nanos(951_782_400_000_000_010), "2000-02-29T00:00:00.00000001Z");
    assert_eq!(rfc3339_nanos(1_795_000_000_500_000_000), "2026-11-18T11:06:40.5Z");
}

#[test]
fn the_event_has_nats_servers_shape() {
    let mut t = MsgTrace::new(find(HDR).unwrap(), ingress(5, "pub", b"orders.new"), "$G", 43);
    let sub = EgressTo { cid: 9, name: "", account: 0, sub: b"orders.*", queue: Some(b"q") };
    t.add_egress(sub, "");
    let other = EgressTo { cid: 10, name: "b", account: 3, sub: b"orders.new", queue: None };
    t.add_stream_export(3, b"orders.new");
    t.add_egress(other, TRACE_NO_ECHO_FOR_TEST);
    t.add_service_import(4, b"svc", b"svc.in");
    t.resolve_accounts(|id| format!("ACC{id}"));
    let v: Value = serde_json::from_slice(&t.event_json(r#"{"name":"s1","id":"NABC","ver":"2.12.0"}"#, 7)).unwrap();
    assert_eq!(v["server"]["name"], "s1");
    assert_eq!(v["server"]["seq"], 7);
    assert!(v["server"]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["request"], json!({"header": {"Nats-Trace-Dest": ["tr.1"], "X-App": ["v1", "v2"]}, "msgsize": 43}));
    assert!(v.get("hops").is_none());
    let mut events = v["events"].as_array().unwrap().clone();
    for e in &mut events {
        assert!(e["ts"].as_str().unwrap().ends_with('Z'));
        e.as_object_mut().unwrap().remove("ts");
    }
    assert_eq!(
        events,
        vec![
            json!({"type": "in", "kind": 0, "cid": 5, "name": "pub", "acc": "$G", "subj": "orders.new"}),
            json!({"type": "eg", "kind": 0, "cid": 9, "sub": "orders.*", "queue": "q"}),
            json!({"type": "se", "acc": "ACC3", "to": "orders.new"}),
            json!({"type": "eg", "kind": 0, "cid": 10, "name": "b", "acc": "ACC3", "sub": "orders.new",
                   "error": TRACE_NO_ECHO_FOR_TEST}),
            json!({"type": "si", "acc": "ACC4", "from": "svc", "to": "svc.in"}),
        ]
    );
    // The JSON keys come in nats-server's order: `type` and `ts` first.
    let text = String::from_utf8(t.event_json("{}", 1)).unwrap();
    assert!(text.starts_with("{\"server\":{\"seq\":1,\"time\":\""), "{text}");
    assert!(text.contains("{\"type\":\"in\",\"ts\":\""), "{text}");
}

const TRACE_NO_ECHO_FOR_TEST: &str = crate::wire_error::TRACE_NO_ECHO;

#[test]
fn an_ingress_error_and_a_round_trip_between_workers() {
    let mut t = MsgTrace::new(find(HDR).unwrap(), ingress(1, "", b"x"), "A", 10);
    t.set_ingress_error("Permissions Violation for Publish to \"x\"".into());
    t.add_pending(1, PendingTarget { slot: 3, gen: 2, stream_export: None, egress: true });
    t.add_pending(2, PendingTarget { slot: 4, gen: 1, stream_export: Some("y".into()), egress: false });
    t.add_pending(1, PendingTarget { slot: 5, gen: 1, stream_export: None, egress: true });
    let back = MsgTrace::from_record(&t.to_record()).unwrap();
    assert_eq!(back.pending, t.pending);
    assert_eq!(back.pending[0].1.len(), 2);
    assert_eq!(back.dest, "tr.1");
    let v: Value = serde_json::from_slice(&back.event_json("{}", 1)).unwrap();
    assert_eq!(v["events"][0]["error"], "Permissions Violation for Publish to \"x\"");
    assert!(v["events"][0].get("name").is_none());
}

#[test]
fn a_sampled_traceparent_asks_for_the_accounts_destination() {
    let parent = |flags: &str| {
        format!("NATS/1.0\r\nTraceParent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}\r\n\r\n")
    };
    let r = find(parent("01").as_bytes()).expect("sampled");
    assert!(r.external && !r.only && r.dest.is_empty());
    // Reported under its lower-case name.
    assert!(r.headers.contains_key("traceparent"));
    assert!(find(parent("00").as_bytes()).is_none());
    // nats-server reads the flags as a signed byte: 0x81 does not parse, so it is not sampled.
    assert!(find(parent("81").as_bytes()).is_none());
    assert!(find(b"NATS/1.0\r\ntraceparent: 00-01\r\n\r\n").is_none());
    // With Nats-Trace-Dest as well, that destination wins.
    let r = find(b"NATS/1.0\r\nNats-Trace-Dest: d\r\ntraceparent: 00-a-b-01\r\n\r\n").unwrap();
    assert!(!r.external);
    assert_eq!(r.dest, "d");
}

#[test]
fn a_stored_copy_has_its_tracing_switched_off() {
    let (body, h) = trace_disabled(HDR, b"hi").expect("traced");
    assert_eq!(&body[..h], b"NATS/1.0\r\nNats-Trace-Dest: trace disabled\r\nX-App:  v1 \t\r\nX-App: v2\r\n\r\n");
    assert_eq!(&body[h..], b"hi");
    assert!(find(&body[..h]).is_none());
    // Not for a destination that traced nothing (invalid), nor without one.
    assert!(trace_disabled(b"NATS/1.0\r\nNats-Trace-Dest: a.*\r\n\r\n", b"").is_none());
    assert!(trace_disabled(b"NATS/1.0\r\nX: 1\r\n\r\n", b"").is_none());
}

#[test]
fn a_jetstream_event_names_the_stream_and_subject() {
    let mut t = MsgTrace::new(find(HDR).unwrap(), ingress(1, "", b"orders.1"), "A", 10);
    t.add_jetstream("ORDERS", b"orders.1");
    let v: Value = serde_json::from_slice(&t.event_json("{}", 1)).unwrap();
    let mut js = v["events"][1].clone();
    js.as_object_mut().unwrap().remove("ts");
    assert_eq!(js, json!({"type": "js", "stream": "ORDERS", "subject": "orders.1"}));
}
