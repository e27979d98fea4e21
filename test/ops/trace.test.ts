// Protocol tracing (-V): nats-server's [TRC] lines for each client op, compared line by line (after the
// pid, time, port and cid, which differ between runs) with what nats-server prints for the same traffic.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFor, useWireServerOnce } from './trace-helpers.js';
import { WireClient } from '../helpers/wire.js';

const CONNECT = {
  verbose: false,
  pedantic: false,
  user: 'a',
  pass: 'secret',
  auth_token: 'tok',
  name: 'me',
  lang: 'go',
  version: '1.2.3',
  protocol: 1,
  headers: true,
};
const LABELS = '"v1.2.3:go:me" - "$G/user:a" - ';

describe('protocol trace (-V)', { timeout: 60_000 }, () => {
  const server = useWireServerOnce({ args: ['-V', '--max_traced_msg_len', '4'] });

  test('CONNECT (secrets redacted), PING/PONG, SUB, PUB/HPUB with payloads, MSG/HMSG, UNSUB/DELSUB, -ERR', async () => {
    const s = server();
    const c = await WireClient.connect(s.port);
    const cid = Number(c.info.client_id);
    await c.send(
      `CONNECT ${JSON.stringify(CONNECT)}\r\nPING\r\nSUB foo  1\r\nSUB bar q 2\r\nPUB foo 5\r\nhello\r\nPUB foo r 2\r\nhi\r\n` +
        'HPUB foo 12 17\r\nNATS/1.0\r\n\r\nhello\r\nPUB foo 0\r\n\r\nUNSUB 1\r\nUNSUB 2 5\r\nSUB foo.. 9\r\nPING\r\n',
    );
    await c.expect('PONG\r\n');
    await c.expect(/PONG\r\n$/);
    await c.send('BOGUS\r\n');
    await c.waitClosed();
    const want = [
      '<<- [CONNECT {"verbose":false,"pedantic":false,"user":"a","pass":"[REDACTED]","auth_token":"[REDACTED]","name":"me","lang":"go","version":"1.2.3","protocol":1,"headers":true}]',
      `${LABELS}<<- [PING]`,
      `${LABELS}->> [PONG]`,
      `${LABELS}<<- [SUB foo  1]`,
      `${LABELS}<<- [SUB bar q 2]`,
      `${LABELS}<<- [PUB foo 5]`,
      `${LABELS}<<- MSG_PAYLOAD: ["hell..."]`,
      `${LABELS}->> [MSG foo 1 5]`,
      `${LABELS}->> MSG_PAYLOAD: ["hell..."]`,
      `${LABELS}<<- [PUB foo r 2]`,
      `${LABELS}<<- MSG_PAYLOAD: ["hi"]`,
      `${LABELS}->> [MSG foo 1 r 2]`,
      `${LABELS}->> MSG_PAYLOAD: ["hi"]`,
      `${LABELS}<<- [HPUB foo 12 17]`,
      `${LABELS}<<- MSG_PAYLOAD: ["NATS..."]`,
      `${LABELS}->> [HMSG foo 1 12 17]`,
      `${LABELS}->> MSG_PAYLOAD: ["NATS..."]`,
      `${LABELS}<<- [PUB foo 0]`,
      `${LABELS}->> [MSG foo 1 0]`,
      `${LABELS}<<- [UNSUB 1]`,
      `${LABELS}<-> [DELSUB 1]`,
      `${LABELS}<<- [UNSUB 2 5]`,
      `${LABELS}<<- [SUB foo.. 9]`,
      `${LABELS}->> [-ERR Invalid Subject]`,
      `${LABELS}<<- [PING]`,
      `${LABELS}->> [PONG]`,
      `${LABELS}->> [-ERR Unknown Protocol Operation]`,
      `${LABELS}<-> [DELSUB 2]`,
    ];
    const got = await checkFor(5000, 20, () => {
      const lines = traceLines(s.stderr(), s.pid, cid);
      return lines.length >= want.length ? lines : undefined;
    });
    assert.deepEqual(got, want);
  });

  test('a delivery is traced on the subscriber; +OK; payloads quoted like Go\'s %q and cut', async () => {
    const s = server();
    const sub = await WireClient.connect(s.port);
    await sub.send(`CONNECT ${JSON.stringify({ name: 'sub', verbose: true })}\r\nSUB q.> 7\r\nPING\r\n`);
    await sub.expect('+OK\r\n+OK\r\nPONG\r\n');
    const pub = await WireClient.connectAndHandshake(s.port, {});
    const payload = 'a"b\\\t\x01z';
    await pub.send(`PUB q.x ${Buffer.byteLength(payload)}\r\n${payload}\r\nPING\r\n`);
    await pub.expect('PONG\r\n');
    await sub.expect(/^MSG q\.x 7 \d+\r\n[\s\S]*?\r\n/);
    const subCid = Number(sub.info.client_id);
    const pubCid = Number(pub.info.client_id);
    const got = await checkFor(5000, 20, () => {
      const lines = traceLines(s.stderr(), s.pid, subCid);
      return lines.some((l) => l.includes('->> MSG_PAYLOAD')) ? lines : undefined;
    });
    const subLabel = '"sub" - ';
    assert.ok(got.includes(`${subLabel}->> [OK]`), got.join('\n'));
    assert.ok(got.includes(`${subLabel}->> [MSG q.x 7 7]`), got.join('\n'));
    // max_traced_msg_len 4 cuts it: Go's %q of the first 4 bytes.
    assert.ok(got.includes(`${subLabel}->> MSG_PAYLOAD: ["a\\"b\\\\..."]`), got.join('\n'));
    const pubLines = traceLines(s.stderr(), s.pid, pubCid);
    assert.ok(pubLines.includes('<<- [PUB q.x 7]'), pubLines.join('\n'));
    sub.close();
    pub.close();
  });
});

/** The text after `<ip>:<port> - cid:<cid> - ` of every [TRC] line for client `cid`. */
function traceLines(log: string, pid: number, cid: number): string[] {
  const re = new RegExp(
    `^\\[${pid}\\] \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} \\[TRC\\] 127\\.0\\.0\\.1:\\d+ - cid:${cid} - (.*)$`,
    'gm',
  );
  return [...log.matchAll(re)].map((m) => m[1]);
}

describe('protocol trace with trace_headers', { timeout: 60_000 }, () => {
  const server = useWireServerOnce({ config: 'trace_headers: true\n' });

  test('payload lines show the header block only, and nothing for a message without headers', async () => {
    const s = server();
    const c = await WireClient.connect(s.port);
    const cid = Number(c.info.client_id);
    const hdr = 'NATS/1.0\r\nA: b\r\n\r\n';
    await c.send(
      `CONNECT {"headers":true,"verbose":false}\r\nHPUB h ${hdr.length} ${hdr.length + 5}\r\n${hdr}hello\r\nPUB p 5\r\nhello\r\nPING\r\n`,
    );
    await c.expect('PONG\r\n');
    const want = [
      '<<- [CONNECT {"headers":true,"verbose":false}]',
      `<<- [HPUB h ${hdr.length} ${hdr.length + 5}]`,
      '<<- MSG_PAYLOAD: ["NATS/1.0\\r\\nA: b"]',
      '<<- [PUB p 5]',
      '<<- [PING]',
      '->> [PONG]',
    ];
    const got = await checkFor(5000, 20, () => {
      const lines = traceLines(s.stderr(), s.pid, cid);
      return lines.length >= want.length ? lines : undefined;
    });
    assert.deepEqual(got, want);
    c.close();
  });
});

describe('protocol trace with accounts', { timeout: 60_000 }, () => {
  const server = useWireServerOnce({ args: ['-V'], config: 'accounts { A { users: [{ user: a, password: s }] } }\n' });

  test('the prefix names the account and user once authenticated; a failed re-CONNECT is traced', async () => {
    const s = server();
    const c = await WireClient.connect(s.port);
    const cid = Number(c.info.client_id);
    await c.send('CONNECT {"verbose":false,"user":"a","pass":"s","name":"n"}\r\nSUB x 1\r\nPUB x 2\r\nhi\r\nPING\r\n');
    await c.expect(/PONG\r\n$/);
    await c.send('CONNECT {"verbose":false,"user":"a","pass":"bad"}\r\n');
    await c.waitClosed();
    const l = '"n" - "A/user:a" - ';
    const want = [
      '<<- [CONNECT {"verbose":false,"user":"a","pass":"[REDACTED]","name":"n"}]',
      `${l}<<- [SUB x 1]`,
      `${l}<<- [PUB x 2]`,
      `${l}<<- MSG_PAYLOAD: ["hi"]`,
      `${l}->> [MSG x 1 2]`,
      `${l}->> MSG_PAYLOAD: ["hi"]`,
      `${l}<<- [PING]`,
      `${l}->> [PONG]`,
      `${l}<<- [CONNECT {"verbose":false,"user":"a","pass":"[REDACTED]"}]`,
      `${l}<-> [DELSUB 1]`,
      `${l}->> [-ERR Authorization Violation]`,
    ];
    const got = await checkFor(5000, 20, () => {
      const lines = traceLines(s.stderr(), s.pid, cid);
      return lines.length >= want.length ? lines : undefined;
    });
    assert.deepEqual(got, want);
  });
});

describe('protocol trace with -DV', { timeout: 60_000 }, () => {
  const server = useWireServerOnce({ args: ['-DV'] });

  test('a client that leaves: the close line, then its subscriptions\' DELSUB lines', async () => {
    const s = server();
    const c = await WireClient.connect(s.port);
    const cid = Number(c.info.client_id);
    await c.send('CONNECT {"verbose":false}\r\nSUB a 1\r\nPING\r\n');
    await c.expect(/PONG\r\n$/);
    c.close();
    const re = new RegExp(`^\\[${s.pid}\\] \\S+ \\S+ \\[(DBG|TRC)\\] 127\\.0\\.0\\.1:\\d+ - cid:${cid} - (.*)$`, 'gm');
    const want = [
      'DBG Client connection created',
      'TRC <<- [CONNECT {"verbose":false}]',
      'TRC <<- [SUB a 1]',
      'TRC <<- [PING]',
      'TRC ->> [PONG]',
      'DBG Client connection closed: Client Closed',
      'TRC <-> [DELSUB 1]',
    ];
    const got = await checkFor(5000, 20, () => {
      const lines = [...s.stderr().matchAll(re)].map((m) => `${m[1]} ${m[2]}`);
      return lines.length >= want.length ? lines : undefined;
    });
    assert.deepEqual(got, want);
  });
});
