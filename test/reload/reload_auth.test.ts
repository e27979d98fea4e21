// Config reload and authorization: users added and removed, credentials that stop verifying, permissions
// that shrink under live subscriptions. Real server processes, the config file rewritten and SIGHUP sent;
// the official clients and raw sockets (for the exact texts). Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectV3, type NatsConnection as NatsConnectionV3 } from '@nats-io/transport-node';
import { connect as connectV2, type NatsConnection as NatsConnectionV2 } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { reload } from './reload-helpers.js';

const RELOADED = 'Reloaded server configuration';

function usersConfig(users: string): string {
  return `authorization {\n  users: [\n${users}\n  ]\n}\n`;
}

const A_WIDE = `{ user: a, password: a, permissions: { subscribe: ["foo.>", "bar"], publish: ["x.>", "y"] } }`;
const A_NARROW = `{ user: a, password: a, permissions: { subscribe: ["foo.>"], publish: ["x.>"] } }`;
const B = `{ user: b, password: b }`;
const C = `{ user: c, password: c }`;

describe('config reload: authorization', { timeout: 90_000 }, () => {
  let srv: ServerHandle | undefined;
  const closers: (() => unknown)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await Promise.resolve(close()).catch(() => {});
    await srv?.stop();
    srv = undefined;
  });

  test('a user added by a reload can connect; connected clients stay connected', async () => {
    srv = await startServer({ config: usersConfig(B) });
    await assert.rejects(connectV3({ servers: srv.url, user: 'c', pass: 'c', reconnect: false }), /Authorization Violation/i);
    const b: NatsConnectionV2 = await connectV2({ servers: srv.url, user: 'b', pass: 'b', reconnect: false });
    closers.push(() => b.close());

    assert.equal(await reload(srv, usersConfig(`${B}\n${C}`)), RELOADED);

    const c: NatsConnectionV3 = await connectV3({ servers: srv.url, user: 'c', pass: 'c', reconnect: false });
    closers.push(() => c.close());
    await c.flush();
    await b.flush();
    assert.equal(b.isClosed(), false);
  });

  test('a removed user is disconnected (without an error, as nats-server does); others stay', async () => {
    srv = await startServer({ config: usersConfig(`${B}\n${C}`) });
    const b = await connectV3({ servers: srv.url, user: 'b', pass: 'b', reconnect: false });
    closers.push(() => b.close());
    const bClosed = b.closed();
    const rawB = await WireClient.connectAndHandshake(srv.port, { user: 'b', pass: 'b' });
    closers.push(() => rawB.close());
    const c = await connectV2({ servers: srv.url, user: 'c', pass: 'c', reconnect: false });
    closers.push(() => c.close());

    assert.equal(await reload(srv, usersConfig(C)), RELOADED);

    await rawB.waitClosed(5000);
    assert.equal(rawB.pending(), '', 'nats-server closes a removed user without -ERR');
    await bClosed;
    assert.equal(b.isClosed(), true);
    await c.flush();
    assert.equal(c.isClosed(), false);
    await assert.rejects(connectV2({ servers: srv.url, user: 'b', pass: 'b', reconnect: false }), /Authorization Violation/i);
  });

  test("a client whose password no longer verifies gets -ERR 'Authorization Violation' and is closed", async () => {
    srv = await startServer({ config: usersConfig(`${B}\n${C}`) });
    const rawB = await WireClient.connectAndHandshake(srv.port, { user: 'b', pass: 'b' });
    closers.push(() => rawB.close());
    const c = await WireClient.connectAndHandshake(srv.port, { user: 'c', pass: 'c' });
    closers.push(() => c.close());

    assert.equal(await reload(srv, usersConfig(`{ user: b, password: changed }\n${C}`)), RELOADED);

    await rawB.expectThenClosed("-ERR 'Authorization Violation'\r\n", 5000);
    await c.pingPong();
  });

  test('authorization removed: a named user is disconnected, anyone may connect', async () => {
    srv = await startServer({ config: usersConfig(B) });
    const rawB = await WireClient.connectAndHandshake(srv.port, { user: 'b', pass: 'b' });
    closers.push(() => rawB.close());
    assert.equal(await reload(srv, 'max_payload: 1MB\n'), RELOADED);
    await rawB.waitClosed(5000);
    assert.equal(rawB.pending(), '');
    const anon = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => anon.close());
    assert.equal(anon.info.auth_required, undefined);
  });

  test('token removed: the token client stays, unrestricted', async () => {
    srv = await startServer({ config: 'authorization { token: t0k }\n' });
    const tok = await WireClient.connectAndHandshake(srv.port, { auth_token: 't0k' });
    closers.push(() => tok.close());
    assert.equal(await reload(srv, 'max_payload: 1MB\n'), RELOADED);
    await tok.send('SUB any 1\r\nPUB any 1\r\nx\r\n');
    await tok.expect('MSG any 1 1\r\nx\r\n', 5000);
  });

  test('shrunk permissions drop the denied subscriptions with their sids; the rest keeps working', async () => {
    srv = await startServer({ config: usersConfig(`${A_WIDE}\n${B}`) });
    const a = await WireClient.connectAndHandshake(srv.port, { user: 'a', pass: 'a' });
    closers.push(() => a.close());
    await a.send('SUB foo.x 1\r\nSUB bar q1 2\r\nSUB bar 3\r\nSUB foo.y q 4\r\n');
    await a.pingPong();
    const b = await connectV2({ servers: srv.url, user: 'b', pass: 'b', reconnect: false });
    closers.push(() => b.close());
    // Two messages: 'dropped' and 'still' below (bounded iteration).
    const bSub = b.subscribe('bar', { max: 2 });

    assert.equal(await reload(srv, usersConfig(`${A_NARROW}\n${B}`)), RELOADED);

    // nats-server walks the subscriptions in map order: accept the two lines in either order.
    const lines = new Set<string>();
    for (let i = 0; i < 2; i++) lines.add((await a.expect(/^-ERR '[^\r]*'\r\n/, 5000))[0]);
    assert.deepEqual(
      lines,
      new Set([
        `-ERR 'Permissions Violation for Subscription to "bar" using queue "q1" (sid "2")'\r\n`,
        `-ERR 'Permissions Violation for Subscription to "bar" (sid "3")'\r\n`,
      ]),
    );
    await a.pingPong();

    // The allowed subscriptions still receive; the dropped ones do not.
    b.publish('bar', 'dropped');
    b.publish('foo.x', 'kept');
    await b.flush();
    await a.expect('MSG foo.x 1 4\r\nkept\r\n', 5000);
    await a.pingPong();

    // Publishes are checked against the new permissions.
    await a.send('PUB y 1\r\nz\r\nPUB x.1 1\r\nz\r\n');
    await a.expect(`-ERR 'Permissions Violation for Publish to "y"'\r\n`);
    await a.pingPong();
    assert.equal(a.closed, false);

    // The unrestricted client kept its subscription and its connection.
    b.publish('bar', 'still');
    const got: string[] = [];
    for await (const m of bSub) got.push(m.string());
    assert.deepEqual(got, ['dropped', 'still']);
  });
});
