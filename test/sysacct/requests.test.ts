// The `$SYS.REQ.SERVER.PING` family, `$SYS.REQ.SERVER.<id>.*` and `$SYS.REQ.ACCOUNT.*`, asked by an
// official client in the system account, answered with nats-server's shapes and filters.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createInbox, StringCodec, type NatsConnection } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { APP_USER, SERVER_NAME, SYS_CONFIG, SYS_USER } from './fixtures.js';

const sc = StringCodec();
type Json = Record<string, unknown>;

describe('system account requests', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let sys: NatsConnection;
  let app: NatsConnection;
  let serverId = '';

  const ask = async (subject: string, body = ''): Promise<Json> => {
    const m = await sys.request(subject, sc.encode(body), { timeout: 5000 });
    return JSON.parse(sc.decode(m.data)) as Json;
  };

  /**
   * Whether `subject` with `body` is answered. The same request without a body (which the server surely
   * answers, along the same path) follows on a second inbox; the server answers its requests in order and
   * the client receives in order, so once that answer is in, an answer to the first would be in too.
   */
  const answered = async (subject: string, body: string): Promise<boolean> => {
    const first = sys.subscribe(createInbox());
    const marker = sys.subscribe(createInbox(), { max: 1, timeout: 5000 });
    sys.publish(subject, sc.encode(body), { reply: first.getSubject() });
    sys.publish(subject, sc.encode(''), { reply: marker.getSubject() });
    for await (const m of marker) assert.ok(m.data.length > 0);
    const got = first.getReceived() > 0;
    first.unsubscribe();
    return got;
  };

  before(async () => {
    srv = await startServer({ config: SYS_CONFIG });
    sys = await connect({ servers: srv.url, ...SYS_USER });
    app = await connect({ servers: srv.url, ...APP_USER, name: 'app-client' });
    app.subscribe('app.sub');
    await app.flush();
  });
  after(async () => {
    await app?.close();
    await sys?.close();
    await srv?.stop();
  });

  test('bare PING answers {"server","statsz"}', async () => {
    const r = await ask('$SYS.REQ.SERVER.PING');
    assert.deepEqual(Object.keys(r), ['server', 'statsz']);
    const server = r.server as Json;
    assert.equal(server.name, SERVER_NAME);
    serverId = server.id as string;
    assert.match(serverId, /^N[A-Z0-9]{55}$/);
    const statsz = r.statsz as Json;
    for (const k of ['start', 'mem', 'cores', 'cpu', 'connections', 'total_connections', 'active_accounts', 'subscriptions', 'sent', 'received', 'slow_consumers']) {
      assert.ok(k in statsz, `statsz.${k}`);
    }
    assert.ok((statsz.connections as number) >= 2);
  });

  test('PING.STATSZ answers with statsz too', async () => {
    const r = await ask('$SYS.REQ.SERVER.PING.STATSZ');
    assert.deepEqual(Object.keys(r), ['server', 'statsz']);
  });

  test('PING.<endpoint> answers are wrapped as {"server","data"}', async () => {
    const varz = await ask('$SYS.REQ.SERVER.PING.VARZ');
    assert.deepEqual(Object.keys(varz), ['server', 'data']);
    assert.equal((varz.data as Json).server_name, SERVER_NAME);
    assert.equal((varz.data as Json).system_account, 'SYS');

    const connz = await ask('$SYS.REQ.SERVER.PING.CONNZ', '{"auth":true}');
    const conns = (connz.data as Json).connections as Json[];
    assert.ok(conns.some((c) => c.name === 'app-client' && c.account === 'APP'));

    const subsz = await ask('$SYS.REQ.SERVER.PING.SUBSZ');
    assert.ok(((subsz.data as Json).num_subscriptions as number) >= 1);

    const jsz = await ask('$SYS.REQ.SERVER.PING.JSZ');
    assert.deepEqual(Object.keys(jsz), ['server', 'data']);

    const healthz = await ask('$SYS.REQ.SERVER.PING.HEALTHZ');
    assert.deepEqual(healthz.data, { status: 'ok', status_code: 200 });

    const accountz = await ask('$SYS.REQ.SERVER.PING.ACCOUNTZ');
    const names = (accountz.data as Json).accounts as string[];
    assert.ok(names.includes('APP') && names.includes('SYS'));
  });

  test('PING.IDZ answers the bare identity', async () => {
    const r = await ask('$SYS.REQ.SERVER.PING.IDZ');
    assert.deepEqual(Object.keys(r), ['name', 'host', 'id']);
    assert.equal(r.name, SERVER_NAME);
  });

  test('$SYS.REQ.SERVER.<id>.<endpoint> answers for this server', async () => {
    const id = ((await ask('$SYS.REQ.SERVER.PING')).server as Json).id as string;
    const varz = await ask(`$SYS.REQ.SERVER.${id}.VARZ`);
    assert.equal((varz.data as Json).server_id, id);
    const statsz = await ask(`$SYS.REQ.SERVER.${id}.STATSZ`);
    assert.deepEqual(Object.keys(statsz), ['server', 'statsz']);
  });

  test('server_name, exact_match, cluster and tags filters', async () => {
    const subject = '$SYS.REQ.SERVER.PING.VARZ';
    assert.equal(await answered(subject, JSON.stringify({ server_name: SERVER_NAME })), true);
    assert.equal(await answered(subject, JSON.stringify({ server_name: 'sysacct' })), true);
    assert.equal(await answered(subject, JSON.stringify({ server_name: SERVER_NAME, exact_match: true })), true);
    assert.equal(await answered(subject, JSON.stringify({ server_name: 'sysacct', exact_match: true })), false);
    assert.equal(await answered(subject, JSON.stringify({ server_name: 'other' })), false);
    assert.equal(await answered(subject, JSON.stringify({ cluster: 'nope' })), false);
    assert.equal(await answered(subject, JSON.stringify({ tags: ['nope'] })), false);
    assert.equal(await answered('$SYS.REQ.SERVER.PING', JSON.stringify({ server_name: 'other' })), false);
  });

  test('a body that is not JSON gets a 400 error', async () => {
    const r = await ask('$SYS.REQ.SERVER.PING.VARZ', 'notjson');
    assert.deepEqual(Object.keys(r), ['server', 'error']);
    assert.equal((r.error as Json).code, 400);
  });

  test('$SYS.REQ.ACCOUNT.<acc>.CONNZ and SUBSZ cover one account', async () => {
    const connz = await ask('$SYS.REQ.ACCOUNT.APP.CONNZ');
    const conns = (connz.data as Json).connections as Json[];
    assert.deepEqual(conns.map((c) => c.name), ['app-client']);
    const subsz = await ask('$SYS.REQ.ACCOUNT.APP.SUBSZ');
    const list = (subsz.data as Json).subscriptions_list as Json[];
    assert.ok(list.some((s) => s.subject === 'app.sub' && s.account === 'APP'));
    assert.ok(list.every((s) => s.account === 'APP'));
  });

  test('$SYS.REQ.ACCOUNT.PING.STATZ reports account traffic', async () => {
    const r = await ask('$SYS.REQ.ACCOUNT.PING.STATZ', JSON.stringify({ accounts: ['APP'] }));
    const statz = (r.data as Json).account_statz as Json[];
    assert.equal(statz.length, 1);
    assert.equal(statz[0].acc, 'APP');
    assert.equal(statz[0].conns, 1);
    assert.deepEqual(Object.keys(statz[0]), ['acc', 'name', 'conns', 'leafnodes', 'total_conns', 'num_subscriptions', 'sent', 'received', 'slow_consumers']);
  });

  test('another account has no system services: its PING gets no responders', async () => {
    await assert.rejects(app.request('$SYS.REQ.SERVER.PING', sc.encode(''), { timeout: 5000 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, '503');
      return true;
    });
  });

  test('another account asks for its own CONNZ and STATZ, as nats-server imports them', async () => {
    const ownConnz = async (subject: string) => {
      const m = await app.request(subject, sc.encode(''), { timeout: 5000 });
      const r = JSON.parse(sc.decode(m.data)) as Json;
      assert.deepEqual(Object.keys(r), ['server', 'data']);
      return ((r.data as Json).connections as Json[]).map((c) => c.name);
    };
    assert.deepEqual(await ownConnz('$SYS.REQ.SERVER.PING.CONNZ'), ['app-client']);
    assert.deepEqual(await ownConnz('$SYS.REQ.ACCOUNT.PING.CONNZ'), ['app-client']);
    // Asking for another account's STATZ still answers with one's own.
    const m = await app.request('$SYS.REQ.ACCOUNT.PING.STATZ', sc.encode('{"accounts":["SYS"]}'), { timeout: 5000 });
    const statz = ((JSON.parse(sc.decode(m.data)) as Json).data as Json).account_statz as Json[];
    assert.deepEqual(statz.map((a) => a.acc), ['APP']);
  });

  test('surveyor\'s account STATZ with include_unused lists every account', async () => {
    const r = await ask('$SYS.REQ.ACCOUNT.PING.STATZ', JSON.stringify({ accounts: null, include_unused: true }));
    const names = ((r.data as Json).account_statz as Json[]).map((a) => a.acc);
    assert.ok(names.includes('APP') && names.includes('SYS'), JSON.stringify(names));
  });

  test('STATSZ is published on $SYS.SERVER.<id>.STATSZ', async () => {
    const id = ((await ask('$SYS.REQ.SERVER.PING')).server as Json).id as string;
    const sub = sys.subscribe(`$SYS.SERVER.${id}.STATSZ`, { max: 1, timeout: 30_000 });
    for await (const m of sub) {
      const r = JSON.parse(sc.decode(m.data)) as Json;
      assert.deepEqual(Object.keys(r), ['server', 'statsz']);
    }
  });
});

describe('no_system_account', { timeout: 30_000 }, () => {
  const cases: [string, string, boolean][] = [
    ['turns the system services off', 'no_system_account: true', false],
    ['yields to a named system account', 'no_system_account: true\nsystem_account: SYS', true],
  ];
  for (const [name, extra, served] of cases) {
    test(name, async () => {
      const srv = await startServer({ config: `accounts { SYS: { users: [{user: sys, password: sys}] } }\n${extra}\n` });
      const nc = await connect({ servers: srv.url, ...SYS_USER });
      try {
        const asked = nc.request('$SYS.REQ.SERVER.PING', sc.encode(''), { timeout: 5000 });
        if (served) assert.ok((await asked).data.length > 0);
        else await assert.rejects(asked, (err: Error & { code?: string }) => err.code === '503');
      } finally {
        await nc.close();
        await srv.stop();
      }
    });
  }
});
