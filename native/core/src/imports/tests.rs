//! Import tests: subject mapping, and routing through real engines (one worker and two).

use super::*;
use crate::engine::{Engine, EngineConfig};
use crate::router::Router;

fn mapped(src: &str, dest: &str, subject: &str) -> String {
    let map = SubjectMap::new(src.as_bytes(), dest.as_bytes()).unwrap();
    let (mut toks, mut out) = (Vec::new(), Vec::new());
    map.apply(subject.as_bytes(), &mut toks, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn subject_maps_follow_nats_server_import_transforms() {
    assert_eq!(mapped("a.>", "p.a.>", "a.b.c"), "p.a.b.c");
    assert_eq!(mapped("a.*.>", "y.*.>", "a.1.2.3"), "y.1.2.3");
    assert_eq!(mapped("a.*.*", "y.$2.$1", "a.1.2"), "y.2.1");
    assert_eq!(mapped("a.*.*", "y.*.z.*", "a.1.2"), "y.1.z.2");
    assert_eq!(mapped("local.x", "svc.x", "local.x"), "svc.x");
    assert_eq!(mapped("same.>", "same.>", "same.q"), "same.q", "identity keeps the published subject");
    assert_eq!(mapped("a.b", "y.$1", "a.b"), "y.$1", "a literal source is not transformed");
    assert!(SubjectMap::new(b"a.*", b"y.$3").is_err());
    assert!(SubjectMap::new(b"a.*", b"y.>").is_err());
}

const CONNECT: &[u8] = b"CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true}\r\n";

fn auth_engine(router: Arc<Router>, worker: usize) -> Engine {
    Engine::with_router(EngineConfig { auth_enabled: true, ..EngineConfig::default() }, 7, router, worker)
}

fn client(e: &mut Engine, account: &str) -> u32 {
    let id = e.open_conn(b"", None);
    e.ingest(id, CONNECT);
    e.authorize(id, account, None).unwrap();
    out(e, id);
    e.take_events();
    id
}

/// Everything queued for `id`, as text (other dirty connections stay queued).
fn out(e: &mut Engine, id: u32) -> String {
    let mut ids = [0u32; 64];
    let n = e.take_dirty(&mut ids);
    let mut got = String::new();
    for &d in &ids[..n] {
        if d == id {
            got = String::from_utf8(e.take_outbound(d)).unwrap();
        } else {
            e.set_blocked(d, false);
        }
    }
    got
}

const TABLES: &str = r#"{
  "streams": [
    {"exporter": "A", "importer": "B", "from": "a.>", "to": "p.a.>"},
    {"exporter": "A", "importer": "C", "from": "a.*", "to": "c.*"}
  ],
  "services": [
    {"importer": "B", "exporter": "A", "from": "local.x", "to": "svc.x", "response": "singleton"},
    {"importer": "B", "exporter": "A", "from": "many.*", "to": "svc.many.*", "response": "stream", "thresholdMs": 5000}
  ]
}"#;

fn router() -> Arc<Router> {
    let router = Router::new(2);
    configure(&router, TABLES.as_bytes()).unwrap();
    router
}

#[test]
fn a_stream_import_delivers_under_the_mapped_subject_and_nothing_leaks_back() {
    let mut e = auth_engine(router(), 0);
    let a = client(&mut e, "A");
    let b = client(&mut e, "B");
    let c = client(&mut e, "C");
    e.ingest(b, b"SUB p.a.> 1\r\nSUB a.> 2\r\n");
    e.ingest(c, b"SUB c.* 1\r\n");
    e.ingest(a, b"PUB a.x r 2\r\nhi\r\nPUB a.x.y 0\r\n\r\nPUB other 0\r\n\r\n");
    assert_eq!(out(&mut e, b), "MSG p.a.x 1 r 2\r\nhi\r\nMSG p.a.x.y 1 0\r\n\r\n");
    assert_eq!(out(&mut e, c), "MSG c.x 1 r 2\r\nhi\r\n", "c.* takes one token only");
    // The importer publishing on the mapped or the original subject stays in its own account.
    e.ingest(a, b"SUB > 9\r\n");
    e.ingest(b, b"PUB p.a.x 0\r\n\r\nPUB a.x 0\r\n\r\n");
    assert_eq!(out(&mut e, a), "");
    assert_eq!(out(&mut e, b), "MSG p.a.x 1 0\r\n\r\nMSG a.x 2 0\r\n\r\n", "its own subscribers only");
}

#[test]
fn a_service_request_gets_a_fresh_reply_and_one_response_returns() {
    let router = router();
    let mut e = auth_engine(router.clone(), 0);
    let requester = client(&mut e, "B");
    let responder = client(&mut e, "A");
    e.ingest(responder, b"SUB svc.x 1\r\n");
    e.ingest(requester, b"SUB _INBOX.1 1\r\nPUB local.x _INBOX.1 3\r\nreq\r\n");
    let req = out(&mut e, responder);
    let reply = req.split(' ').nth(3).unwrap().to_string();
    assert!(reply.starts_with("_R_."), "{req}");
    let info = "NATS/1.0\r\nNats-Request-Info: {\"acc\":\"B\"}\r\n\r\n";
    assert_eq!(req, format!("HMSG svc.x 1 {reply} {} {}\r\n{info}req\r\n", info.len(), info.len() + 3));
    assert_eq!(router.imports().outstanding(), 1);
    e.ingest(responder, format!("PUB {reply} 2\r\nok\r\nPUB {reply} 4\r\nagain\r\n").as_bytes());
    assert_eq!(out(&mut e, requester), "MSG _INBOX.1 1 2\r\nok\r\n", "a singleton answers once");
    assert_eq!(router.imports().outstanding(), 0);
}

#[test]
fn only_the_exporting_account_can_answer_through_a_reply_mapping() {
    let router = router();
    let mut e = auth_engine(router.clone(), 0);
    let requester = client(&mut e, "B");
    let responder = client(&mut e, "A");
    let intruder = client(&mut e, "C");
    e.ingest(responder, b"SUB svc.x 1\r\n");
    e.ingest(requester, b"SUB _INBOX.1 1\r\nPUB local.x _INBOX.1 0\r\n\r\n");
    let reply = out(&mut e, responder).split(' ').nth(3).unwrap().to_string();
    e.ingest(intruder, format!("PUB {reply} 4\r\nfake\r\n").as_bytes());
    e.ingest(requester, format!("PUB {reply} 4\r\nfake\r\n").as_bytes());
    assert_eq!(out(&mut e, requester), "");
    assert_eq!(router.imports().outstanding(), 1, "the mapping still waits for the real response");
    e.ingest(responder, format!("PUB {reply} 4\r\nreal\r\n").as_bytes());
    assert_eq!(out(&mut e, requester), "MSG _INBOX.1 1 4\r\nreal\r\n");
}

#[test]
fn a_stream_response_keeps_its_mapping_until_an_empty_message_ends_it() {
    let router = router();
    let mut e = auth_engine(router.clone(), 0);
    let requester = client(&mut e, "B");
    let responder = client(&mut e, "A");
    e.ingest(responder, b"SUB svc.many.* 1\r\n");
    e.ingest(requester, b"SUB _INBOX.2 1\r\nPUB many.q _INBOX.2 0\r\n\r\n");
    let req = out(&mut e, responder);
    assert!(req.starts_with("HMSG svc.many.q 1 _R_."), "{req}");
    let reply = req.split(' ').nth(3).unwrap().to_string();
    e.ingest(responder, format!("PUB {reply} 1\r\n1\r\nPUB {reply} 1\r\n2\r\nPUB {reply} 0\r\n\r\n").as_bytes());
    assert_eq!(out(&mut e, requester), "MSG _INBOX.2 1 1\r\n1\r\nMSG _INBOX.2 1 1\r\n2\r\nMSG _INBOX.2 1 0\r\n\r\n");
    assert_eq!(router.imports().outstanding(), 0);
}

#[test]
fn a_request_nobody_serves_gets_no_responders_and_leaves_no_mapping() {
    let router = router();
    let mut e = auth_engine(router.clone(), 0);
    let requester = client(&mut e, "B");
    e.ingest(requester, b"SUB _INBOX.3 1\r\nPUB local.x _INBOX.3 0\r\n\r\n");
    assert!(out(&mut e, requester).starts_with("HMSG _INBOX.3 1 "), "503 status message");
    assert_eq!(router.imports().outstanding(), 0);
}

#[test]
fn idle_stream_responses_expire_after_their_threshold() {
    let router = router();
    let mut e = auth_engine(router.clone(), 0);
    let requester = client(&mut e, "B");
    let responder = client(&mut e, "A");
    e.ingest(responder, b"SUB svc.many.* 1\r\n");
    e.ingest(requester, b"SUB _INBOX.4 1\r\nPUB many.q _INBOX.4 0\r\n\r\n");
    assert_eq!(router.imports().outstanding(), 1);
    e.tick(4_000);
    assert_eq!(router.imports().outstanding(), 1);
    e.tick(6_000);
    assert_eq!(router.imports().outstanding(), 0);
}

#[test]
fn service_requests_and_responses_cross_workers_in_order() {
    let router = router();
    let mut w0 = auth_engine(router.clone(), 0);
    let mut w1 = auth_engine(router, 1);
    let requester = client(&mut w0, "B");
    let responder = client(&mut w1, "A");
    w1.ingest(responder, b"SUB svc.x 1\r\n");
    let mut input = b"SUB _INBOX.> 1\r\n".to_vec();
    for i in 0..50 {
        input.extend_from_slice(format!("PUB local.x _INBOX.{i} 2\r\n{:02}\r\n", i).as_bytes());
    }
    w0.ingest(requester, &input);
    w1.drain_inbox();
    let requests = out(&mut w1, responder);
    let mut answers = Vec::new();
    for (i, line) in requests.split("\r\n").filter(|l| l.starts_with("HMSG")).enumerate() {
        let reply = line.split(' ').nth(3).unwrap();
        answers.extend_from_slice(format!("PUB {reply} 2\r\n{:02}\r\n", i).as_bytes());
    }
    w1.ingest(responder, &answers);
    w0.drain_inbox();
    let expected: String = (0..50).map(|i| format!("MSG _INBOX.{i} 1 2\r\n{:02}\r\n", i)).collect();
    assert_eq!(out(&mut w0, requester), expected);
}

#[test]
fn chained_service_imports_stop_at_the_hop_limit() {
    // A cycle the control plane would refuse: X imports q from Y and Y imports q from X.
    let router = Router::new(1);
    let tables = r#"{"services": [
        {"importer": "X", "exporter": "Y", "from": "q", "to": "q", "response": "singleton"},
        {"importer": "Y", "exporter": "X", "from": "q", "to": "q", "response": "singleton"}]}"#;
    configure(&router, tables.as_bytes()).unwrap();
    let mut e = auth_engine(router, 0);
    let x = client(&mut e, "X");
    let y = client(&mut e, "Y");
    e.ingest(y, b"SUB q 1\r\n");
    e.ingest(x, b"PUB q 1\r\n!\r\n");
    let got = out(&mut e, y);
    assert_eq!(got.matches("HMSG q 1 ").count() as u32, MAX_IMPORT_HOPS.div_ceil(2), "{got}");
}

#[test]
fn bad_tables_are_refused() {
    let router = Router::new(1);
    assert!(configure(&router, b"{\"streams\": 3}").is_err());
    let bad = r#"{"streams": [{"exporter": "A", "importer": "B", "from": "a.*", "to": "b.$2"}]}"#;
    assert!(configure(&router, bad.as_bytes()).is_err());
}
