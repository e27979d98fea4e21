// JetStream units: the jetstream config block, nats-server's config defaults, ack subjects and bodies,
// RFC 3339 times, and pull request parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { applyConfig, parseConfigText } from '../../src/config/config-file.js';
import { ackReply, parseAck, readAck, readAckSubject } from '../../src/jetstream/acks.js';
import { normalizeConsumerConfig, normalizeStreamConfig, sameConfig } from '../../src/jetstream/defaults.js';
import { JsApiError } from '../../src/jetstream/errors.js';
import { parsePullRequest } from '../../src/jetstream/pull.js';
import { parseTime, rfc3339 } from '../../src/jetstream/wire.js';

const apply = (text: string) => applyConfig(parseConfigText(text, { file: 'test.conf', env: {} }), 'test.conf');

test('jetstream block: store_dir, limits and sync_interval (always or a duration)', () => {
  const o = apply('jetstream { store_dir: "/js", max_memory_store: 1048576, max_file_store: 2097152, sync_interval: "5s" }').options;
  assert.deepEqual(o, { jetstream: true, storeDir: '/js', maxMemoryStore: 1048576, maxFileStore: 2097152, syncInterval: 5000 });
  assert.equal(apply('jetstream { sync_interval: always }').options.syncInterval, -1);
});

test('stream defaults match nats-server', () => {
  const c = normalizeStreamConfig({ name: 'S' }, 1024 * 1024);
  assert.deepEqual(c.subjects, ['S']);
  assert.equal(c.max_msgs, -1);
  assert.equal(c.max_bytes, -1);
  assert.equal(c.max_msg_size, -1);
  assert.equal(c.max_msgs_per_subject, -1);
  assert.equal(c.max_consumers, -1);
  assert.equal(c.duplicate_window, 120e9);
  assert.equal(normalizeStreamConfig({ name: 'S', max_age: 10e9 }, 1 << 20).duplicate_window, 10e9);
  assert.equal(normalizeStreamConfig({ name: 'S', max_msgs: 0 }, 1 << 20).max_msgs, -1);
  assert.ok(sameConfig(c, normalizeStreamConfig({ name: 'S', subjects: ['S'], storage: 'file' }, 1 << 20)));
  assert.throws(() => normalizeStreamConfig({ name: 'a.b' }, 1 << 20), JsApiError);
});

test('consumer defaults match nats-server', () => {
  const pull = normalizeConsumerConfig({ durable_name: 'D', ack_policy: 'explicit' });
  assert.equal(pull.ack_wait, 30e9);
  assert.equal(pull.max_ack_pending, 1000);
  assert.equal(pull.max_waiting, 512);
  assert.equal(pull.max_deliver, -1);
  assert.equal(pull.inactive_threshold, undefined);
  const push = normalizeConsumerConfig({ deliver_subject: 'd', ack_policy: 'none' });
  assert.equal(push.max_waiting, undefined);
  assert.equal(push.max_ack_pending, undefined);
  assert.equal(push.inactive_threshold, 5e9);
  assert.equal(normalizeConsumerConfig({ backoff: [1e9, 2e9] }).ack_wait, 1e9);
  assert.throws(() => normalizeConsumerConfig({ flow_control: true, deliver_subject: 'd' }), JsApiError);
});

test('ack subjects: the 9-token form round-trips; the 12-token form parses', () => {
  const s = ackReply('S', 'C', 2, 10, 7, 1234n, 3);
  assert.equal(s, '$JS.ACK.S.C.2.10.7.1234.3');
  const read = (subject: string) => {
    const buf = Buffer.from(`xx${subject}yy`);
    const t = readAckSubject(buf, 2, buf.length - 2);
    return t === undefined ? undefined : { key: buf.toString('utf8', t.keyStart, t.keyEnd), sseq: t.sseq };
  };
  assert.deepEqual(read(s), { key: 'S.C', sseq: 10 });
  assert.deepEqual(read('$JS.ACK.dom.hash.S.C.1.5.4.99.0.rnd'), { key: 'S.C', sseq: 5 });
  assert.equal(read('$JS.ACK.S.C'), undefined);
  assert.equal(read('$JS.ACK.S.C.1.x5.4.99.0'), undefined);
});

test('ack bodies', () => {
  assert.deepEqual(parseAck(Buffer.from('')), { kind: 'ack' });
  assert.deepEqual(parseAck(Buffer.from('+ACK')), { kind: 'ack' });
  assert.deepEqual(readAck(Buffer.from('x+ACKy'), 1, 5), { kind: 'ack' });
  assert.deepEqual(readAck(Buffer.from('x-NAKy'), 1, 5), { kind: 'nak', delayNs: 0 });
  assert.deepEqual(parseAck(Buffer.from('-NAK')), { kind: 'nak', delayNs: 0 });
  assert.deepEqual(parseAck(Buffer.from('-NAK {"delay":5000000}')), { kind: 'nak', delayNs: 5000000 });
  assert.deepEqual(parseAck(Buffer.from('+WPI')), { kind: 'progress' });
  assert.deepEqual(parseAck(Buffer.from('+TERM gone')), { kind: 'term', reason: 'gone' });
  assert.deepEqual(parseAck(Buffer.from('+NXT {"batch":2}')), { kind: 'next', request: '{"batch":2}' });
});

test('RFC 3339 with nanoseconds, trailing zeros trimmed, as Go writes it', () => {
  assert.equal(rfc3339(0n), '0001-01-01T00:00:00Z');
  assert.equal(rfc3339(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
  assert.equal(rfc3339(1_700_000_000_100_000_000n), '2023-11-14T22:13:20.1Z');
  assert.equal(rfc3339(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
  assert.equal(parseTime('2023-11-14T22:13:20.123456789Z'), 1_700_000_000_123_456_789n);
});

test('pull requests: empty, a number, JSON, malformed', () => {
  assert.equal(parsePullRequest('r', Buffer.from(''), 0)?.batch, 1);
  assert.equal(parsePullRequest('r', Buffer.from('5'), 0)?.batch, 5);
  const j = parsePullRequest('r', Buffer.from('{"batch":3,"expires":2000000000,"no_wait":true,"max_bytes":10,"idle_heartbeat":500000000}'), 1000);
  assert.deepEqual(
    { batch: j?.batch, expiresAt: j?.expiresAt, noWait: j?.noWait, maxBytes: j?.maxBytes, hb: j?.heartbeatMs },
    { batch: 3, expiresAt: 3000, noWait: true, maxBytes: 10, hb: 500 },
  );
  assert.equal(parsePullRequest('r', Buffer.from('{nope'), 0), undefined);
});

test('internal client frame decoding: MSG and HMSG, with and without reply', async () => {
  const { decodeFrames } = await import('../../src/internal/internal-client.js');
  const buf = Buffer.from(
    'MSG a.b 1 5\r\nhello\r\nMSG c 2 _INBOX.x 0\r\n\r\nHMSG d 3 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nHMSG e 4 12 12\r\nNATS/1.0\r\n\r\n\r\n',
  );
  const seen: string[] = [];
  decodeFrames(buf, (sid, subject, reply, hdr, body) => {
    seen.push(`${sid}|${subject}|${reply}|${hdr?.length ?? '-'}|${body.toString()}`);
  });
  assert.deepEqual(seen, ['1|a.b||-|hello', '2|c|_INBOX.x|-|', '3|d|r|12|hi', '4|e||12|']);
});
