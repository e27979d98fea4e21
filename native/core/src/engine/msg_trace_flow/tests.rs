//! A traced publish through the engine: the event reaches the trace destination, trace-only delivers
//! nothing, and a trace visits the workers owning the message's subscriptions before it is published.

use super::super::*;
use serde_json::Value;

const CONNECT: &[u8] = b"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"name\":\"NAME\"}\r\n";

/// A connected client with client id `cid`, named `c<cid>`.
fn client(e: &mut Engine, cid: u64) -> u32 {
    let id = e.open_conn(format!("INFO {{\"client_id\":{cid}}}\r\n").as_bytes(), None);
    let connect = String::from_utf8_lossy(CONNECT).replace("NAME", &format!("c{cid}"));
    e.ingest(id, connect.as_bytes());
    take(e, id);
    e.take_events();
    id
}

/// Everything queued for `id`, as text.
fn take(e: &mut Engine, id: u32) -> String {
    let mut ids = [0u32; 64];
    let n = e.take_dirty(&mut ids);
    let mut out = String::new();
    for &d in &ids[..n] {
        if d == id {
            out = String::from_utf8(e.take_outbound(d)).unwrap();
        } else {
            e.set_blocked(d, false);
        }
    }
    out
}

fn hpub(subject: &str, headers: &str, payload: &str) -> Vec<u8> {
    let h = format!("NATS/1.0\r\n{headers}\r\n");
    format!("HPUB {subject} {} {}\r\n{h}{payload}\r\n", h.len(), h.len() + payload.len()).into_bytes()
}

/// The JSON body of the one MSG in `out`.
fn event(out: &str) -> Value {
    let body = out.split("\r\n").nth(1).unwrap_or_else(|| panic!("no message in {out:?}"));
    serde_json::from_str(body).unwrap()
}

fn types(ev: &Value) -> Vec<&str> {
    ev["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[test]
fn a_traced_publish_is_delivered_with_its_headers_and_traced() {
    let mut e = Engine::new(EngineConfig::default(), 1);
    e.set_trace_server(r#"{"name":"s","id":"NS"}"#);
    let tracer = client(&mut e, 1);
    e.ingest(tracer, b"SUB tr 1\r\n");
    let sub = client(&mut e, 2);
    e.ingest(sub, b"SUB foo 1\r\nSUB foo g 2\r\n");
    let p = client(&mut e, 3);
    e.ingest(p, &hpub("foo", "Nats-Trace-Dest: tr\r\n", "hi"));
    let delivered = take(&mut e, sub);
    assert_eq!(delivered.matches("HMSG foo").count(), 2);
    assert!(delivered.contains("Nats-Trace-Dest: tr"));
    let ev = event(&take(&mut e, tracer));
    assert_eq!(ev["server"]["id"], "NS");
    assert_eq!(ev["server"]["seq"], 1);
    assert_eq!(types(&ev), ["in", "eg", "eg"]);
    assert_eq!(ev["events"][0]["cid"], 3);
    assert_eq!(ev["events"][0]["name"], "c3");
    assert_eq!(ev["events"][0]["acc"], "$G");
    assert_eq!(ev["events"][0]["subj"], "foo");
    assert_eq!(ev["events"][1]["cid"], 2);
    let queues: Vec<_> = ev["events"].as_array().unwrap().iter().map(|e| e["queue"].clone()).collect();
    assert!(queues.contains(&Value::from("g")));
}

#[test]
fn trace_only_delivers_nothing_and_counts_no_delivery() {
    let mut e = Engine::new(EngineConfig::default(), 1);
    let tracer = client(&mut e, 1);
    e.ingest(tracer, b"SUB tr 1\r\n");
    let sub = client(&mut e, 2);
    e.ingest(sub, b"SUB foo 1 \r\nUNSUB 1 1\r\n");
    let p = client(&mut e, 3);
    e.ingest(p, &hpub("foo", "Nats-Trace-Dest: tr\r\nNats-Trace-Only: true\r\n", "hi"));
    assert_eq!(take(&mut e, sub), "");
    assert_eq!(types(&event(&take(&mut e, tracer))), ["in", "eg"]);
    // The auto-unsubscribe count was not used up by the trace.
    e.ingest(p, b"PUB foo 1\r\nx\r\n");
    assert_eq!(take(&mut e, sub), "MSG foo 1 1\r\nx\r\n");
}

#[test]
fn an_invalid_destination_traces_nothing() {
    let mut e = Engine::new(EngineConfig::default(), 1);
    let sub = client(&mut e, 2);
    e.ingest(sub, b"SUB foo 1\r\n");
    let p = client(&mut e, 3);
    e.ingest(p, &hpub("foo", "Nats-Trace-Dest: a.*\r\n", "1"));
    e.ingest(p, &hpub("foo", "Nats-Trace-Dest: a.*\r\nNats-Trace-Only: 1\r\n", "2"));
    let out = take(&mut e, sub);
    assert!(out.ends_with("\r\n1\r\n"), "delivered, untraced; the trace-only one dropped: {out:?}");
    assert_eq!(out.matches("HMSG").count(), 1);
}

#[test]
fn a_trace_collects_egress_on_every_worker_then_is_published() {
    let router = Router::new(3);
    let mut a = Engine::with_router(EngineConfig::default(), 1, router.clone(), 0);
    let mut b = Engine::with_router(EngineConfig::default(), 2, router.clone(), 1);
    let mut c = Engine::with_router(EngineConfig::default(), 3, router, 2);
    let tracer = client(&mut a, 1);
    a.ingest(tracer, b"SUB tr 1\r\n");
    let on_b = client(&mut b, 2);
    b.ingest(on_b, b"SUB foo 1\r\n");
    let on_c = client(&mut c, 3);
    c.ingest(on_c, b"SUB foo 1\r\nSUB > 2\r\n");
    let p = client(&mut a, 4);
    a.ingest(p, &hpub("foo", "Nats-Trace-Dest: tr\r\n", "hi"));
    assert_eq!(take(&mut a, tracer), "", "not published before the other workers added theirs");
    // The trace visits b and c in either order, after each has the message's own forward record.
    b.drain_inbox();
    c.drain_inbox();
    b.drain_inbox();
    c.drain_inbox();
    let on_c_got = take(&mut c, on_c);
    assert_eq!(on_c_got.matches("HMSG foo").count(), 2);
    assert_eq!(on_c_got.matches("MSG tr 2").count(), 1, "the event itself, to `>`: {on_c_got:?}");
    a.drain_inbox();
    let ev = event(&take(&mut a, tracer));
    assert_eq!(types(&ev), ["in", "eg", "eg", "eg"]);
    let mut cids: Vec<u64> = ev["events"].as_array().unwrap()[1..].iter().map(|e| e["cid"].as_u64().unwrap()).collect();
    cids.sort();
    assert_eq!(cids, [2, 3, 3]);
    assert!(take(&mut b, on_b).contains("HMSG foo"));
}

#[test]
fn trace_only_forwards_nothing_to_other_workers() {
    let router = Router::new(2);
    let mut a = Engine::with_router(EngineConfig::default(), 1, router.clone(), 0);
    let mut b = Engine::with_router(EngineConfig::default(), 2, router, 1);
    let tracer = client(&mut a, 1);
    a.ingest(tracer, b"SUB tr 1\r\n");
    let on_b = client(&mut b, 2);
    b.ingest(on_b, b"SUB foo 1\r\n");
    let p = client(&mut a, 3);
    a.ingest(p, &hpub("foo", "Nats-Trace-Dest: tr\r\nNats-Trace-Only: on\r\n", "hi"));
    b.drain_inbox();
    assert_eq!(take(&mut b, on_b), "");
    a.drain_inbox();
    let ev = event(&take(&mut a, tracer));
    assert_eq!(types(&ev), ["in", "eg"]);
    assert_eq!(ev["events"][1]["cid"], 2);
}

#[test]
fn the_servers_own_subscription_gets_the_message_with_tracing_off_and_no_event() {
    let mut e = Engine::new(EngineConfig::default(), 1);
    let tracer = client(&mut e, 1);
    e.ingest(tracer, b"SUB tr 1\r\n");
    let internal = e.open_internal("$G");
    e.ingest(internal, b"SUB foo 1\r\n");
    let p = client(&mut e, 3);
    e.ingest(p, &hpub("foo", "Nats-Trace-Dest: tr\r\n", "hi"));
    let stored = take(&mut e, internal);
    assert!(stored.contains("Nats-Trace-Dest: trace disabled\r\n"), "{stored:?}");
    assert!(stored.ends_with("\r\n\r\nhi\r\n"), "{stored:?}");
    assert_eq!(types(&event(&take(&mut e, tracer))), ["in"]);
    // Trace-only: the server's subscription gets nothing.
    e.ingest(p, &hpub("foo", "Nats-Trace-Dest: tr\r\nNats-Trace-Only: true\r\n", "hi"));
    assert_eq!(take(&mut e, internal), "");
}

/// A capture that stores nothing (headers are always left to the control plane), named like a stream.
struct NamedCapture;

impl crate::router::Capture for NamedCapture {
    fn capture(&self, _: &[u8], _: Option<&[u8]>, _: &[u8], _: Option<&mut Vec<u8>>, _: bool) -> bool {
        false
    }
    fn end_of_chunk(&self) -> bool {
        true
    }
    fn stream(&self) -> &str {
        "ORDERS"
    }
}

#[test]
fn a_stream_capturing_the_subject_adds_a_js_event() {
    let mut e = Engine::new(EngineConfig::default(), 1);
    let tracer = client(&mut e, 1);
    e.ingest(tracer, b"SUB tr 1\r\n");
    let internal = e.open_internal("$G");
    e.ingest(internal, b"SUB orders.> 1\r\n");
    let shadow = e.sub_key(internal, b"1").unwrap();
    e.router().add_capture(0, &[b"orders.>"], Arc::new(NamedCapture), vec![shadow]).unwrap();
    let p = client(&mut e, 3);
    e.ingest(p, &hpub("orders.1", "Nats-Trace-Dest: tr\r\n", "x"));
    let ev = event(&take(&mut e, tracer));
    assert_eq!(types(&ev), ["in", "js"]);
    assert_eq!(ev["events"][1]["stream"], "ORDERS");
    assert_eq!(ev["events"][1]["subject"], "orders.1");
}
