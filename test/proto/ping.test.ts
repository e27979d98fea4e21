// Server-initiated PINGs and the stale-connection check (ping_interval / ping_max from config).
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

describe('server PINGs and stale connections', { timeout: 60_000 }, () => {
  let srv1: ServerHandle;
  let srv2: ServerHandle;
  const clients: WireClient[] = [];

  before(async () => {
    srv1 = await startServer({ config: 'ping_interval: "1s"\nping_max: 1\n' });
    srv2 = await startServer({ config: 'ping_interval: "1s"\nping_max: 2\n' });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv1?.stop();
    await srv2?.stop();
  });

  test("ping_max 1: one unanswered PING, then -ERR 'Stale Connection' and close", async () => {
    const c = await WireClient.connect(srv1.port, { ignoreServerPings: false });
    clients.push(c);
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\n');
    await c.expect('PING\r\n', 5000);
    await c.expect("-ERR 'Stale Connection'\r\n", 5000);
    await c.waitClosed(2000);
    assert.equal(c.pending(), '');
  });

  test("ping_max 2: two unanswered PINGs, then -ERR 'Stale Connection' and close", async () => {
    const c = await WireClient.connect(srv2.port, { ignoreServerPings: false });
    clients.push(c);
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\n');
    await c.expect('PING\r\n', 5000);
    await c.expect('PING\r\n', 5000);
    await c.expectThenClosed("-ERR 'Stale Connection'\r\n", 5000);
  });

  test('the stale check applies even before CONNECT', async () => {
    const c = await WireClient.connect(srv1.port, { ignoreServerPings: false });
    clients.push(c);
    await c.expect('PING\r\n', 5000);
    await c.expectThenClosed("-ERR 'Stale Connection'\r\n", 5000);
  });

  test('a client that answers PINGs with PONG stays connected', async () => {
    const c = await WireClient.connect(srv1.port, { ignoreServerPings: false });
    clients.push(c);
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\n');
    for (let i = 0; i < 3; i++) {
      await c.expect('PING\r\n', 5000);
      await c.send('PONG\r\n');
    }
    assert.equal(c.closed, false);
    await c.pingPong();
    assert.equal(c.closed, false);
  });
});
