// Official client, v3 API (@nats-io/transport-node, re-exporting @nats-io/nats-core).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  connect,
  headers,
  NoRespondersError,
  RequestError,
  ClosedConnectionError,
  InvalidArgumentError,
  type NatsConnection,
  type Msg,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { startServer, checkFor, type ServerHandle } from '../helpers/server.js';

describe('nats v3 client (@nats-io/transport-node)', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let small: ServerHandle;
  const conns: NatsConnection[] = [];
  const nc = async (opts: NodeConnectionOptions = {}, server = srv) => {
    const c = await connect({ servers: server.url, reconnect: false, ...opts });
    conns.push(c);
    return c;
  };

  before(async () => {
    srv = await startServer();
    small = await startServer({ config: 'max_payload: 100\n' });
  });
  after(async () => {
    for (const c of conns) if (!c.isClosed()) await c.close();
    await srv?.stop();
    await small?.stop();
  });

  test('nc.info carries the server INFO fields', async () => {
    const c = await nc();
    const info = c.info!;
    assert.match(info.server_id, /^N[A-Z0-9]{55}$/);
    assert.equal(typeof info.server_name, 'string');
    assert.match(info.version, /^\d+\.\d+\.\d+$/);
    assert.equal(info.proto, 1);
    assert.equal(info.headers, true);
    assert.equal(info.max_payload, 1048576);
    assert.equal(info.host, '127.0.0.1');
    assert.equal(info.port, srv.port);
    assert.ok(info.client_id > 0);
    assert.equal(info.client_ip, '127.0.0.1');
  });

  test('publish/subscribe with string and JSON payloads', async () => {
    const c = await nc();
    const sub = c.subscribe('v3.s', { max: 3, timeout: 5000 });
    c.publish('v3.s', 'hello');
    c.publish('v3.s', JSON.stringify({ a: 1, b: ['x'] }));
    c.publish('v3.s', new TextEncoder().encode('bytes ✓'));
    const got: Msg[] = [];
    for await (const m of sub) got.push(m);
    assert.equal(got[0].string(), 'hello');
    assert.deepEqual(got[1].json(), { a: 1, b: ['x'] });
    assert.equal(got[2].string(), 'bytes ✓');
    assert.equal(got[0].subject, 'v3.s');
  });

  test('wildcard subscriptions * and >', async () => {
    const c = await nc();
    const star: string[] = [];
    const gt: string[] = [];
    c.subscribe('v3w.*', { callback: (_e, m) => void star.push(m.subject) });
    c.subscribe('v3w.a.>', { callback: (_e, m) => void gt.push(m.subject) });
    for (const s of ['v3w.a', 'v3w.b', 'v3w.a.b', 'v3w.a.b.c', 'v3w']) c.publish(s);
    await c.flush();
    await checkFor(3000, 10, () => star.length === 2 && gt.length === 2);
    assert.deepEqual(star, ['v3w.a', 'v3w.b']);
    assert.deepEqual(gt, ['v3w.a.b', 'v3w.a.b.c']);
  });

  test('queue group: each message to exactly one member, spread across members', async () => {
    const members = [await nc(), await nc(), await nc()];
    const got: number[][] = members.map(() => []);
    members.forEach((m, i) => m.subscribe('v3.q', { queue: 'grp', callback: (_e, msg) => void got[i].push(Number(msg.string())) }));
    for (const m of members) await m.flush();
    const p = await nc();
    const N = 300;
    for (let i = 0; i < N; i++) p.publish('v3.q', String(i));
    await p.flush();
    await checkFor(5000, 10, () => got.flat().length >= N);
    for (const m of members) await m.flush();
    const all = got.flat();
    assert.equal(all.length, N);
    assert.equal(new Set(all).size, N);
    for (const g of got) assert.ok(g.length > 0, `every member receives some (${got.map((x) => x.length)})`);
  });

  test('request/reply, muxed and noMux', async () => {
    const r = await nc();
    const replies: string[] = [];
    r.subscribe('v3.svc', {
      callback: (_e, m) => {
        replies.push(m.reply!);
        m.respond(`re:${m.string()}`);
      },
    });
    await r.flush();
    const c = await nc();
    const a = await c.request('v3.svc', 'one', { timeout: 2000 });
    assert.equal(a.string(), 're:one');
    const b = await c.request('v3.svc', 'two', { timeout: 2000, noMux: true });
    assert.equal(b.string(), 're:two');
    assert.match(replies[0], /^_INBOX\.[A-Za-z0-9]+\.[A-Za-z0-9]+$/);
    assert.match(replies[1], /^_INBOX\.[A-Za-z0-9]+$/);
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => c.request('v3.svc', String(i), { timeout: 5000 })));
    many.forEach((m, i) => assert.equal(m.string(), `re:${i}`));
  });

  test('headers round trip', async () => {
    const c = await nc();
    c.subscribe('v3.h', {
      callback: (_e, m) => {
        const h = headers();
        h.set('Got', m.headers?.values('X-Multi').join(',') ?? 'none');
        m.respond('ok', { headers: h });
      },
    });
    const h = headers();
    h.append('X-Multi', 'a');
    h.append('X-Multi', 'b');
    h.set('X-Single', 'v');
    const res = await c.request('v3.h', 'q', { timeout: 2000, headers: h });
    assert.equal(res.headers?.get('Got'), 'a,b');
    assert.equal(res.string(), 'ok');
  });

  test('no responders: RequestError whose cause is NoRespondersError (muxed and noMux)', async () => {
    const c = await nc();
    for (const noMux of [false, true]) {
      await assert.rejects(c.request('v3.nobody', 'x', { timeout: 3000, noMux }), (e: unknown) => {
        assert.ok(e instanceof RequestError, `got ${String(e)}`);
        assert.equal(e.isNoResponders(), true);
        assert.ok(e.cause instanceof NoRespondersError);
        return true;
      });
    }
  });

  test('noEcho: own messages are not delivered back', async () => {
    const self = await nc({ noEcho: true });
    const other = await nc();
    const got: string[] = [];
    self.subscribe('v3.echo', { callback: (_e, m) => void got.push(m.string()) });
    await self.flush();
    self.publish('v3.echo', 'mine');
    await self.flush();
    other.publish('v3.echo', 'theirs');
    await other.flush();
    await checkFor(3000, 10, () => got.length >= 1);
    await self.flush();
    assert.deepEqual(got, ['theirs']);
  });

  test('drain and close', async () => {
    const a = await nc();
    const b = await nc();
    const got: string[] = [];
    b.subscribe('v3.d', { callback: (_e, m) => void got.push(m.string()) });
    await b.flush();
    for (let i = 0; i < 50; i++) a.publish('v3.d', String(i));
    await a.flush();
    await checkFor(3000, 10, () => got.length === 50);
    const closed = b.closed();
    await b.drain();
    assert.equal(b.isClosed(), true);
    assert.equal(await closed, undefined);

    await a.close();
    assert.equal(a.isClosed(), true);
    assert.throws(() => a.publish('v3.d', 'x'), (e: unknown) => e instanceof ClosedConnectionError);
  });

  test('10k messages from one publisher arrive in order', async () => {
    const pubc = await nc();
    const subc = await nc();
    const N = 10_000;
    let next = 0;
    let bad = -1;
    subc.subscribe('v3.order', {
      callback: (_e, m) => {
        if (Number(m.string()) !== next && bad < 0) bad = next;
        next++;
      },
    });
    await subc.flush();
    for (let i = 0; i < N; i++) pubc.publish('v3.order', String(i));
    await pubc.flush();
    await checkFor(20_000, 20, () => next >= N);
    assert.equal(bad, -1);
    assert.equal(next, N);
  });

  test('large payload near max_payload round-trips; above it is rejected client-side', async () => {
    const c = await nc();
    const big = new Uint8Array(1048576 - 16);
    big.fill(7);
    const sub = c.subscribe('v3.big', { max: 1, timeout: 5000 });
    c.publish('v3.big', big);
    for await (const m of sub) assert.equal(m.data.length, big.length);
    assert.throws(
      () => c.publish('v3.big', new Uint8Array(1048577)),
      (e: unknown) => e instanceof InvalidArgumentError && /max_payload size exceeded/.test(e.message),
    );
    const s = await nc({}, small);
    assert.equal(s.info!.max_payload, 100);
    assert.throws(() => s.publish('x', new Uint8Array(101)), (e: unknown) => e instanceof InvalidArgumentError);
    s.publish('x', new Uint8Array(100));
    await s.flush();
  });

  test('lame duck mode is reported as an "ldm" status', async () => {
    const ldm = await startServer({ config: 'lame_duck_duration: "30s"\nlame_duck_grace_period: "10s"\n' });
    try {
      const c = await connect({ servers: ldm.url, reconnect: false });
      conns.push(c);
      await c.flush();
      const seen = (async () => {
        for await (const s of c.status()) if (s.type === 'ldm') return true;
        return false;
      })();
      process.kill(ldm.pid, 'SIGUSR2');
      const r = await Promise.race([seen, new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 5000).unref())]);
      assert.equal(r, true);
      await c.close();
    } finally {
      await ldm.stop('SIGINT');
    }
  });
});
