// Connect/disconnect advisories on `$SYS.ACCOUNT.<acc>.CONNECT|DISCONNECT`, seen by an official client in
// the system account, with nats-server's JSON. Several clients connect so that Myelin's worker threads
// (connections are spread over them) each report theirs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, StringCodec, type NatsConnection, type Subscription } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { APP_USER, SERVER_NAME, SYS_CONFIG, SYS_USER } from './fixtures.js';

const sc = StringCodec();
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const CLIENTS = 3;

type Json = Record<string, unknown>;

/** The next `n` messages of a subscription, parsed (bounded by the subscription's own max/timeout). */
async function take(sub: Subscription, n: number): Promise<{ subject: string; json: Json }[]> {
  const out: { subject: string; json: Json }[] = [];
  for await (const m of sub) {
    out.push({ subject: m.subject, json: JSON.parse(sc.decode(m.data)) as Json });
    if (out.length === n) break;
  }
  return out;
}

function checkServerBlock(server: unknown): void {
  const s = server as Json;
  assert.deepEqual(Object.keys(s).slice(0, 3), ['name', 'host', 'id']);
  assert.equal(s.name, SERVER_NAME);
  assert.match(s.id as string, /^N[A-Z0-9]{55}$/);
  assert.equal(typeof s.ver, 'string');
  assert.equal(s.jetstream, false);
  assert.equal(typeof s.seq, 'number');
  assert.match(s.time as string, RFC3339);
}

describe('system account connect/disconnect advisories', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let sys: NatsConnection;

  before(async () => {
    srv = await startServer({ config: SYS_CONFIG });
    sys = await connect({ servers: srv.url, ...SYS_USER });
  });
  after(async () => {
    await sys?.close();
    await srv?.stop();
  });

  test('CONNECT then DISCONNECT for each client of an account, with nats-server fields', async () => {
    const connects = sys.subscribe('$SYS.ACCOUNT.*.CONNECT', { timeout: 20_000 });
    const disconnects = sys.subscribe('$SYS.ACCOUNT.*.DISCONNECT', { timeout: 20_000 });
    await sys.flush();

    const clients: NatsConnection[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect({ servers: srv.url, ...APP_USER, name: `app-${i}` }));
    const gotConnects = await take(connects, CLIENTS);
    for (const [i, c] of clients.entries()) {
      c.publish('events.test', sc.encode(`hello-${i}`));
      await c.flush();
    }
    for (const c of clients) await c.close();
    const gotDisconnects = await take(disconnects, CLIENTS);

    const names = new Set<string>();
    for (const { subject, json } of gotConnects) {
      assert.equal(subject, '$SYS.ACCOUNT.APP.CONNECT');
      assert.deepEqual(Object.keys(json), ['type', 'id', 'timestamp', 'server', 'client']);
      assert.equal(json.type, 'io.nats.server.advisory.v1.client_connect');
      assert.match(json.id as string, /^[0-9A-Za-z]{22}$/);
      assert.match(json.timestamp as string, RFC3339);
      checkServerBlock(json.server);
      const client = json.client as Json;
      assert.match(client.start as string, RFC3339);
      assert.equal(client.host, '127.0.0.1');
      assert.equal(typeof client.id, 'number');
      assert.equal(client.acc, 'APP');
      assert.equal(client.user, 'app');
      assert.equal(client.lang, 'nats.js');
      assert.equal(client.kind, 'Client');
      assert.equal(client.client_type, 'nats');
      assert.equal(client.stop, undefined);
      names.add(client.name as string);
    }
    assert.deepEqual([...names].sort(), ['app-0', 'app-1', 'app-2']);

    const seen = new Set<string>();
    for (const { subject, json } of gotDisconnects) {
      assert.equal(subject, '$SYS.ACCOUNT.APP.DISCONNECT');
      assert.deepEqual(Object.keys(json), ['type', 'id', 'timestamp', 'server', 'client', 'sent', 'received', 'reason']);
      assert.equal(json.type, 'io.nats.server.advisory.v1.client_disconnect');
      checkServerBlock(json.server);
      const client = json.client as Json;
      assert.equal(client.acc, 'APP');
      assert.match(client.stop as string, RFC3339);
      assert.equal(json.reason, 'Client Closed');
      // From the client's side: it sent one message of 7 bytes.
      assert.deepEqual(json.sent, { msgs: 1, bytes: 7 });
      assert.deepEqual(Object.keys(json.received as Json), ['msgs', 'bytes']);
      seen.add(client.name as string);
    }
    assert.deepEqual([...seen].sort(), ['app-0', 'app-1', 'app-2']);
  });

  test('a failed authentication produces no CONNECT', async () => {
    const connects = sys.subscribe('$SYS.ACCOUNT.*.CONNECT', { timeout: 20_000 });
    await sys.flush();
    await assert.rejects(connect({ servers: srv.url, user: 'app', pass: 'wrong', reconnect: false }));
    // The next connect's event is the first one on the subscription.
    const ok = await connect({ servers: srv.url, ...APP_USER, name: 'after-failure' });
    const [first] = await take(connects, 1);
    assert.equal((first.json.client as Json).name, 'after-failure');
    await ok.close();
  });
});
