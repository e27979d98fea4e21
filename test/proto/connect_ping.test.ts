// CONNECT / PING / PONG, verbose (+OK) and pedantic modes, op case-insensitivity and argument whitespace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useWireServer, msg } from '../helpers/wire.js';

describe('CONNECT and PING', { timeout: 60_000 }, () => {
  const server = useWireServer();
  const open = () => server.raw();

  test('CONNECT then PING gets exactly PONG', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":false,"pedantic":false,"lang":"test","version":"0.0.1","name":"t"}\r\nPING\r\n');
    await c.expect('PONG\r\n');
    await c.pingPong();
    assert.equal(c.pending(), '');
    assert.equal(c.closed, false);
  });

  test('PING before CONNECT gets PONG (no auth configured), connection stays', async () => {
    const c = await open();
    await c.send('PING\r\n');
    await c.expect('PONG\r\n');
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\n');
    await c.pingPong();
    assert.equal(c.closed, false);
  });

  test('SUB and PUB before CONNECT work (no auth); defaults are verbose+pedantic', async () => {
    const c = await open();
    await c.send('SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n');
    await c.expect('+OK\r\n+OK\r\n' + msg('foo', 1, 'hi') + 'PONG\r\n');
  });

  test('PING terminated by a bare LF is accepted', async () => {
    const c = await open();
    await c.send('PING\n');
    await c.expect('PONG\r\n');
  });

  test('PONG from the client is accepted silently', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\nPONG\r\nPING\r\n');
    await c.expect('PONG\r\n');
    assert.equal(c.pending(), '');
  });

  test('+OK and INFO from the client are accepted silently', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\n+OK\r\nINFO {}\r\nPING\r\n');
    await c.expect('PONG\r\n');
  });

  test('unknown CONNECT fields are ignored', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":false,"pedantic":false,"some_future_field":{"a":[1,2]}}\r\nPING\r\n');
    await c.expect('PONG\r\n');
  });

  test('a second CONNECT updates the options', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":true,"pedantic":false}\r\nCONNECT {"verbose":false}\r\nSUB foo 1\r\nPING\r\n');
    await c.expect('+OK\r\nPONG\r\n');
  });

  describe('verbose', { timeout: 60_000 }, () => {
    test('CONNECT {} defaults to verbose: +OK for the CONNECT itself', async () => {
      const c = await open();
      await c.send('CONNECT {}\r\nPING\r\n');
      await c.expect('+OK\r\nPONG\r\n');
    });

    test('+OK after CONNECT, SUB, PUB (before the MSG), UNSUB; not after PING', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":true,"pedantic":false}\r\n');
      await c.expect('+OK\r\n');
      await c.send('SUB foo 1\r\n');
      await c.expect('+OK\r\n');
      await c.send('PUB foo 2\r\nhi\r\n');
      await c.expect('+OK\r\n' + msg('foo', 1, 'hi'));
      await c.send('PUB foo reply 0\r\n\r\n');
      await c.expect('+OK\r\n' + msg('foo', 1, '', 'reply'));
      await c.send('UNSUB 1\r\n');
      await c.expect('+OK\r\n');
      await c.send('PING\r\n');
      await c.expect('PONG\r\n');
      await c.send('PONG\r\nPING\r\n');
      await c.expect('PONG\r\n');
      assert.equal(c.pending(), '');
    });

    test('+OK after UNSUB of an unknown sid', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":true,"pedantic":false}\r\nUNSUB 99\r\nPING\r\n');
      await c.expect('+OK\r\n+OK\r\nPONG\r\n');
    });

    test('+OK after HPUB', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":true,"pedantic":false,"headers":true}\r\nSUB foo 1\r\n');
      await c.expect('+OK\r\n+OK\r\n');
      await c.send('HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n');
      await c.expect('+OK\r\nHMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPONG\r\n');
    });

    test('no +OK for a SUB that fails (invalid subject)', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":true,"pedantic":false}\r\nSUB foo..bar 1\r\nPING\r\n');
      await c.expect("+OK\r\n-ERR 'Invalid Subject'\r\nPONG\r\n");
    });

    test('verbose:false sends no +OK', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":false,"pedantic":false}\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\nUNSUB 1\r\nPING\r\n');
      await c.expect(msg('foo', 1, 'x') + 'PONG\r\n');
    });
  });

  describe('pedantic', { timeout: 60_000 }, () => {
    test('PUB to a wildcard subject: -ERR Invalid Publish Subject, connection kept, message still routed', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":false,"pedantic":true}\r\nSUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\nPING\r\n');
      await c.expect("-ERR 'Invalid Publish Subject'\r\n" + msg('foo.*', 1, 'hi') + 'PONG\r\n');
      assert.equal(c.closed, false);
    });

    test('each invalid publish subject gets its own -ERR', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":false,"pedantic":true}\r\n');
      await c.send('PUB foo..bar 0\r\n\r\nPUB foo.> 0\r\n\r\nPUB .foo 0\r\n\r\nPUB foo. 0\r\n\r\nPUB > 0\r\n\r\nPING\r\n');
      await c.expect("-ERR 'Invalid Publish Subject'\r\n".repeat(5) + 'PONG\r\n');
    });

    test('valid literal subjects are accepted silently', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":false,"pedantic":true}\r\nPUB foo.bar 2\r\nhi\r\nPUB a.b.c.d 0\r\n\r\nPUB $SYS_NOT.x-y_z 0\r\n\r\nPING\r\n');
      await c.expect('PONG\r\n');
    });

    test('pedantic+verbose: -ERR then +OK for an invalid publish subject', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":true,"pedantic":true}\r\nPUB foo.* 2\r\nhi\r\nPING\r\n');
      await c.expect("+OK\r\n-ERR 'Invalid Publish Subject'\r\n+OK\r\nPONG\r\n");
    });

    test('pedantic is on when CONNECT omits it', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":false}\r\nPUB foo.* 2\r\nhi\r\nPING\r\n');
      await c.expect("-ERR 'Invalid Publish Subject'\r\nPONG\r\n");
    });

    test('pedantic:false: no error for a wildcard publish subject', async () => {
      const c = await open();
      await c.send('CONNECT {"verbose":false,"pedantic":false}\r\nPUB foo.* 2\r\nhi\r\nPING\r\n');
      await c.expect('PONG\r\n');
    });
  });

  describe('op case and whitespace', { timeout: 60_000 }, () => {
    test('lowercase ops: connect, sub, pub, ping, unsub', async () => {
      const c = await open();
      await c.send('connect {"verbose":false,"pedantic":false}\r\nsub foo 1\r\npub foo 2\r\nhi\r\nunsub 1\r\npub foo 2\r\nhi\r\nping\r\n');
      await c.expect(msg('foo', 1, 'hi') + 'PONG\r\n');
    });

    test('mixed-case ops: CoNnEcT, SuB, PuB, HpUb, PiNg, pOnG, UnSuB', async () => {
      const c = await open();
      await c.send('CoNnEcT {"verbose":false,"pedantic":false,"headers":true}\r\nSuB foo 1\r\nPuB foo 1\r\na\r\n');
      await c.send('HpUb foo 12 13\r\nNATS/1.0\r\n\r\nb\r\npOnG\r\nUnSuB 1\r\nPuB foo 1\r\nc\r\nPiNg\r\n');
      await c.expect(msg('foo', 1, 'a') + 'HMSG foo 1 12 13\r\nNATS/1.0\r\n\r\nb\r\nPONG\r\n');
    });

    test('tabs and multiple spaces between arguments', async () => {
      const c = await open();
      await c.send('CONNECT\t{"verbose":false,"pedantic":false,"headers":true}\r\n');
      await c.send('SUB\tfoo \t q   1\r\n');
      await c.send('SUB  \t bar\t\t2\r\n');
      await c.send('PUB  foo\t\t rep   2\r\nhi\r\n');
      await c.send('PUB\tbar\t0\r\n\r\n');
      await c.send('HPUB \t bar  \t 12\t14\r\nNATS/1.0\r\n\r\nhi\r\n');
      await c.send('UNSUB \t 2\r\nPUB bar 1\r\nx\r\nPING\r\n');
      await c.expect(msg('foo', 1, 'hi', 'rep') + msg('bar', 2, '') + 'HMSG bar 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPONG\r\n');
    });
  });
});
