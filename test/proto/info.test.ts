// INFO on connect, and the async INFO the server pushes after the first PING of a protocol>=1 client.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

describe('INFO', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let named: ServerHandle;
  const clients: WireClient[] = [];
  const open = async (port?: number) => {
    const c = await WireClient.connect(port ?? srv.port);
    clients.push(c);
    return c;
  };

  before(async () => {
    srv = await startServer();
    named = await startServer({ args: ['--server_name', 'myelin-test-name'] });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv?.stop();
    await named?.stop();
  });

  test('INFO is the first thing sent, on one line: "INFO {json} \\r\\n"', async () => {
    const c = await open();
    // nats-server writes "INFO " + json + " " + CRLF (note the space before CRLF).
    assert.match(c.infoLine, /^INFO \{[^\r\n]*\} \r\n$/);
  });

  test('INFO fields', async () => {
    const c = await open();
    const i = c.info;
    assert.equal(typeof i.server_id, 'string');
    assert.equal(i.server_id.length, 56);
    assert.match(i.server_id, /^N[A-Z0-9]{55}$/);
    assert.equal(typeof i.server_name, 'string');
    assert.ok(i.server_name.length > 0);
    // Without a configured name, server_name defaults to the server id.
    assert.equal(i.server_name, i.server_id);
    assert.match(i.version, /^\d+\.\d+\.\d+$/);
    assert.equal(i.proto, 1);
    assert.equal(i.host, '127.0.0.1');
    assert.equal(i.port, srv.port);
    assert.equal(i.headers, true);
    assert.equal(i.max_payload, 1048576);
    assert.equal(typeof i.client_id, 'number');
    assert.ok(Number.isInteger(i.client_id) && i.client_id > 0, `client_id ${i.client_id}`);
    assert.equal(i.client_ip, '127.0.0.1');
    // No auth configured.
    assert.ok(!i.auth_required, 'auth_required must be absent/false');
    assert.ok(!i.tls_required, 'tls_required must be absent/false');
    assert.ok(!i.ldm, 'ldm must be absent/false');
  });

  test('client_id is unique per connection; server_id is stable', async () => {
    const cs = [];
    for (let i = 0; i < 5; i++) cs.push(await open());
    const ids = cs.map((c) => c.info.client_id);
    assert.equal(new Set(ids).size, ids.length, `ids ${ids.join(',')}`);
    for (const c of cs) assert.equal(c.info.server_id, cs[0].info.server_id);
  });

  test('--server_name sets server_name (server_id still a fresh N... id)', async () => {
    const c = await open(named.port);
    assert.equal(c.info.server_name, 'myelin-test-name');
    assert.match(c.info.server_id, /^N[A-Z0-9]{55}$/);
    assert.equal(c.info.port, named.port);
  });

  test('protocol 1 client: first PING gets PONG then an async INFO with connect_info:true', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nPING\r\n');
    await c.expect('PONG\r\n');
    const m = await c.expect(/^INFO (\{[^\r\n]*\}) ?\r\n/);
    const info = JSON.parse(m[1]);
    assert.equal(info.connect_info, true);
    assert.equal(info.server_id, c.info.server_id);
    assert.equal(info.client_id, c.info.client_id);
    // Only the first PING triggers it.
    await c.pingPong();
    await c.pingPong();
    assert.equal(c.pending(), '');
  });

  test('protocol 0 client (default): PING gets only PONG', async () => {
    const c = await open();
    await c.send('CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n');
    await c.expect('PONG\r\n');
    await c.pingPong();
    assert.equal(c.pending(), '');
  });

  test('PING before CONNECT gets only PONG (no async INFO)', async () => {
    const c = await open();
    await c.pingPong();
    await c.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n');
    // First PING after CONNECT still triggers the async INFO.
    await c.send('PING\r\n');
    await c.expect('PONG\r\n');
    await c.expect(/^INFO \{[^\r\n]*"connect_info":true[^\r\n]*\} ?\r\n/);
  });
});
