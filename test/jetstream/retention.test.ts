// Retention and the rarer ack paths: work-queue and interest streams, ack-all, in-progress (+WPI),
// backoff, and pull requests refused or cut short (max_bytes, max_waiting), and the API level header.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { createInbox, headers, nanos, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

async function collect(nc: NatsConnection, inbox: string, want: number): Promise<Msg[]> {
  const got: Msg[] = [];
  const sub = nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
  await nc.flush();
  return new Promise((resolve) => {
    let i = 0;
    const poll = () => {
      if (got.length >= want || i++ > 60) {
        sub.unsubscribe();
        resolve(got);
      } else setTimeout(poll, 50);
    };
    poll();
  });
}

describe('JetStream retention and ack details', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });
  after(async () => {
    await srv?.stop();
  });

  test('work-queue: an acked message leaves the stream; a second unfiltered consumer is refused', async () => {
    await jsm.streams.add({ name: 'WQ', subjects: ['wq.>'], retention: RetentionPolicy.Workqueue });
    await jsm.consumers.add('WQ', { durable_name: 'W', ack_policy: AckPolicy.Explicit });
    try {
      await jsm.consumers.add('WQ', { durable_name: 'W2', ack_policy: AckPolicy.Explicit });
      assert.fail('expected 10099');
    } catch (e) {
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.code, 10099);
    }
    await js.publish('wq.a', '1');
    await js.publish('wq.a', '2');
    const c = await js.consumers.get('WQ', 'W');
    const m = await c.next({ expires: 2000 });
    assert.equal(await m?.ackAck(), true);
    const si = await jsm.streams.info('WQ');
    assert.equal(si.state.messages, 1);
    assert.equal(si.state.first_seq, 2);
  });

  test('interest: kept until every interested consumer acks', async () => {
    await jsm.streams.add({ name: 'INT', subjects: ['int.>'], retention: RetentionPolicy.Interest });
    await jsm.consumers.add('INT', { durable_name: 'A', ack_policy: AckPolicy.Explicit });
    await jsm.consumers.add('INT', { durable_name: 'B', ack_policy: AckPolicy.Explicit });
    await js.publish('int.x', 'x');
    const a = await (await js.consumers.get('INT', 'A')).next({ expires: 2000 });
    assert.equal(await a?.ackAck(), true);
    assert.equal((await jsm.streams.info('INT')).state.messages, 1);
    const b = await (await js.consumers.get('INT', 'B')).next({ expires: 2000 });
    assert.equal(await b?.ackAck(), true);
    assert.equal((await jsm.streams.info('INT')).state.messages, 0);
  });

  test('ack all acknowledges everything up to the acked message', async () => {
    await jsm.streams.add({ name: 'AA', subjects: ['aa.>'] });
    await jsm.consumers.add('AA', { durable_name: 'ALL', ack_policy: AckPolicy.All });
    for (let i = 0; i < 5; i++) await js.publish('aa.x', `${i}`);
    const c = await js.consumers.get('AA', 'ALL');
    const msgs: { seq: number; ackAck: () => Promise<boolean> }[] = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 2000 })) msgs.push(m);
    assert.equal(msgs.length, 5);
    assert.equal(await msgs[3]!.ackAck(), true);
    const ci = await c.info();
    assert.equal(ci.num_ack_pending, 1);
    assert.equal(ci.ack_floor.stream_seq, 4);
  });

  test('+WPI keeps a message from being redelivered while work continues', async () => {
    await jsm.streams.add({ name: 'WPI', subjects: ['wpi.>'] });
    await jsm.consumers.add('WPI', { durable_name: 'P', ack_policy: AckPolicy.Explicit, ack_wait: nanos(600) });
    await js.publish('wpi.x', 'x');
    const c = await js.consumers.get('WPI', 'P');
    const m = await c.next({ expires: 2000 });
    assert.ok(m !== null);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 300));
      m.working();
    }
    await nc.flush();
    assert.equal((await c.info()).num_redelivered, 0);
    assert.equal(await m.ackAck(), true);
  });

  test('backoff sets ack_wait to its first step and spaces redeliveries', async () => {
    await jsm.streams.add({ name: 'BO', subjects: ['bo.>'] });
    const ci = await jsm.consumers.add('BO', {
      durable_name: 'B',
      ack_policy: AckPolicy.Explicit,
      backoff: [nanos(200), nanos(400)],
      max_deliver: 3,
    });
    assert.equal(ci.config.ack_wait, nanos(200));
    await js.publish('bo.x', 'x');
    const c = await js.consumers.get('BO', 'B');
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await c.next({ expires: 3000 });
      if (m !== null) counts.push(m.info.deliveryCount);
    }
    assert.deepEqual(counts, [1, 2, 3]);
  });

  test('pull: max_bytes too small is 409, too many waiting is 409 Exceeded MaxWaiting', async () => {
    await jsm.streams.add({ name: 'MB', subjects: ['mb.>'] });
    await jsm.consumers.add('MB', { durable_name: 'C', ack_policy: AckPolicy.Explicit, max_waiting: 1 });
    await js.publish('mb.x', 'a fairly long payload that will not fit');
    const inbox = createInbox();
    const pending = collect(nc, inbox, 1);
    await new Promise((r) => setTimeout(r, 50));
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MB.C', JSON.stringify({ batch: 1, max_bytes: 10, expires: nanos(2000) }), { reply: inbox });
    const [m] = await pending;
    assert.equal(m?.headers?.code, 409);
    assert.equal(m?.headers?.description, 'Message Size Exceeds MaxBytes');
    await jsm.consumers.add('MB', { durable_name: 'D', ack_policy: AckPolicy.Explicit, max_waiting: 1, deliver_policy: DeliverPolicy.New });
    const inbox2 = createInbox();
    const both = collect(nc, inbox2, 1);
    await new Promise((r) => setTimeout(r, 50));
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MB.D', JSON.stringify({ batch: 1, expires: nanos(3000) }), { reply: inbox2 });
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MB.D', JSON.stringify({ batch: 1, expires: nanos(3000) }), { reply: inbox2 });
    const got = await both;
    assert.equal(got[0]?.headers?.code, 409);
    assert.equal(got[0]?.headers?.description, 'Exceeded MaxWaiting');
  });

  test('a request asking for a higher API level than served is 412 / 10185', async () => {
    const info = await jsm.getAccountInfo();
    const h = headers();
    h.set('Nats-Required-Api-Level', String((info.api.level ?? 0) + 1));
    const r = await nc.request('$JS.API.INFO', '', { headers: h, timeout: 5000 });
    const body = r.json<{ error: { code: number; err_code: number } }>();
    assert.equal(body.error.code, 412);
    assert.equal(body.error.err_code, 10185);
  });
});
