// Split writes: protocol messages arriving in arbitrary pieces must parse exactly as if whole.
import { describe, test } from 'node:test';
import { useWireServer, msg, pub } from '../helpers/wire.js';

describe('split writes', { timeout: 60_000 }, () => {
  const server = useWireServer();
  const open = () => server.handshake({ headers: true });

  test('CONNECT, SUB, PUB and PING sent one byte at a time', async () => {
    const c = await server.raw();
    const t = 'CONNECT {"verbose":false,"pedantic":false}\r\nSUB foo 1\r\nPUB foo reply 5\r\nhello\r\nPING\r\n';
    await c.sendSplit([...t], 1);
    await c.expect('MSG foo 1 reply 5\r\nhello\r\nPONG\r\n');
  });

  test('HPUB sent one byte at a time', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\n');
    const t = 'HPUB foo 18 23\r\nNATS/1.0\r\nA: b\r\n\r\nhello\r\nPING\r\n';
    await c.sendSplit([...t], 1);
    await c.expect('HMSG foo 1 18 23\r\nNATS/1.0\r\nA: b\r\n\r\nhello\r\nPONG\r\n');
  });

  test('a short transcript split into two writes at every offset', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\n');
    await c.pingPong();
    const t = 'PUB foo r 5\r\nhello\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nSUB bar 2\r\nPUB bar 0\r\n\r\nUNSUB 2\r\nPING\r\n';
    const e = 'MSG foo 1 r 5\r\nhello\r\nHMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\nMSG bar 2 0\r\n\r\nPONG\r\n';
    for (let k = 1; k < t.length; k++) {
      await c.sendSplit([t.slice(0, k), t.slice(k)], 2);
      try {
        await c.expect(e);
      } catch (err) {
        (err as Error).message = `split at offset ${k} (${JSON.stringify(t.slice(0, k))} | ...): ${(err as Error).message}`;
        throw err;
      }
    }
  });

  test('three-way splits around the payload boundaries', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\n');
    await c.pingPong();
    const t = 'PUB foo 10\r\n0123456789\r\nPING\r\n';
    const e = msg('foo', 1, '0123456789') + 'PONG\r\n';
    const payloadStart = t.indexOf('0123');
    for (let a = 1; a < payloadStart + 3; a++) {
      for (let b = Math.max(a + 1, payloadStart - 2); b < t.length && b < payloadStart + 14; b++) {
        await c.sendSplit([t.slice(0, a), t.slice(a, b), t.slice(b)], 1);
        await c.expect(e);
      }
    }
  });

  test('a 200 KB payload written in 50 pieces', async () => {
    const c = await open();
    await c.send('SUB big 1\r\n');
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = 0x41 + (i % 26);
    const all = Buffer.concat([Buffer.from(`PUB big ${payload.length}\r\n`), payload, Buffer.from('\r\nPING\r\n')]);
    const pieces: Buffer[] = [];
    const step = Math.ceil(all.length / 50);
    for (let i = 0; i < all.length; i += step) pieces.push(all.subarray(i, i + step));
    await c.sendSplit(pieces, 1);
    await c.expect(`MSG big 1 ${payload.length}\r\n`, 10_000);
    await c.expect(payload.toString('latin1') + '\r\nPONG\r\n', 10_000);
  });

  test('many messages pipelined in one write arrive complete and in order', async () => {
    const c = await open();
    const N = 2000;
    let t = 'SUB p 1\r\n';
    let e = '';
    for (let i = 0; i < N; i++) {
      t += pub('p', `${i}`);
      e += msg('p', 1, `${i}`);
    }
    await c.send(t + 'PING\r\n');
    await c.expect(e + 'PONG\r\n', 10_000);
  });
});
