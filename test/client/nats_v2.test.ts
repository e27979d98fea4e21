// Official client, `nats` v2 API (connect / StringCodec / JSONCodec / headers).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  connect,
  StringCodec,
  JSONCodec,
  headers,
  ErrorCode,
  Events,
  type NatsConnection,
  type Msg,
  type NatsError,
} from 'nats';
import { startServer, checkFor, type ServerHandle } from '../helpers/server.js';

const sc = StringCodec();
const jc = JSONCodec<{ n: number; s: string; a: number[] }>();

describe('nats v2 client', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let small: ServerHandle;
  const conns: NatsConnection[] = [];
  const nc = async (opts: Parameters<typeof connect>[0] = {}, server = srv) => {
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
    const c2 = await nc();
    assert.notEqual(c2.info!.client_id, info.client_id);
  });

  test('publish/subscribe with StringCodec and JSONCodec', async () => {
    const c = await nc();
    const got: string[] = [];
    const sub = c.subscribe('v2.str', { max: 2, timeout: 5000 });
    const done = (async () => {
      for await (const m of sub) got.push(sc.decode(m.data));
    })();
    c.publish('v2.str', sc.encode('hello'));
    c.publish('v2.str', sc.encode('wörld ✓'));
    await done;
    assert.deepEqual(got, ['hello', 'wörld ✓']);

    const jsub = c.subscribe('v2.json', { max: 1, timeout: 5000 });
    const obj = { n: 42, s: 'x', a: [1, 2, 3] };
    c.publish('v2.json', jc.encode(obj));
    for await (const m of jsub) assert.deepEqual(jc.decode(m.data), obj);
  });

  test('publish from one connection, receive on another; empty payload', async () => {
    const a = await nc();
    const b = await nc();
    const sub = b.subscribe('v2.cross', { max: 2, timeout: 5000 });
    await b.flush();
    a.publish('v2.cross', sc.encode('x'));
    a.publish('v2.cross');
    const got: Msg[] = [];
    for await (const m of sub) got.push(m);
    assert.equal(sc.decode(got[0].data), 'x');
    assert.equal(got[1].data.length, 0);
    assert.equal(got[1].subject, 'v2.cross');
  });

  test('wildcard subscriptions * and >', async () => {
    const c = await nc();
    const star: string[] = [];
    const gt: string[] = [];
    c.subscribe('v2w.*.x', { callback: (_e, m) => star.push(m.subject) });
    c.subscribe('v2w.>', { callback: (_e, m) => gt.push(m.subject) });
    for (const s of ['v2w.a.x', 'v2w.b.x', 'v2w.a.y', 'v2w.a.x.z', 'v2w']) c.publish(s);
    await c.flush();
    await checkFor(3000, 10, () => gt.length === 4);
    assert.deepEqual(star, ['v2w.a.x', 'v2w.b.x']);
    assert.deepEqual(gt, ['v2w.a.x', 'v2w.b.x', 'v2w.a.y', 'v2w.a.x.z']);
  });

  test('queue group: each message to exactly one member, spread across members', async () => {
    const members = [await nc(), await nc(), await nc()];
    const got: number[][] = members.map(() => []);
    members.forEach((m, i) => m.subscribe('v2.q', { queue: 'workers', callback: (_e, msg) => got[i].push(Number(sc.decode(msg.data))) }));
    for (const m of members) await m.flush();
    const p = await nc();
    const N = 300;
    for (let i = 0; i < N; i++) p.publish('v2.q', sc.encode(String(i)));
    await p.flush();
    await checkFor(5000, 10, () => got.flat().length >= N);
    for (const m of members) await m.flush();
    const all = got.flat();
    assert.equal(all.length, N);
    assert.equal(new Set(all).size, N);
    for (const g of got) assert.ok(g.length > 0, `every member receives some (${got.map((x) => x.length)})`);
  });

  test('request/reply (muxed _INBOX subscription)', async () => {
    const r = await nc();
    const replies: string[] = [];
    r.subscribe('v2.svc', {
      callback: (_e, m) => {
        replies.push(m.reply!);
        m.respond(sc.encode(`re:${sc.decode(m.data)}`));
      },
    });
    await r.flush();
    const c = await nc();
    const res = await c.request('v2.svc', sc.encode('ping'), { timeout: 2000 });
    assert.equal(sc.decode(res.data), 're:ping');
    // Many concurrent requests share the one muxed inbox subscription.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => c.request('v2.svc', sc.encode(String(i)), { timeout: 5000 })));
    many.forEach((m, i) => assert.equal(sc.decode(m.data), `re:${i}`));
    assert.match(replies[0], /^_INBOX\.[A-Za-z0-9]+\.[A-Za-z0-9]+$/);
    const prefix = replies[0].split('.').slice(0, 2).join('.');
    for (const rep of replies) assert.ok(rep.startsWith(prefix + '.'), `${rep} shares the mux prefix ${prefix}`);
  });

  test('request/reply with noMux (one inbox per request)', async () => {
    const r = await nc();
    const replies: string[] = [];
    r.subscribe('v2.svc2', {
      callback: (_e, m) => {
        replies.push(m.reply!);
        m.respond(sc.encode('ok'));
      },
    });
    await r.flush();
    const c = await nc();
    const a = await c.request('v2.svc2', sc.encode('1'), { timeout: 2000, noMux: true });
    const b = await c.request('v2.svc2', sc.encode('2'), { timeout: 2000, noMux: true });
    assert.equal(sc.decode(a.data), 'ok');
    assert.equal(sc.decode(b.data), 'ok');
    assert.match(replies[0], /^_INBOX\.[A-Za-z0-9]+$/);
    assert.notEqual(replies[0], replies[1]);
  });

  test('headers round trip (multi-value) on pub/sub and request/reply', async () => {
    const c = await nc();
    const sub = c.subscribe('v2.h', { max: 1, timeout: 5000 });
    const h = headers();
    h.set('X-Id', 'abc');
    h.append('X-Multi', 'one');
    h.append('X-Multi', 'two');
    c.publish('v2.h', sc.encode('body'), { headers: h });
    for await (const m of sub) {
      assert.equal(m.headers?.get('X-Id'), 'abc');
      assert.deepEqual(m.headers?.values('X-Multi'), ['one', 'two']);
      assert.equal(sc.decode(m.data), 'body');
    }

    c.subscribe('v2.hsvc', {
      callback: (_e, m) => {
        const rh = headers();
        rh.set('Echo', m.headers?.get('Q') ?? 'missing');
        m.respond(sc.encode('r'), { headers: rh });
      },
    });
    const qh = headers();
    qh.set('Q', 'question');
    const res = await c.request('v2.hsvc', sc.encode(''), { timeout: 2000, headers: qh });
    assert.equal(res.headers?.get('Echo'), 'question');
  });

  test('no responders: request rejects with ErrorCode.NoResponders (503), muxed and noMux', async () => {
    const c = await nc();
    for (const noMux of [false, true]) {
      await assert.rejects(c.request('v2.nobody.home', sc.encode('x'), { timeout: 3000, noMux }), (e: NatsError) => {
        assert.equal(e.code, ErrorCode.NoResponders);
        assert.equal(e.code, '503');
        return true;
      });
    }
  });

  test('noEcho: own messages are not delivered back, others are', async () => {
    const self = await nc({ noEcho: true });
    const other = await nc();
    const got: string[] = [];
    self.subscribe('v2.echo', { callback: (_e, m) => got.push(sc.decode(m.data)) });
    await self.flush();
    self.publish('v2.echo', sc.encode('mine'));
    await self.flush();
    other.publish('v2.echo', sc.encode('theirs'));
    await other.flush();
    await checkFor(3000, 10, () => got.length >= 1);
    await self.flush();
    assert.deepEqual(got, ['theirs']);
  });

  test('flush resolves; rtt is measurable', async () => {
    const c = await nc();
    await c.flush();
    const rtt = await c.rtt();
    assert.ok(rtt >= 0);
  });

  test('subscription drain delivers pending messages, then closes the subscription', async () => {
    const a = await nc();
    const b = await nc();
    const got: string[] = [];
    const sub = b.subscribe('v2.drain', { callback: (_e, m) => got.push(sc.decode(m.data)) });
    await b.flush();
    for (let i = 0; i < 100; i++) a.publish('v2.drain', sc.encode(String(i)));
    await a.flush();
    await checkFor(3000, 10, () => got.length === 100);
    await sub.drain();
    assert.equal(sub.isClosed(), true);
    a.publish('v2.drain', sc.encode('late'));
    await a.flush();
    await b.flush();
    assert.equal(got.length, 100);
  });

  test('connection drain and close', async () => {
    const a = await nc();
    const closed = a.closed();
    a.subscribe('v2.x', { callback: () => undefined });
    await a.drain();
    assert.equal(a.isClosed(), true);
    assert.equal(await closed, undefined);

    const b = await nc();
    await b.close();
    assert.equal(b.isClosed(), true);
    assert.equal(await b.closed(), undefined);
    assert.throws(() => b.publish('v2.x'), (e: NatsError) => e.code === ErrorCode.ConnectionClosed);
  });

  test('10k messages from one publisher arrive in order', async () => {
    const pubc = await nc();
    const subc = await nc();
    const N = 10_000;
    let next = 0;
    let bad = -1;
    subc.subscribe('v2.order', {
      callback: (_e, m) => {
        const n = Number(sc.decode(m.data));
        if (n !== next && bad < 0) bad = n;
        next++;
      },
    });
    await subc.flush();
    for (let i = 0; i < N; i++) pubc.publish('v2.order', sc.encode(String(i)));
    await pubc.flush();
    await checkFor(20_000, 20, () => next >= N);
    assert.equal(bad, -1, 'out-of-order message');
    assert.equal(next, N);
  });

  test('payload of exactly max_payload round-trips; near max with headers too', async () => {
    const c = await nc();
    const big = new Uint8Array(1048576);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    const sub = c.subscribe('v2.big', { max: 2, timeout: 5000 });
    c.publish('v2.big', big);
    const h = headers();
    h.set('K', 'v');
    const nearly = big.subarray(0, 1048576 - 100);
    c.publish('v2.big', nearly, { headers: h });
    const got: Msg[] = [];
    for await (const m of sub) got.push(m);
    assert.equal(got[0].data.length, 1048576);
    assert.deepEqual(Buffer.from(got[0].data), Buffer.from(big));
    assert.equal(got[1].data.length, nearly.length);
    assert.equal(got[1].headers?.get('K'), 'v');
  });

  test('payload above max_payload is rejected client-side with MAX_PAYLOAD_EXCEEDED', async () => {
    const c = await nc();
    assert.throws(() => c.publish('v2.big', new Uint8Array(1048577)), (e: NatsError) => e.code === ErrorCode.MaxPayloadExceeded);
    // Against a server advertising max_payload 100, 101 bytes fail, 100 are fine.
    const s = await nc({}, small);
    assert.equal(s.info!.max_payload, 100);
    assert.throws(() => s.publish('x', new Uint8Array(101)), (e: NatsError) => e.code === 'MAX_PAYLOAD_EXCEEDED');
    s.publish('x', new Uint8Array(100));
    await s.flush();
    assert.equal(c.isClosed(), false);
    assert.equal(s.isClosed(), false);
  });

  test('lame duck mode is reported as an "ldm" status', async () => {
    const ldm = await startServer({ config: 'lame_duck_duration: "30s"\nlame_duck_grace_period: "10s"\n' });
    try {
      const c = await connect({ servers: ldm.url, reconnect: false });
      conns.push(c);
      await c.flush();
      const seen = (async () => {
        for await (const s of c.status()) if (s.type === Events.LDM) return true;
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
