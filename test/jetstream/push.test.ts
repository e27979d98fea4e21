// Push and ordered consumers: a durable push consumer with heartbeats and flow control, the raw
// heartbeat status message, ordered push and ordered pull consumers over thousands of messages.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { createInbox, nanos, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

const COUNT = 3000;

describe('JetStream push and ordered consumers', { timeout: 90_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: 'PS', subjects: ['ps.>'] });
    const acks = [];
    for (let i = 0; i < COUNT; i++) acks.push(js.publish(`ps.${i % 10}`, `${i}`));
    await Promise.all(acks);
  });
  after(async () => {
    await srv?.stop();
  });

  test('a durable push consumer with flow control delivers everything, explicit acks', async () => {
    const deliver = createInbox();
    await jsm.consumers.add('PS', {
      durable_name: 'PUSH',
      deliver_subject: deliver,
      ack_policy: AckPolicy.Explicit,
      flow_control: true,
      idle_heartbeat: nanos(1000),
    });
    const c = await js.consumers.getPushConsumer('PS', 'PUSH');
    const msgs = await c.consume();
    let n = 0;
    let last = 0;
    for await (const m of msgs) {
      assert.ok(m.seq > last);
      last = m.seq;
      m.ack();
      if (++n === COUNT) break;
    }
    assert.equal(n, COUNT);
  });

  test('heartbeats on an idle push consumer carry Nats-Last-Consumer and Nats-Last-Stream', async () => {
    const deliver = createInbox();
    const got: Msg[] = [];
    const sub = nc.subscribe(deliver, { callback: (_e, m) => void got.push(m) });
    await nc.flush();
    await jsm.consumers.add('PS', {
      durable_name: 'HB',
      deliver_subject: deliver,
      ack_policy: AckPolicy.None,
      deliver_policy: 'new' as never,
      idle_heartbeat: nanos(200),
      flow_control: true,
    });
    for (let i = 0; i < 60 && !got.some((m) => m.headers?.code === 100); i++) await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    const hb = got.find((m) => m.headers?.code === 100);
    assert.ok(hb !== undefined, 'no heartbeat');
    assert.equal(hb.headers?.description, 'Idle Heartbeat');
    assert.equal(hb.headers?.get('Nats-Last-Consumer'), '0');
    assert.equal(hb.headers?.get('Nats-Last-Stream'), String(COUNT));
    assert.equal(hb.data.length, 0);
  });

  test('an ordered push consumer replays the stream in order', async () => {
    const c = await js.consumers.getPushConsumer('PS');
    const msgs = await c.consume();
    let n = 0;
    for await (const m of msgs) {
      n++;
      assert.equal(m.seq, n);
      assert.equal(m.subject, `ps.${(n - 1) % 10}`);
      if (n === COUNT) break;
    }
    assert.equal(n, COUNT);
  });

  test('an ordered pull consumer replays the stream in order, with a filter', async () => {
    const c = await js.consumers.get('PS', { filter_subjects: ['ps.3'] });
    const msgs = await c.consume();
    let n = 0;
    for await (const m of msgs) {
      assert.equal(m.subject, 'ps.3');
      assert.equal(m.string(), String(n * 10 + 3));
      if (++n === COUNT / 10) break;
    }
    assert.equal(n, COUNT / 10);
  });

  test('flow control: past half the window a request comes, and answering it lets delivery finish', async () => {
    await jsm.streams.add({ name: 'FCW', subjects: ['fcw'] });
    const body = new Uint8Array(4096);
    const count = 1000; // 4 MB: past the starting window (2 MiB) of both servers
    const acks = [];
    for (let i = 0; i < count; i++) acks.push(js.publish('fcw', body));
    await Promise.all(acks);
    const deliver = createInbox();
    let got = 0;
    let requests = 0;
    const done = new Promise<void>((resolve) => {
      nc.subscribe(deliver, {
        callback: (_e, m) => {
          if (m.headers?.code === 100) {
            if (m.reply) {
              requests++;
              m.respond();
            }
            return;
          }
          if (++got === count) resolve();
        },
      });
    });
    await nc.flush();
    await jsm.consumers.add('FCW', {
      deliver_subject: deliver,
      ack_policy: AckPolicy.None,
      flow_control: true,
      idle_heartbeat: nanos(1000),
    });
    await done;
    assert.equal(got, count);
    assert.ok(requests >= 1, 'no flow-control request');
  });

  test('a push replay larger than one loop turn\'s share arrives whole and in order, without flow control', async () => {
    await jsm.streams.add({ name: 'BIG', subjects: ['big'] });
    const body = new Uint8Array(2048);
    const count = 1500; // 3 MB: Myelin frames push deliveries 256 KiB per loop turn
    const acks = [];
    for (let i = 0; i < count; i++) acks.push(js.publish('big', body));
    await Promise.all(acks);
    const deliver = createInbox();
    let got = 0;
    let inOrder = true;
    const done = new Promise<void>((resolve) => {
      nc.subscribe(deliver, {
        callback: (_e, m) => {
          if (m.headers?.code === 100) return;
          const seq = Number(m.reply?.split('.')[5]);
          if (seq !== got + 1) inOrder = false;
          if (++got === count) resolve();
        },
      });
    });
    await nc.flush();
    await jsm.consumers.add('BIG', { deliver_subject: deliver, ack_policy: AckPolicy.None });
    await done;
    assert.equal(got, count);
    assert.ok(inOrder, 'deliveries out of order');
  });
});
