//! Engine tests: routing, fan-out, queue groups, limits and the close paths, byte for byte.

use super::*;

const CONNECT: &[u8] = b"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n";

fn engine() -> Engine {
    Engine::new(EngineConfig::default(), 42)
}

fn client(e: &mut Engine) -> u32 {
    let id = e.open_conn(b"", None);
    e.ingest(id, CONNECT);
    drain(e, id);
    e.take_events();
    id
}

/// Everything queued for `id`, as text.
fn drain(e: &mut Engine, id: u32) -> String {
    let mut ids = [0u32; 64];
    let n = e.take_dirty(&mut ids);
    // Put back the others by re-marking them; tests read one connection at a time.
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

#[test]
fn ping_pong_and_default_verbose_before_connect() {
    let mut e = engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"PING\r\nSUB foo 1\r\n");
    assert_eq!(drain(&mut e, id), "PONG\r\n+OK\r\n");
}

#[test]
fn pub_sub_with_and_without_reply() {
    let mut e = engine();
    let s = client(&mut e);
    let p = client(&mut e);
    e.ingest(s, b"SUB foo.* 9\r\n");
    e.ingest(p, b"PUB foo.bar 5\r\nhello\r\nPUB foo.baz r.1 0\r\n\r\nPUB foo 1\r\nx\r\n");
    assert_eq!(drain(&mut e, s), "MSG foo.bar 9 5\r\nhello\r\nMSG foo.baz 9 r.1 0\r\n\r\n");
}

#[test]
fn headers_are_framed_as_hmsg_or_stripped() {
    let mut e = engine();
    let with = client(&mut e);
    let without = e.open_conn(b"", None);
    e.ingest(without, b"CONNECT {\"verbose\":false}\r\nSUB h 2\r\n");
    e.take_events();
    e.ingest(with, b"SUB h 1\r\nHPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    assert_eq!(drain(&mut e, with), "HMSG h 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    assert_eq!(drain(&mut e, without), "MSG h 2 2\r\nhi\r\n");
}

#[test]
fn fan_out_reaches_every_subscriber_once_per_subscription() {
    let mut e = engine();
    let subs: Vec<u32> = (0..10).map(|_| client(&mut e)).collect();
    for (i, &s) in subs.iter().enumerate() {
        e.ingest(s, format!("SUB fan.> {i}\r\n").as_bytes());
    }
    let p = client(&mut e);
    e.ingest(p, b"PUB fan.out 2\r\nhi\r\n");
    let mut ids = [0u32; 64];
    let n = e.take_dirty(&mut ids);
    assert_eq!(n, 10);
    for &id in &ids[..n] {
        let i = subs.iter().position(|&s| s == id).unwrap();
        assert_eq!(String::from_utf8(e.take_outbound(id)).unwrap(), format!("MSG fan.out {i} 2\r\nhi\r\n"));
    }
}

#[test]
fn queue_group_delivers_to_exactly_one_member() {
    let mut e = engine();
    let members: Vec<u32> = (0..4).map(|_| client(&mut e)).collect();
    for &m in &members {
        e.ingest(m, b"SUB work q 1\r\n");
    }
    let plain = client(&mut e);
    e.ingest(plain, b"SUB work 7\r\n");
    let p = client(&mut e);
    let mut counts = [0usize; 4];
    for _ in 0..400 {
        e.ingest(p, b"PUB work 0\r\n\r\n");
        let mut ids = [0u32; 64];
        let n = e.take_dirty(&mut ids);
        assert_eq!(n, 2, "one queue member plus the plain subscriber");
        for &id in &ids[..n] {
            e.take_outbound(id);
            if let Some(i) = members.iter().position(|&m| m == id) {
                counts[i] += 1;
            }
        }
    }
    assert_eq!(counts.iter().sum::<usize>(), 400);
    assert!(counts.iter().all(|&c| c > 50), "spread: {counts:?}");
}

#[test]
fn echo_false_skips_own_subscriptions() {
    let mut e = engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 1\r\nPUB foo 0\r\n\r\nPING\r\n");
    assert_eq!(drain(&mut e, id), "PONG\r\n");
}

#[test]
fn unsub_max_auto_unsubscribes() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 0\r\n\r\nPUB foo 0\r\n\r\nPUB foo 0\r\n\r\n");
    assert_eq!(drain(&mut e, id), "MSG foo 1 0\r\n\r\nMSG foo 1 0\r\n\r\n");
    assert_eq!(e.subscription_count(), 0);
    // A max already reached removes the subscription at once.
    e.ingest(id, b"SUB bar 2\r\nPUB bar 0\r\n\r\nUNSUB 2 1\r\nPUB bar 0\r\n\r\n");
    assert_eq!(drain(&mut e, id), "MSG bar 2 0\r\n\r\n");
    assert_eq!(e.subscription_count(), 0);
}

#[test]
fn duplicate_sid_is_ignored() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"SUB foo 1\r\nSUB foo 1\r\nPUB foo 0\r\n\r\n");
    assert_eq!(drain(&mut e, id), "MSG foo 1 0\r\n\r\n");
}

#[test]
fn no_responders_uses_the_first_matching_own_subscription() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"SUB _INBOX.abc 7\r\nSUB _INBOX.> 5\r\nPUB nobody _INBOX.abc 2\r\nhi\r\n");
    assert_eq!(drain(&mut e, id), "HMSG _INBOX.abc 5 38 38\r\nNATS/1.0 503\r\nNats-Subject: nobody\r\n\r\n\r\n");
    // No matching own subscription: nothing.
    e.ingest(id, b"PUB nobody other.reply 0\r\n\r\n");
    assert_eq!(drain(&mut e, id), "");
}

#[test]
fn verbose_and_pedantic_defaults_apply_until_connect_overrides_them() {
    let mut e = engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {}\r\nSUB foo.* 1\r\nPUB foo.* 1\r\nx\r\nSUB foo..bar 2\r\n");
    assert_eq!(
        drain(&mut e, id),
        "+OK\r\n+OK\r\n-ERR 'Invalid Publish Subject'\r\n+OK\r\nMSG foo.* 1 1\r\nx\r\n-ERR 'Invalid Subject'\r\n"
    );
}

#[test]
fn max_subscriptions_keeps_the_connection() {
    let mut e = Engine::new(EngineConfig { max_subscriptions: 1, ..EngineConfig::default() }, 1);
    let id = client(&mut e);
    e.ingest(id, b"SUB a 1\r\nSUB b 2\r\nPING\r\n");
    assert_eq!(drain(&mut e, id), "-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    assert!(e.take_events().is_empty());
}

#[test]
fn connect_errors_close() {
    let mut e = engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {\"protocol\":2}\r\n");
    assert_eq!(drain(&mut e, id), "-ERR 'invalid client protocol'\r\n");
    assert_eq!(e.take_events(), vec![Event::Close { conn: id, reason: CloseReason::BadClientProtocolVersion }]);

    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {\"no_responders\":true}\r\n");
    assert_eq!(drain(&mut e, id), "-ERR 'no responders requires headers support'\r\n");

    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {bad\r\n");
    assert_eq!(drain(&mut e, id), "");
    assert_eq!(e.take_events().last(), Some(&Event::Close { conn: id, reason: CloseReason::ProtocolViolation }));
}

#[test]
fn parse_error_closes_and_stops_parsing() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"FOO\r\nPING\r\n");
    assert_eq!(drain(&mut e, id), "-ERR 'Unknown Protocol Operation'\r\n");
    e.ingest(id, b"PING\r\n");
    assert_eq!(drain(&mut e, id), "");
}

#[test]
fn slow_consumer_is_closed_silently_and_others_carry_on() {
    let mut e = Engine::new(EngineConfig { max_pending: 1000, ..EngineConfig::default() }, 1);
    let slow = client(&mut e);
    let fast = client(&mut e);
    e.ingest(slow, b"SUB x 1\r\n");
    e.ingest(fast, b"SUB x 1\r\n");
    e.set_blocked(slow, true);
    let p = client(&mut e);
    let payload = vec![b'a'; 100];
    let mut msg = b"PUB x 100\r\n".to_vec();
    msg.extend_from_slice(&payload);
    msg.extend_from_slice(b"\r\n");
    for _ in 0..20 {
        e.ingest(p, &msg);
        drain(&mut e, fast);
    }
    let events = e.take_events();
    assert_eq!(events, vec![Event::Close { conn: slow, reason: CloseReason::SlowConsumerPendingBytes }]);
    assert_eq!(e.pending_bytes(slow), 0);
    assert_eq!(e.counters().slow_consumers, 1);
}

#[test]
fn protocol_replies_count_toward_max_pending() {
    // A client that provokes PONGs and never reads is cut like any slow consumer, and the rest of its chunk
    // is dropped (nats-server counts every queued byte against max_pending).
    let mut e = Engine::new(EngineConfig { max_pending: 100, ..EngineConfig::default() }, 1);
    let c = client(&mut e);
    e.set_blocked(c, true);
    let mut input = b"PING\r\n".repeat(20);
    input.extend_from_slice(b"SUB x 1\r\n");
    e.ingest(c, &input);
    assert_eq!(e.take_events(), vec![Event::Close { conn: c, reason: CloseReason::SlowConsumerPendingBytes }]);
    assert_eq!(e.pending_bytes(c), 0);
    assert_eq!(e.subscription_count(), 0, "ops after the cut are not applied");
    assert_eq!(e.counters().slow_consumers, 1);
}

#[test]
fn ping_timer_sends_pings_then_closes_stale() {
    let mut e = Engine::new(EngineConfig { ping_interval_ms: 1000, ping_max: 2, ..EngineConfig::default() }, 1);
    e.set_now(0);
    let id = client(&mut e);
    // After CONNECT the first PING is due within min(interval, 2s) plus 20% jitter.
    e.tick(999);
    assert_eq!(drain(&mut e, id), "");
    e.tick(1200);
    assert_eq!(drain(&mut e, id), "PING\r\n");
    e.tick(2200);
    assert_eq!(drain(&mut e, id), "PING\r\n");
    e.tick(3200);
    assert_eq!(drain(&mut e, id), "-ERR 'Stale Connection'\r\n");
    assert_eq!(e.take_events(), vec![Event::Close { conn: id, reason: CloseReason::StaleConnection }]);
}

#[test]
fn pong_resets_the_outstanding_pings() {
    let mut e = Engine::new(EngineConfig { ping_interval_ms: 1000, ping_max: 1, ..EngineConfig::default() }, 1);
    e.set_now(0);
    let id = client(&mut e);
    for t in 1..10u64 {
        e.tick(t * 1000 + 200);
        assert_eq!(drain(&mut e, id), "PING\r\n");
        e.ingest(id, b"PONG\r\n");
    }
    assert!(e.take_events().is_empty());
}

#[test]
fn closing_a_connection_removes_its_subscriptions() {
    let mut e = engine();
    let a = client(&mut e);
    e.ingest(a, b"SUB a 1\r\nSUB b q 2\r\n");
    assert_eq!(e.subscription_count(), 2);
    e.close_conn(a);
    assert_eq!(e.subscription_count(), 0);
    let b = e.open_conn(b"", None);
    assert_eq!(b, a, "slots are reused");
}

#[test]
fn client_activity_delays_pings_once_a_round_trip_is_known() {
    let mut e = Engine::new(EngineConfig { ping_interval_ms: 1000, ping_max: 1, ..EngineConfig::default() }, 1);
    e.set_now(0);
    let id = client(&mut e);
    e.tick(1200);
    assert_eq!(drain(&mut e, id), "PING\r\n");
    e.ingest(id, b"PONG\r\n");
    for t in 2..10u64 {
        e.set_now(t * 1000);
        e.ingest(id, b"PUB x 0\r\n\r\n");
        e.tick(t * 1000 + 200);
        assert_eq!(drain(&mut e, id), "");
    }
    assert!(e.take_events().is_empty());
}

#[test]
fn second_connect_drops_subscriptions() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"SUB a 1\r\nSUB b 2\r\n");
    assert_eq!(e.subscription_count(), 2);
    e.ingest(id, CONNECT);
    assert_eq!(e.subscription_count(), 0);
    assert_eq!(e.conn_sub_count(id), 0);
}

#[test]
fn reserved_queue_name_is_a_permissions_violation() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"SUB foo _sys_ 1\r\nPING\r\n");
    assert_eq!(
        drain(&mut e, id),
        "-ERR 'Permissions Violation for Subscription to \"foo\" using queue \"_sys_\"'\r\nPONG\r\n"
    );
    assert_eq!(e.subscription_count(), 0);
}

#[test]
fn connect_info_follows_the_first_pong_for_protocol_one() {
    let mut e = engine();
    let id = e.open_conn(b"INFO {} \r\n", Some(b"INFO {\"connect_info\":true} \r\n"));
    e.ingest(id, b"CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\nPING\r\n");
    assert_eq!(drain(&mut e, id), "INFO {} \r\nPONG\r\nINFO {\"connect_info\":true} \r\nPONG\r\n");
    assert!(e.send_async_info(id, b"INFO {\"ldm\":true} \r\n"));
    // Protocol 0 clients never get asynchronous INFO.
    let old = e.open_conn(b"", Some(b"INFO {} \r\n"));
    e.ingest(old, b"CONNECT {\"verbose\":false}\r\nPING\r\n");
    assert_eq!(drain(&mut e, old), "PONG\r\n");
    assert!(!e.send_async_info(old, b"INFO {\"ldm\":true} \r\n"));
}

#[test]
fn hpub_with_empty_header_block_is_delivered_as_msg() {
    let mut e = engine();
    let id = client(&mut e);
    e.ingest(id, b"SUB h 1\r\nHPUB h 0 2\r\nhi\r\n");
    assert_eq!(drain(&mut e, id), "MSG h 1 2\r\nhi\r\n");
}

#[test]
fn control_line_limit_applies_to_complete_lines() {
    let mut e = Engine::new(EngineConfig { max_control_line: 10, ..EngineConfig::default() }, 1);
    let id = e.open_conn(b"", None);
    e.ingest(id, b"SUB 12345678 1\r\n");
    assert_eq!(drain(&mut e, id), "+OK\r\n");
    e.ingest(id, b"SUB 123456789 1\r\n");
    assert_eq!(drain(&mut e, id), "-ERR 'maximum control line exceeded'\r\n");
}

/// Two engines sharing one router, as two worker threads would (driven from one thread here).
fn two_workers() -> (Engine, Engine) {
    let router = Router::new(2);
    let a = Engine::with_router(EngineConfig::default(), 1, router.clone(), 0);
    let b = Engine::with_router(EngineConfig::default(), 2, router, 1);
    (a, b)
}

#[test]
fn a_message_reaches_a_subscriber_on_another_worker_in_order() {
    let (mut a, mut b) = two_workers();
    let sub = client(&mut b);
    b.ingest(sub, b"SUB foo.* 1\r\n");
    let local = client(&mut a);
    a.ingest(local, b"SUB foo.* 2\r\n");
    let publisher = client(&mut a);
    let mut input = Vec::new();
    for i in 0..100 {
        input.extend_from_slice(format!("PUB foo.x {}\r\n{}\r\n", i.to_string().len(), i).as_bytes());
    }
    a.ingest(publisher, &input);
    // Nothing is framed on b until it drains its inbox.
    assert_eq!(drain(&mut b, sub), "");
    b.drain_inbox();
    let got = drain(&mut b, sub);
    let expected: String = (0..100).map(|i| format!("MSG foo.x 1 {}\r\n{}\r\n", i.to_string().len(), i)).collect();
    assert_eq!(got, expected);
    assert_eq!(drain(&mut a, local), expected.replace("MSG foo.x 1 ", "MSG foo.x 2 "));
}

#[test]
fn queue_groups_span_workers_and_deliver_once() {
    let (mut a, mut b) = two_workers();
    let qa = client(&mut a);
    a.ingest(qa, b"SUB work q 1\r\n");
    let qb = client(&mut b);
    b.ingest(qb, b"SUB work q 1\r\n");
    let p = client(&mut a);
    for _ in 0..200 {
        a.ingest(p, b"PUB work 0\r\n\r\n");
    }
    b.drain_inbox();
    let on_a = drain(&mut a, qa).matches("MSG work").count();
    let on_b = drain(&mut b, qb).matches("MSG work").count();
    assert_eq!(on_a + on_b, 200);
    assert!(on_a > 40 && on_b > 40, "spread {on_a}/{on_b}");
}

#[test]
fn a_forward_to_a_removed_subscription_is_dropped() {
    let (mut a, mut b) = two_workers();
    let sub = client(&mut b);
    b.ingest(sub, b"SUB foo 1\r\n");
    let p = client(&mut a);
    a.ingest(p, b"PUB foo 0\r\n\r\n");
    // The subscription goes and its slot is reused before the forward is delivered.
    b.ingest(sub, b"UNSUB 1\r\nSUB bar 2\r\n");
    b.drain_inbox();
    assert_eq!(drain(&mut b, sub), "");
}

#[test]
fn a_remote_subscriber_counts_as_a_responder() {
    let (mut a, mut b) = two_workers();
    let svc = client(&mut b);
    b.ingest(svc, b"SUB svc 1\r\n");
    let req = client(&mut a);
    a.ingest(req, b"SUB _INBOX.> 9\r\nPUB svc _INBOX.1 0\r\n\r\n");
    assert_eq!(drain(&mut a, req), "", "no 503: the request was forwarded");
    b.drain_inbox();
    assert_eq!(drain(&mut b, svc), "MSG svc 1 _INBOX.1 0\r\n\r\n");
}

fn auth_engine() -> Engine {
    Engine::new(EngineConfig { auth_enabled: true, ..EngineConfig::default() }, 1)
}

#[test]
fn with_auth_the_first_op_must_be_connect() {
    let mut e = auth_engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"PING\r\n");
    assert_eq!(drain(&mut e, id), "-ERR 'Authorization Violation'\r\n");
    assert_eq!(e.take_events(), vec![Event::Close { conn: id, reason: CloseReason::AuthenticationViolation }]);
}

#[test]
fn with_a_password_no_auth_user_an_op_before_connect_waits_for_the_decision() {
    let mut e =
        Engine::new(EngineConfig { auth_enabled: true, admit_before_connect: true, ..EngineConfig::default() }, 1);
    let id = e.open_conn(b"", None);
    e.ingest(id, b"SUB foo 1\r\nPI");
    e.ingest(id, b"NG\r\n");
    assert_eq!(drain(&mut e, id), "");
    assert_eq!(e.take_events(), vec![Event::OpBeforeConnect { conn: id }]);
    e.authorize(id, "$G", None).expect("valid");
    // Verbose is on until a CONNECT says otherwise: +OK for the SUB, none for the CONNECT never sent.
    assert_eq!(drain(&mut e, id), "+OK\r\nPONG\r\n");
}

#[test]
fn input_after_connect_waits_for_the_decision() {
    let mut e = auth_engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {\"user\":\"a\"}\r\nSUB foo 1\r\nPUB foo 1\r\n");
    e.ingest(id, b"x\r\nPING\r\n");
    assert_eq!(drain(&mut e, id), "", "nothing parsed before the verdict, not even +OK");
    assert!(matches!(e.take_events().as_slice(), [Event::Connect { .. }]));
    e.authorize(id, "$G", None).unwrap();
    assert_eq!(drain(&mut e, id), "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 1\r\nx\r\nPONG\r\n");
}

#[test]
fn permissions_are_enforced_with_nats_server_texts() {
    let mut e = auth_engine();
    let id = e.open_conn(b"", None);
    e.ingest(id, b"CONNECT {\"verbose\":false}\r\n");
    let perms = br#"{"publish":{"allow":["ok.>"]},"subscribe":{"deny":["secret.*"]}}"#;
    e.authorize(id, "$G", Some(perms)).unwrap();
    e.ingest(id, b"SUB secret.x 1\r\nSUB ok.x 2\r\nPUB nope 0\r\n\r\nPUB ok.x 0\r\n\r\n");
    assert_eq!(
        drain(&mut e, id),
        "-ERR 'Permissions Violation for Subscription to \"secret.x\"'\r\n\
         -ERR 'Permissions Violation for Publish to \"nope\"'\r\nMSG ok.x 2 0\r\n\r\n"
    );
    assert!(e.take_events().iter().all(|ev| !matches!(ev, Event::Close { .. })), "violations keep the connection");
}

#[test]
fn accounts_are_isolated() {
    let mut e = auth_engine();
    let a = e.open_conn(b"", None);
    let b = e.open_conn(b"", None);
    for (id, acc) in [(a, "A"), (b, "B")] {
        e.ingest(id, b"CONNECT {\"verbose\":false}\r\n");
        e.authorize(id, acc, None).unwrap();
    }
    e.ingest(a, b"SUB foo 1\r\n");
    e.ingest(b, b"SUB foo 1\r\nPUB foo 1\r\nb\r\n");
    assert_eq!(drain(&mut e, b), "MSG foo 1 1\r\nb\r\n");
    assert_eq!(drain(&mut e, a), "", "account A does not see account B's message");
    e.ingest(a, b"PUB foo 1\r\na\r\n");
    assert_eq!(drain(&mut e, a), "MSG foo 1 1\r\na\r\n");
}

#[test]
fn a_backed_up_consumer_stalls_the_publisher_before_it_is_dropped() {
    let mut e = Engine::new(EngineConfig { max_pending: 1000, ..EngineConfig::default() }, 1);
    let slow = client(&mut e);
    e.ingest(slow, b"SUB x 1\r\n");
    e.set_blocked(slow, true);
    let p = client(&mut e);
    let msg = b"PUB x 100\r\n0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    let mut stalled_at = None;
    for i in 0..6 {
        if e.ingest(p, msg) & HAS_STALL != 0 {
            stalled_at.get_or_insert(i);
        }
    }
    // Each MSG is 115 bytes: past 750 pending (3/4 of max_pending) on the 7th, so not yet...
    assert_eq!(stalled_at, None);
    assert_ne!(e.ingest(p, msg) & HAS_STALL, 0, "...but now");
    // Draining the consumer clears the congestion.
    e.take_outbound(slow);
    assert_eq!(e.ingest(p, msg) & HAS_STALL, 0);
}

#[test]
fn a_congested_worker_stalls_publishers_on_other_workers() {
    let router = Router::new(2);
    let cfg = EngineConfig { max_pending: 1000, ..EngineConfig::default() };
    let mut a = Engine::with_router(cfg, 1, router.clone(), 0);
    let mut b = Engine::with_router(cfg, 2, router, 1);
    let slow = client(&mut b);
    b.ingest(slow, b"SUB x 1\r\n");
    b.set_blocked(slow, true);
    let p = client(&mut a);
    let mut stalled = false;
    for _ in 0..8 {
        let flags = a.ingest(p, b"PUB x 100\r\n0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n");
        stalled |= flags & HAS_STALL != 0;
        b.drain_inbox();
    }
    assert!(stalled, "publishes after the consumer passed 3/4 of max_pending are stalled");
}

#[test]
fn partial_writes_keep_order_and_the_buffer_bounded() {
    // A socket that takes a few bytes at a time: what is left is handed out in order, pending_bytes counts
    // only unsent bytes, and the sent prefix is dropped once it is half the buffer.
    let mut e = engine();
    let sub = client(&mut e);
    let p = client(&mut e);
    e.ingest(sub, b"SUB x 1\r\n");
    drain(&mut e, sub);
    for i in 0..50 {
        e.ingest(p, format!("PUB x 2\r\n{:02}\r\n", i).as_bytes());
    }
    let expected: String = (0..50).map(|i| format!("MSG x 1 2\r\n{:02}\r\n", i)).collect();
    let mut got = Vec::new();
    while e.pending_bytes(sub) > 0 {
        let before = e.pending_bytes(sub);
        let out = e.outbound(sub);
        let n = out.len().min(7);
        got.extend_from_slice(&out[..n]);
        e.consume_outbound_prefix(sub, n);
        assert_eq!(e.pending_bytes(sub), before - n);
        let c = e.t.conns[sub as usize].as_ref().unwrap();
        assert!(c.out_sent < c.out.len().max(1), "sent prefix compacted");
    }
    assert_eq!(String::from_utf8(got).unwrap(), expected);
    // Everything sent: the next message starts a fresh buffer.
    e.ingest(p, b"PUB x 2\r\nzz\r\n");
    assert_eq!(e.outbound(sub), b"MSG x 1 2\r\nzz\r\n");
}

#[test]
fn a_consumer_backlog_past_the_stall_cap_stalls_its_publisher() {
    let mut e = Engine::new(EngineConfig { stall_cap: 1000, ..EngineConfig::default() }, 1);
    let sub = client(&mut e);
    let p = client(&mut e);
    e.ingest(sub, b"SUB x 1\r\n");
    drain(&mut e, sub);
    e.set_blocked(sub, true);
    let msg = format!("PUB x 100\r\n{}\r\n", "a".repeat(100));
    let mut stalled = false;
    for _ in 0..20 {
        stalled |= e.ingest(p, msg.as_bytes()) & HAS_STALL != 0;
    }
    assert!(stalled);
    assert!(e.congested());
    e.set_blocked(sub, false);
    drain(&mut e, sub);
    assert!(!e.congested());
    assert!(e.take_events().is_empty(), "stalled, not cut: max_pending is far away");
}

/// Answers `echo.>` requests with the subject and body it was asked, and a header.
struct EchoService;

impl crate::router::Service for EchoService {
    fn answer(
        &self,
        subject: &[u8],
        _hdr: Option<&[u8]>,
        body: &[u8],
        reply: &mut crate::router::ServiceReply,
    ) -> bool {
        reply.hdr.extend_from_slice(b"NATS/1.0\r\nX: 1\r\n\r\n");
        reply.body.extend_from_slice(subject);
        reply.body.push(b' ');
        reply.body.extend_from_slice(body);
        true
    }
}

#[test]
fn a_service_answers_on_the_thread_that_received_the_request() {
    let (a, mut b) = two_workers();
    let id = a.router().add_service(0, &[b"echo.>"], Arc::new(EchoService)).unwrap();
    // The requester is on worker b: its reply is framed there at once, with nothing posted to a's inbox.
    let requester = client(&mut b);
    b.ingest(requester, b"SUB _INBOX.r 7\r\nPUB echo.x _INBOX.r 2\r\nhi\r\n");
    let hdr = "NATS/1.0\r\nX: 1\r\n\r\n";
    assert_eq!(
        drain(&mut b, requester),
        format!("HMSG _INBOX.r 7 {} {}\r\n{hdr}echo.x hi\r\n", hdr.len(), hdr.len() + 9)
    );
    let mut inbox = Vec::new();
    a.router().take_inbox(0, &mut inbox);
    assert!(inbox.is_empty());
    // With echo off the requester still gets the server's answer; without a reply subject nothing is sent, and
    // a request it answered is not a no-responders case.
    let quiet = b.open_conn(b"", None);
    b.ingest(quiet, b"CONNECT {\"verbose\":false,\"echo\":false,\"headers\":true,\"no_responders\":true}\r\n");
    drain(&mut b, quiet);
    b.ingest(quiet, b"SUB in 1\r\nPUB echo.y 0\r\n\r\nPUB echo.z in 0\r\n\r\n");
    assert_eq!(drain(&mut b, quiet), format!("HMSG in 1 {} {}\r\n{hdr}echo.z \r\n", hdr.len(), hdr.len() + 7));
    // Removed: the subject has no responder any more.
    a.router().remove_service(id);
    b.ingest(quiet, b"PUB echo.z in 0\r\n\r\n");
    assert!(drain(&mut b, quiet).starts_with("HMSG in 1 "), "a 503 no-responders status");
}

/// Stores (records) every plain message on `cap.>` except those whose body is `no`; acks with `ok <n>`.
#[derive(Default)]
struct RecordingCapture {
    stored: std::sync::Mutex<Vec<Vec<u8>>>,
    chunks_ended: std::sync::atomic::AtomicUsize,
}

impl crate::router::Capture for RecordingCapture {
    fn capture(
        &self,
        _subject: &[u8],
        hdr: Option<&[u8]>,
        body: &[u8],
        ack: Option<&mut Vec<u8>>,
        may_store: bool,
    ) -> bool {
        if !may_store || hdr.is_some() || body == b"no" {
            return false;
        }
        let mut stored = self.stored.lock().unwrap();
        stored.push(body.to_vec());
        if let Some(ack) = ack {
            ack.extend_from_slice(format!("ok {}", stored.len()).as_bytes());
        }
        true
    }

    fn end_of_chunk(&self) -> bool {
        self.chunks_ended.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        true
    }
}

#[test]
fn a_capture_stores_on_the_publishing_thread_and_shadows_the_control_plane() {
    let (mut a, mut b) = two_workers();
    // The control plane's subscription on worker a (an internal connection, as JetStream's).
    let internal = a.open_internal("$G");
    a.ingest(internal, b"SUB cap.> 1\r\n");
    let shadow = a.sub_key(internal, b"1").unwrap();
    let cap = Arc::new(RecordingCapture::default());
    let id = a.router().add_capture(0, &[b"cap.>"], cap.clone(), vec![shadow]).unwrap();
    // A publisher on worker b: stored there and acked at once; nothing is forwarded to a.
    let p = client(&mut b);
    b.ingest(p, b"SUB _INBOX.a 9\r\nPUB cap.x _INBOX.a 3\r\none\r\nPUB cap.x 3\r\ntwo\r\n");
    assert_eq!(drain(&mut b, p), "MSG _INBOX.a 9 4\r\nok 1\r\n");
    assert_eq!(cap.chunks_ended.load(std::sync::atomic::Ordering::Relaxed), 1, "once per chunk");
    let mut inbox = Vec::new();
    a.router().take_inbox(0, &mut inbox);
    assert!(inbox.is_empty());
    // Declined (headers, or the capture says no): it reaches the shadowed subscription as before.
    b.ingest(p, b"HPUB cap.y 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPUB cap.z 2\r\nno\r\n");
    a.drain_inbox();
    let got = drain(&mut a, internal);
    assert!(got.contains("HMSG cap.y 1 12 14") && got.contains("MSG cap.z 1 2\r\nno"), "{got}");
    assert_eq!(cap.stored.lock().unwrap().len(), 2);
    // Removed: everything goes to the subscription.
    a.router().remove_service(id);
    b.ingest(p, b"PUB cap.x 5\r\nthree\r\n");
    a.drain_inbox();
    assert_eq!(drain(&mut a, internal), "MSG cap.x 1 5\r\nthree\r\n");
}

#[cfg(unix)]
fn read_available(fd: i32) -> String {
    let mut buf = [0u8; 4096];
    // SAFETY: reads into a live stack buffer of the given length.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
    String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned()
}

#[cfg(unix)]
#[test]
fn a_small_batch_goes_straight_to_an_idle_socket_on_another_worker() {
    let (mut a, mut b) = two_workers();
    let mut fds = [0i32; 2];
    // SAFETY: socketpair fills the two-element array.
    assert_eq!(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) }, 0);
    let sub = client(&mut b);
    b.ingest(sub, b"SUB foo 1\r\n");
    drain(&mut b, sub);
    assert!(b.enable_direct(sub, fds[0]));
    let p = client(&mut a);
    // The gate opens when a first message comes from another worker: that one goes through b's inbox.
    a.ingest(p, b"PUB foo 2\r\nw0\r\n");
    assert_eq!(read_available(fds[1]), "");
    b.drain_inbox();
    assert_eq!(drain(&mut b, sub), "MSG foo 1 2\r\nw0\r\n");
    // Idle: written by a, nothing posted to b.
    a.ingest(p, b"PUB foo 2\r\nhi\r\n");
    assert_eq!(read_available(fds[1]), "MSG foo 1 2\r\nhi\r\n");
    assert!(a.router().inbox_settled(1));
    let mut inbox = Vec::new();
    a.router().take_inbox(1, &mut inbox);
    assert!(inbox.is_empty());
    // Busy (b has a PONG queued for it): forwarded, and written by b after the PONG.
    b.ingest(sub, b"PING\r\n");
    a.ingest(p, b"PUB foo 2\r\nyo\r\n");
    assert_eq!(read_available(fds[1]), "");
    assert!(!a.router().inbox_settled(1));
    // Not settled: even once b's output is gone, a keeps forwarding until b has drained its inbox.
    assert_eq!(drain(&mut b, sub), "PONG\r\n");
    a.ingest(p, b"PUB foo 2\r\nzz\r\n");
    assert_eq!(read_available(fds[1]), "");
    b.drain_inbox();
    assert_eq!(drain(&mut b, sub), "MSG foo 1 2\r\nyo\r\nMSG foo 1 2\r\nzz\r\n");
    // Idle and settled again: direct.
    a.ingest(p, b"PUB foo 2\r\nok\r\n");
    assert_eq!(read_available(fds[1]), "MSG foo 1 2\r\nok\r\n");
    assert_eq!(b.conn_counters(sub).unwrap().out_msgs, 5);
    // A burst is not a small batch: it takes the inbox.
    a.ingest(p, "PUB foo 1\r\nx\r\n".repeat(5).as_bytes());
    assert_eq!(read_available(fds[1]), "");
    b.drain_inbox();
    assert_eq!(drain(&mut b, sub), "MSG foo 1 1\r\nx\r\n".repeat(5));
    // An auto-unsubscribe count makes the owner count deliveries: no more direct writes to it.
    b.ingest(sub, b"UNSUB 1 10\r\n");
    a.ingest(p, b"PUB foo 2\r\nhi\r\n");
    assert_eq!(read_available(fds[1]), "");
    b.drain_inbox();
    assert_eq!(drain(&mut b, sub), "MSG foo 1 2\r\nhi\r\n");
    // Closed: the gate's descriptor is closed with it, the test's own stays open.
    b.close_conn(sub);
    a.ingest(p, b"PUB foo 2\r\nhi\r\n");
    assert_eq!(read_available(fds[1]), "");
    // SAFETY: closing the test's own descriptors.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
}
