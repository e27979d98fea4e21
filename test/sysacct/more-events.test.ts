// The rest of nats-server 2.12's client advisories: $G connections have them too, a connection that never
// sends CONNECT still has a DISCONNECT, a failed authentication is reported on
// `$SYS.SERVER.<id>.CLIENT.AUTH.ERR`, account connection counts on `$SYS.SERVER.ACCOUNT.<acc>.CONNS` (and
// the newer `$SYS.ACCOUNT.<acc>.SERVER.CONNS`), and lame-duck mode on `$SYS.SERVER.<id>.LAMEDUCK`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { connect, StringCodec, type NatsConnection, type Subscription } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { APP_USER, SERVER_NAME, SYS_CONFIG, SYS_ONLY_CONFIG, SYS_USER } from './fixtures.js';

const sc = StringCodec();
type Json = Record<string, unknown>;

async function next(sub: Subscription): Promise<{ subject: string; json: Json }> {
  for await (const m of sub) return { subject: m.subject, json: JSON.parse(sc.decode(m.data)) as Json };
  throw new Error(`no message on ${sub.getSubject()}`);
}

/** A raw socket that reads INFO, optionally sends `send`, and resolves once the server has closed it or it was ended. */
function rawClient(port: number, send?: string): Promise<void> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let sent = false;
    s.on('data', () => {
      if (sent) return;
      sent = true;
      if (send !== undefined) s.write(send);
      else s.end();
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

async function serverId(sys: NatsConnection): Promise<string> {
  const m = await sys.request('$SYS.REQ.SERVER.PING', sc.encode(''), { timeout: 5000 });
  return ((JSON.parse(sc.decode(m.data)) as Json).server as Json).id as string;
}

describe('global account advisories', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let sys: NatsConnection;
  before(async () => {
    srv = await startServer({ config: SYS_ONLY_CONFIG });
    sys = await connect({ servers: srv.url, ...SYS_USER });
  });
  after(async () => {
    await sys?.close();
    await srv?.stop();
  });

  test('a client without credentials in $G has CONNECT and DISCONNECT', async () => {
    const connects = sys.subscribe('$SYS.ACCOUNT.$G.CONNECT', { max: 1, timeout: 20_000 });
    const disconnects = sys.subscribe('$SYS.ACCOUNT.$G.DISCONNECT', { max: 1, timeout: 20_000 });
    await sys.flush();
    const anon = await connect({ servers: srv.url, name: 'anonymous' });
    const c = await next(connects);
    assert.equal((c.json.client as Json).acc, '$G');
    assert.equal((c.json.client as Json).name, 'anonymous');
    await anon.close();
    const d = await next(disconnects);
    assert.equal((d.json.client as Json).name, 'anonymous');
    assert.equal(d.json.reason, 'Client Closed');
  });

  test('a connection that never sends CONNECT still has a DISCONNECT in $G', async () => {
    const disconnects = sys.subscribe('$SYS.ACCOUNT.$G.DISCONNECT', { max: 1, timeout: 20_000 });
    await sys.flush();
    await rawClient(srv.port);
    const d = await next(disconnects);
    assert.equal((d.json.client as Json).acc, '$G');
    assert.equal((d.json.client as Json).name, undefined);
    assert.equal(d.json.reason, 'Client Closed');
  });
});

describe('auth error, account connections and lame-duck advisories', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let sys: NatsConnection;
  before(async () => {
    srv = await startServer({ config: SYS_CONFIG });
    sys = await connect({ servers: srv.url, ...SYS_USER });
  });
  after(async () => {
    await sys?.close();
    await srv?.stop('SIGINT');
  });

  test('a failed authentication is reported on CLIENT.AUTH.ERR', async () => {
    const id = await serverId(sys);
    const errors = sys.subscribe(`$SYS.SERVER.${id}.CLIENT.AUTH.ERR`, { max: 1, timeout: 20_000 });
    await sys.flush();
    await rawClient(srv.port, 'CONNECT {"user":"app","pass":"wrong"}\r\nPING\r\n');
    const e = await next(errors);
    assert.equal(e.json.type, 'io.nats.server.advisory.v1.client_disconnect');
    assert.equal(e.json.reason, 'Authentication Failure');
    assert.equal((e.json.client as Json).acc, '$G');
    assert.equal((e.json.server as Json).name, SERVER_NAME);
  });

  test('a connect in an account updates its connection count on both CONNS subjects', async () => {
    const oldSubject = sys.subscribe('$SYS.SERVER.ACCOUNT.APP.CONNS', { max: 1, timeout: 20_000 });
    const newSubject = sys.subscribe('$SYS.ACCOUNT.APP.SERVER.CONNS', { max: 1, timeout: 20_000 });
    await sys.flush();
    const app = await connect({ servers: srv.url, ...APP_USER });
    const a = await next(oldSubject);
    const b = await next(newSubject);
    assert.equal(a.json.type, 'io.nats.server.advisory.v1.account_connections');
    assert.equal(a.json.id, b.json.id);
    assert.deepEqual(Object.keys(a.json), [
      'type', 'id', 'timestamp', 'server', 'acc', 'name', 'conns', 'leafnodes', 'total_conns', 'num_subscriptions', 'sent', 'received', 'slow_consumers',
    ]);
    assert.equal(a.json.acc, 'APP');
    assert.equal(a.json.conns, 1);
    await app.close();
  });

  test('lame-duck mode is announced on LAMEDUCK with the server block', async () => {
    const id = await serverId(sys);
    const ldm = sys.subscribe(`$SYS.SERVER.${id}.LAMEDUCK`, { max: 1, timeout: 20_000 });
    await sys.flush();
    srv.proc.kill('SIGUSR2');
    const l = await next(ldm);
    assert.equal(l.json.id, id);
    assert.equal(l.json.name, SERVER_NAME);
    assert.equal(typeof l.json.seq, 'number');
  });
});
