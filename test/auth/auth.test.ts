// Authentication and permissions, end to end: the official client and raw sockets against a server started
// with an authorization block. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

const CONFIG = `
authorization {
  users: [
    { user: alice, password: secret, permissions: { publish: { allow: ["ok.>", "_INBOX.>"] }, subscribe: { deny: ["secret.>"] } } }
    { user: bob, password: "$2a$11$Paci3.1rSe8B15LXFd6DJOWlx8grV.oKCWMjSxipBPaO2Ctb3zwf." }
  ]
  timeout: 0.5
}
`;
// bob's password is "s3cr3t", bcrypt-hashed (cost 11).

const TOKEN_CONFIG = `authorization { token: "t0ken" }\n`;

describe('authentication and permissions', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let tok: ServerHandle;
  const conns: NatsConnection[] = [];
  const wires: WireClient[] = [];

  before(async () => {
    srv = await startServer({ config: CONFIG });
    tok = await startServer({ config: TOKEN_CONFIG });
  });
  after(async () => {
    for (const c of conns) await c.close().catch(() => {});
    for (const w of wires) w.close();
    await srv?.stop();
    await tok?.stop();
  });

  test('INFO says auth_required', async () => {
    const w = await WireClient.connect(srv.port);
    wires.push(w);
    assert.equal(w.info.auth_required, true);
  });

  test('user/password and bcrypt users connect; a wrong password is refused', async () => {
    const a = await connect({ servers: srv.url, user: 'alice', pass: 'secret', reconnect: false });
    conns.push(a);
    const b = await connect({ servers: srv.url, user: 'bob', pass: 's3cr3t', reconnect: false });
    conns.push(b);
    await a.flush();
    await b.flush();
    await assert.rejects(connect({ servers: srv.url, user: 'alice', pass: 'nope', reconnect: false }), /Authorization Violation/i);
  });

  test('token auth', async () => {
    const c = await connect({ servers: tok.url, token: 't0ken', reconnect: false });
    conns.push(c);
    await c.flush();
    await assert.rejects(connect({ servers: tok.url, token: 'wrong', reconnect: false }), /Authorization Violation/i);
  });

  test('an op before CONNECT is an authorization violation', async () => {
    const w = await WireClient.connect(srv.port);
    wires.push(w);
    await w.send('PING\r\n');
    await w.expectThenClosed("-ERR 'Authorization Violation'\r\n");
  });

  test('no CONNECT within the auth timeout', async () => {
    const w = await WireClient.connect(srv.port);
    wires.push(w);
    await w.expectThenClosed("-ERR 'Authentication Timeout'\r\n", 5000);
  });

  test('permission violations get the exact texts and deliver nothing; the connection stays', async () => {
    const w = await WireClient.connect(srv.port);
    wires.push(w);
    await w.send('CONNECT {"user":"alice","pass":"secret","verbose":false,"pedantic":false}\r\n');
    await w.send('SUB secret.x 1\r\nSUB ok.x 2\r\nPUB nope 0\r\n\r\nPUB ok.x 1\r\nh\r\nPING\r\n');
    await w.expect(
      `-ERR 'Permissions Violation for Subscription to "secret.x"'\r\n` +
        `-ERR 'Permissions Violation for Publish to "nope"'\r\n` +
        'MSG ok.x 2 1\r\nh\r\nPONG\r\n',
    );
  });

  test('the official client sees a publish permission violation as an async error', async () => {
    const errors: string[] = [];
    const c = await connect({ servers: srv.url, user: 'alice', pass: 'secret', reconnect: false });
    conns.push(c);
    (async () => {
      for await (const s of c.status()) if (s.type === 'error') errors.push(String(s.error));
    })().catch(() => {});
    c.publish('nope', 'x');
    await c.flush();
    const deadline = Date.now() + 3000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(errors.join('\n'), /Permissions Violation for Publish to "nope"/);
  });
});
