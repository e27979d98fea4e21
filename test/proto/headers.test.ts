// HPUB / HMSG on the raw wire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useWireServer, hpub, hmsg, msg } from '../helpers/wire.js';

describe('headers (HPUB/HMSG)', { timeout: 60_000 }, () => {
  const server = useWireServer();
  const open = (connectOpts: Record<string, unknown> = { headers: true }) => server.handshake(connectOpts);

  test('HMSG exact format without reply: "HMSG <subject> <sid> <hdr_len> <total_len>"', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nHPUB foo 20 25\r\nNATS/1.0\r\nA: one\r\n\r\nhello\r\nPING\r\n');
    await c.expect('HMSG foo 1 20 25\r\nNATS/1.0\r\nA: one\r\n\r\nhello\r\nPONG\r\n');
  });

  test('HMSG exact format with reply', async () => {
    const c = await open();
    await c.send('SUB foo 5\r\nHPUB foo my.reply 20 25\r\nNATS/1.0\r\nA: one\r\n\r\nhello\r\nPING\r\n');
    await c.expect('HMSG foo 5 my.reply 20 25\r\nNATS/1.0\r\nA: one\r\n\r\nhello\r\nPONG\r\n');
  });

  test('minimal header block and empty payload', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\nPING\r\n');
    await c.expect('HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\nPONG\r\n');
  });

  test('header block is passed through byte-exact (case, repeated keys, status line, spacing)', async () => {
    const c = await open();
    const hdr = 'NATS/1.0 200 Custom\r\nX-Key: v1\r\nx-key: V2\r\nX-Key:   spaced  \r\nmixed-Case-Key: a:b:c\r\n\r\n';
    await c.send('SUB h.> 3\r\n' + hpub('h.x', hdr, 'payload\r\nwith crlf', 'rep') + 'PING\r\n');
    await c.expect(hmsg('h.x', 3, hdr, 'payload\r\nwith crlf', 'rep') + 'PONG\r\n');
  });

  test('HPUB is delivered as HMSG to another headers-enabled connection', async () => {
    const sub = await open();
    const p = await open();
    await sub.send('SUB x 1\r\n');
    await sub.pingPong();
    const hdr = 'NATS/1.0\r\nK: v\r\n\r\n';
    await p.send(hpub('x', hdr, 'data'));
    await p.pingPong();
    await sub.expect(hmsg('x', 1, hdr, 'data'));
    await sub.pingPong();
  });

  test('a plain PUB is delivered as MSG to a headers-enabled subscriber', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n');
    await c.expect(msg('foo', 1, 'hi') + 'PONG\r\n');
  });

  test('HPUB delivered to a subscriber without headers support: MSG with the headers stripped', async () => {
    const noHdr = await open({ headers: false });
    const p = await open();
    await noHdr.send('SUB x 1\r\n');
    await noHdr.pingPong();
    await p.send(hpub('x', 'NATS/1.0\r\nK: v\r\n\r\n', 'data', 'r'));
    await p.pingPong();
    await noHdr.expect(msg('x', 1, 'data', 'r'));
    await noHdr.pingPong();
  });

  test('queue group delivery with headers', async () => {
    const c = await open();
    const hdr = 'NATS/1.0\r\nA: b\r\n\r\n';
    await c.send('SUB q.h grp 9\r\n' + hpub('q.h', hdr, 'x') + 'PING\r\n');
    await c.expect(hmsg('q.h', 9, hdr, 'x') + 'PONG\r\n');
  });

  test('HPUB header size bytes count toward max_payload (total size checked)', async () => {
    const c = await server.raw();
    await c.send('CONNECT {"verbose":false,"headers":true}\r\nHPUB foo 1048577 1048577\r\n');
    await c.expectThenClosed("-ERR 'Maximum Payload Violation'\r\n");
    assert.equal(c.closed, true);
  });
});
