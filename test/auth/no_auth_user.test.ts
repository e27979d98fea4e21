// `no_auth_user` and a client that never sends CONNECT: nats-server admits it as the no_auth_user (when that
// is a password user) on its first op, with that user's permissions, verbose on, and no auth timeout after.
// Raw sockets for the exact bytes; runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

const CONFIG = `
authorization {
  users: [
    { user: a, password: a, permissions: { subscribe: ["foo"], publish: ["foo"] } }
    { user: b, password: b }
  ]
  timeout: 0.5
}
no_auth_user: a
`;

describe('no_auth_user: ops before CONNECT', { timeout: 30_000 }, () => {
  let srv: ServerHandle;
  const wires: WireClient[] = [];
  before(async () => {
    srv = await startServer({ config: CONFIG });
  });
  after(async () => {
    for (const w of wires) w.close();
    await srv?.stop();
  });

  test('a client that sends no CONNECT acts as the no_auth_user, with its permissions', async () => {
    const raw = await WireClient.connect(srv.port);
    wires.push(raw);
    assert.equal(raw.info.auth_required, undefined, 'INFO leaves auth_required out when a no_auth_user exists');
    await raw.send('SUB foo 1\r\nPING\r\n');
    // Verbose is on until a CONNECT turns it off: +OK for the SUB.
    await raw.expect('+OK\r\nPONG\r\n');
    await raw.send('SUB bar 2\r\nPING\r\n');
    await raw.expect(`-ERR 'Permissions Violation for Subscription to "bar"'\r\nPONG\r\n`);

    const b = await WireClient.connectAndHandshake(srv.port, { user: 'b', pass: 'b' });
    wires.push(b);
    await b.send('PUB foo 2\r\nhi\r\nPUB bar 2\r\nno\r\n');
    await b.pingPong();
    await raw.expect('MSG foo 1 2\r\nhi\r\n');

    // Admitted: the auth timeout (0.5 s) no longer applies.
    await sleep(1000);
    await raw.pingPong();
    assert.equal(raw.closed, false);
  });

  test('a later CONNECT with other credentials is decided as usual', async () => {
    const raw = await WireClient.connect(srv.port);
    wires.push(raw);
    await raw.send('PING\r\n');
    await raw.expect('PONG\r\n');
    await raw.send('CONNECT {"verbose":false,"user":"b","pass":"wrong"}\r\nPING\r\n');
    await raw.expectThenClosed("-ERR 'Authorization Violation'\r\n");
  });
});
