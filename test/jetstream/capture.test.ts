// Publishes under a `sync_interval` duration (acks do not wait for an fsync), where Myelin stores a header-less
// publish on the thread that receives it (native/store/src/capture.rs) and hands anything else to the
// control plane. What a client must not be able to tell apart: per-publisher order when plain publishes and
// publishes with headers are mixed with many in flight, from connections on different threads; waiting
// consumers see new messages; limits, sealed streams and interest retention answer as before; timestamps
// never go backwards; a restart keeps it all.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  DiscardPolicy,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

const CONFIG = 'jetstream { sync_interval: "1m" }';

describe('JetStream publishes stored on the receiving thread (sync_interval duration)', { timeout: 90_000 }, () => {
  let srv: JsServer;
  let conns: NatsConnection[];
  let jsm: JetStreamManager;

  before(async () => {
    srv = await startJsServer(CONFIG);
    // Connections are dealt round-robin to the server's threads: four cover both of a 2-worker server.
    conns = [];
    for (let i = 0; i < 4; i++) conns.push(await srv.connect());
    jsm = await jetstreamManager(conns[0] as NatsConnection);
  });
  after(async () => {
    await srv?.stop();
  });

  test('per-publisher order holds with plain and header publishes mixed, many in flight, on every thread', async () => {
    await jsm.streams.add({ name: 'ORD', subjects: ['ord.>'] });
    const perPublisher = 600;
    const acks = await Promise.all(
      conns.map(async (nc, p) => {
        const js = jetstream(nc);
        const pending: Promise<PubAck>[] = [];
        for (let i = 0; i < perPublisher; i++) {
          // Every 7th carries a Nats-Msg-Id (the control plane's path); bursts of 100 in flight.
          const opts = i % 7 === 3 ? { msgID: `p${p}-${i}` } : {};
          pending.push(js.publish(`ord.p${p}`, `${p}:${i}`, opts));
          if (pending.length % 100 === 0) await Promise.all(pending.slice(-100));
        }
        return Promise.all(pending);
      }),
    );
    for (const list of acks) {
      for (let i = 1; i < list.length; i++) {
        assert.ok((list[i] as PubAck).seq > (list[i - 1] as PubAck).seq, 'acks of one publisher increase');
      }
    }
    const total = perPublisher * conns.length;
    const info = await jsm.streams.info('ORD');
    assert.equal(info.state.messages, total);
    const next = new Map<string, number>();
    let lastTime = 0n;
    for (let seq = 1; seq <= total; seq++) {
      const m = await jsm.streams.getMessage('ORD', { seq });
      assert.ok(m !== null);
      const [p, i] = m.string().split(':');
      assert.equal(Number(i), next.get(p as string) ?? 0, `publisher ${p} in order at seq ${seq}`);
      next.set(p as string, Number(i) + 1);
      const t = BigInt(m.timestamp.length > 0 ? Date.parse(m.timestamp) : 0);
      assert.ok(t >= lastTime, 'timestamps do not go backwards');
      lastTime = t;
    }
  });

  test('a waiting pull request gets a plain publish made after it', async () => {
    await jsm.streams.add({ name: 'WAIT', subjects: ['wait.>'] });
    await jsm.consumers.add('WAIT', { durable_name: 'w', ack_policy: AckPolicy.Explicit });
    const js = jetstream(conns[1] as NatsConnection);
    const c = await js.consumers.get('WAIT', 'w');
    const iter = await c.fetch({ max_messages: 3, expires: 20_000 });
    const got: string[] = [];
    const done = (async () => {
      for await (const m of iter) {
        got.push(m.string());
        m.ack();
      }
    })();
    const pub = jetstream(conns[2] as NatsConnection);
    for (const s of ['a', 'b', 'c']) await pub.publish(`wait.${s}`, s);
    await done;
    assert.deepEqual(got, ['a', 'b', 'c']);
  });

  test('discard new at max_msgs: the refused publish gets 10077', async () => {
    await jsm.streams.add({ name: 'FULL', subjects: ['full'], max_msgs: 2, discard: DiscardPolicy.New });
    const js = jetstream(conns[3] as NatsConnection);
    await js.publish('full', '1');
    await js.publish('full', '2');
    await assert.rejects(js.publish('full', '3'), (e: unknown) => {
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.code, 10077);
      assert.match(e.message, /maximum messages exceeded/);
      return true;
    });
    assert.equal((await jsm.streams.info('FULL')).state.messages, 2);
  });

  test('a sealed stream refuses plain publishes', async () => {
    await jsm.streams.add({ name: 'SEAL', subjects: ['seal'] });
    const js = jetstream(conns[0] as NatsConnection);
    await js.publish('seal', 'kept');
    const info = await jsm.streams.info('SEAL');
    await jsm.streams.update('SEAL', { ...info.config, sealed: true } as Parameters<JetStreamManager['streams']['update']>[1]);
    await assert.rejects(js.publish('seal', 'refused'), (e: unknown) => {
      assert.ok(e instanceof JetStreamApiError);
      assert.match(e.message, /sealed/);
      return true;
    });
    assert.equal((await jsm.streams.info('SEAL')).state.messages, 1);
  });

  test('interest retention keeps nothing without consumers, and keeps messages for one', async () => {
    await jsm.streams.add({ name: 'INT', subjects: ['int'], retention: RetentionPolicy.Interest });
    const js = jetstream(conns[1] as NatsConnection);
    const a = await js.publish('int', 'nobody');
    assert.equal(a.seq, 1);
    assert.equal((await jsm.streams.info('INT')).state.messages, 0);
    await jsm.consumers.add('INT', { durable_name: 'i', ack_policy: AckPolicy.Explicit });
    await js.publish('int', 'someone');
    assert.equal((await jsm.streams.info('INT')).state.messages, 1);
  });

  test('header-only and plain publishes interleave in one stream across a restart', async () => {
    await jsm.streams.add({ name: 'RST', subjects: ['rst'] });
    const js = jetstream(conns[2] as NatsConnection);
    const h = headers();
    h.set('X-Kind', 'with-header');
    await js.publish('rst', 'one');
    await js.publish('rst', 'two', { headers: h });
    await js.publish('rst', 'three');
    await srv.restart();
    conns = [await srv.connect()];
    jsm = await jetstreamManager(conns[0] as NatsConnection);
    const after = jetstream(conns[0] as NatsConnection);
    const four = await after.publish('rst', 'four');
    assert.equal(four.seq, 4);
    const bodies: string[] = [];
    for (let seq = 1; seq <= 4; seq++) bodies.push((await jsm.streams.getMessage('RST', { seq }))?.string() ?? '');
    assert.deepEqual(bodies, ['one', 'two', 'three', 'four']);
    assert.equal((await jsm.streams.getMessage('RST', { seq: 2 }))?.header.get('X-Kind'), 'with-header');
  });
});
