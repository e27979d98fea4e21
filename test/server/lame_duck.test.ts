// Lame duck mode (SIGUSR2): stop accepting, push INFO {"ldm":true}, close clients after the grace period.
// nats-server enforces lame_duck_duration >= 30s, so the tests never wait for the full duration.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { startServer, checkFor, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function protoOneClient(port: number): Promise<WireClient> {
  const c = await WireClient.connect(port);
  await c.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nPING\r\n');
  await c.expect('PONG\r\n');
  await c.expect(/^INFO \{[^\r\n]*\} ?\r\n/); // async INFO after the first PING
  return c;
}

describe('lame duck mode', { timeout: 60_000 }, () => {
  const servers: ServerHandle[] = [];
  const clients: WireClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop('SIGKILL');
  });

  test('SIGUSR2: INFO with "ldm":true pushed to clients, new connections refused, existing ones keep working', async () => {
    const s = await startServer({ config: 'lame_duck_duration: "30s"\nlame_duck_grace_period: "10s"\n' });
    servers.push(s);
    const c = await protoOneClient(s.port);
    clients.push(c);
    const c2 = await protoOneClient(s.port);
    clients.push(c2);

    process.kill(s.pid, 'SIGUSR2');
    for (const x of [c, c2]) {
      const m = await x.expect(/^INFO (\{[^\r\n]*\}) ?\r\n/, 5000);
      const info = JSON.parse(m[1]);
      assert.equal(info.ldm, true);
      assert.equal(info.server_id, x.info.server_id);
    }
    await checkFor(5000, 50, async () => !(await canConnect(s.port)));
    assert.match(s.stderr(), /\[INF\] Entering lame duck mode, stop accepting new clients/);

    // During the grace period existing clients still work.
    await c.send('SUB ldm 1\r\nPUB ldm 2\r\nok\r\nPING\r\n');
    await c.expect('MSG ldm 1 2\r\nok\r\nPONG\r\n');
    assert.equal(c.closed, false);

    // nats-server ignores SIGTERM while in lame duck mode; SIGINT shuts it down.
    assert.equal(await s.stop('SIGINT'), 0);
    await c.waitClosed(5000);
  });

  test('after the grace period the server closes its clients and exits 0 on its own', async () => {
    const s = await startServer({ config: 'lame_duck_duration: "30s"\nlame_duck_grace_period: "1s"\n' });
    servers.push(s);
    const c = await protoOneClient(s.port);
    clients.push(c);
    process.kill(s.pid, 'SIGUSR2');
    const m = await c.expect(/^INFO (\{[^\r\n]*\}) ?\r\n/, 5000);
    assert.equal(JSON.parse(m[1]).ldm, true);
    await c.waitClosed(10_000);
    const code = await Promise.race([s.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref())]);
    assert.equal(code, 0);
  });

  test('SIGUSR2 with no clients connected: the server shuts down right away, exit 0', async () => {
    const s = await startServer({ config: 'lame_duck_duration: "30s"\nlame_duck_grace_period: "10s"\n' });
    servers.push(s);
    process.kill(s.pid, 'SIGUSR2');
    const code = await Promise.race([s.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8000).unref())]);
    assert.equal(code, 0);
  });
});
