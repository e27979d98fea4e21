// Limits set in a config file: max_subscriptions, max_connections, max_payload, max_control_line.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, checkFor, type ServerHandle } from '../helpers/server.js';
import { WireClient, msg } from '../helpers/wire.js';

const CONNECT = 'CONNECT {"verbose":false,"pedantic":false}\r\n';

describe('configured limits', { timeout: 60_000 }, () => {
  let limits: ServerHandle;
  let conns: ServerHandle;
  const clients: WireClient[] = [];
  const track = (c: WireClient) => {
    clients.push(c);
    return c;
  };

  before(async () => {
    limits = await startServer({ config: 'max_subscriptions: 2\nmax_payload: 100\nmax_control_line: 64\n' });
    conns = await startServer({ config: 'max_connections: 2\n' });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    for (const c of clients) c.close();
    await limits?.stop();
    await conns?.stop();
  });

  describe('max_subscriptions', { timeout: 60_000 }, () => {
    test("SUB beyond the limit: -ERR 'maximum subscriptions exceeded', connection stays", async () => {
      const c = track(await WireClient.connect(limits.port));
      await c.send(CONNECT + 'SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n');
      await c.expect("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
      assert.equal(c.closed, false);
      // Existing subscriptions keep working; the rejected one does not exist.
      await c.send('PUB a 1\r\nx\r\nPUB b 1\r\ny\r\nPUB c 1\r\nz\r\nPING\r\n');
      await c.expect(msg('a', 1, 'x') + msg('b', 2, 'y') + 'PONG\r\n');
      // Still at the limit.
      await c.send('SUB d 4\r\nPING\r\n');
      await c.expect("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
      // After an UNSUB there is room again.
      await c.send('UNSUB 1\r\nSUB e 5\r\nPUB e 1\r\nw\r\nPING\r\n');
      await c.expect(msg('e', 5, 'w') + 'PONG\r\n');
    });

    test('the limit is per connection', async () => {
      const c1 = track(await WireClient.connect(limits.port));
      const c2 = track(await WireClient.connect(limits.port));
      await c1.send(CONNECT + 'SUB a 1\r\nSUB b 2\r\nPING\r\n');
      await c1.expect('PONG\r\n');
      await c2.send(CONNECT + 'SUB a 1\r\nSUB b 2\r\nPING\r\n');
      await c2.expect('PONG\r\n');
    });

    test('verbose: +OK for accepted SUBs, only -ERR for the rejected one', async () => {
      const c = track(await WireClient.connect(limits.port));
      await c.send('CONNECT {"verbose":true,"pedantic":false}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n');
      await c.expect("+OK\r\n+OK\r\n+OK\r\n-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    });

    test('re-SUB of an existing sid at the limit is still rejected', async () => {
      const c = track(await WireClient.connect(limits.port));
      await c.send(CONNECT + 'SUB a 1\r\nSUB b 2\r\nSUB a 1\r\nPING\r\n');
      await c.expect("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    });
  });

  describe('max_payload', { timeout: 60_000 }, () => {
    test('INFO advertises the configured max_payload', async () => {
      const c = track(await WireClient.connect(limits.port));
      assert.equal(c.info.max_payload, 100);
    });

    test('PUB of exactly max_payload is accepted', async () => {
      const c = track(await WireClient.connect(limits.port));
      const p = 'x'.repeat(100);
      await c.send(CONNECT + `SUB f 1\r\nPUB f 100\r\n${p}\r\nPING\r\n`);
      await c.expect(msg('f', 1, p) + 'PONG\r\n');
    });

    test("PUB of max_payload+1: -ERR 'Maximum Payload Violation', closed", async () => {
      const c = track(await WireClient.connect(limits.port));
      await c.send(CONNECT + 'PUB f 101\r\n');
      await c.expectThenClosed("-ERR 'Maximum Payload Violation'\r\n");
    });

    test('HPUB total size (headers + payload) over max_payload', async () => {
      const c = track(await WireClient.connect(limits.port));
      await c.send('CONNECT {"verbose":false,"headers":true}\r\nHPUB f 12 101\r\n');
      await c.expectThenClosed("-ERR 'Maximum Payload Violation'\r\n");
    });
  });

  describe('max_control_line', { timeout: 60_000 }, () => {
    test('a control line argument of exactly max_control_line bytes is accepted', async () => {
      const c = track(await WireClient.connect(limits.port));
      const subject = 'a'.repeat(64 - 2); // "<subject> 1"
      await c.send(CONNECT + `PUB ${subject} 1\r\nx\r\nPING\r\n`);
      await c.expect('PONG\r\n');
    });

    test("one byte more: -ERR 'maximum control line exceeded', closed", async () => {
      const c = track(await WireClient.connect(limits.port));
      const subject = 'a'.repeat(64 - 1);
      await c.send(CONNECT + `PUB ${subject} 1\r\nx\r\n`);
      await c.expectThenClosed("-ERR 'maximum control line exceeded'\r\n");
    });
  });

  describe('max_connections', { timeout: 60_000 }, () => {
    test("connection beyond the limit gets INFO, then -ERR 'maximum connections exceeded', then close", async () => {
      const a = track(await WireClient.connectAndHandshake(conns.port));
      const b = track(await WireClient.connectAndHandshake(conns.port));
      const c = track(await WireClient.connect(conns.port, { readInfo: false }));
      await c.expect(/^INFO \{[^\r\n]*\} ?\r\n/);
      await c.expectThenClosed("-ERR 'maximum connections exceeded'\r\n");
      // The existing connections are unaffected.
      await a.pingPong();
      await b.pingPong();
      // Once one leaves, a new connection is accepted (the server notices the close asynchronously).
      a.close();
      const d = await checkFor(5000, 50, async () => {
        const x = track(await WireClient.connect(conns.port));
        await x.send(CONNECT + 'PING\r\n');
        try {
          await x.expect('PONG\r\n', 1000);
          return x;
        } catch {
          x.close();
          return null;
        }
      });
      await d.pingPong();
      b.close();
      d.close();
    });
  });
});
