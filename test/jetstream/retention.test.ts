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

/** Subscribe to `inbox` (flushed before it returns); the returned function waits for `want` messages. */
async function collect(nc: NatsConnection, inbox: string, want: number): Promise<() => Promise<Msg[]>> {
  const got: Msg[] = [];
  const sub = nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
  await nc.flush();
  return async () => {
    for (let i = 0; i < 60 && got.length < want; i++) await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    return got;
  };
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
    await jsm.consumers.add('WPI', { durable_name: 'P', ack_policy: AckPolicy.Explicit, ack_wait: nanos(1500) });
    await js.publish('wpi.x', 'x');
    const c = await js.consumers.get('WPI', 'P');
    const m = await c.next({ expires: 2000 });
    assert.ok(m !== null);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
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
    const pending = await collect(nc, inbox, 1);
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MB.C', JSON.stringify({ batch: 1, max_bytes: 10, expires: nanos(2000) }), { reply: inbox });
    const [m] = await pending();
    assert.equal(m?.headers?.code, 409);
    assert.equal(m?.headers?.description, 'Message Size Exceeds MaxBytes');
    await jsm.consumers.add('MB', { durable_name: 'D', ack_policy: AckPolicy.Explicit, max_waiting: 1, deliver_policy: DeliverPolicy.New });
    const inbox2 = createInbox();
    const both = await collect(nc, inbox2, 1);
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MB.D', JSON.stringify({ batch: 1, expires: nanos(3000) }), { reply: inbox2 });
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MB.D', JSON.stringify({ batch: 1, expires: nanos(3000) }), { reply: inbox2 });
    const got = await both();
    assert.equal(got[0]?.headers?.code, 409);
    assert.equal(got[0]?.headers?.description, 'Exceeded MaxWaiting');
  });

  test('max_ack_pending holds deliveries back; max_batch refuses bigger requests', async () => {
    await jsm.streams.add({ name: 'MAP', subjects: ['map.>'] });
    await jsm.consumers.add('MAP', { durable_name: 'M', ack_policy: AckPolicy.Explicit, max_ack_pending: 2, max_batch: 5 });
    for (let i = 0; i < 4; i++) await js.publish('map.x', `${i}`);
    const c = await js.consumers.get('MAP', 'M');
    const first: { ackAck: () => Promise<boolean> }[] = [];
    for await (const m of await c.fetch({ max_messages: 4, expires: 1000 })) first.push(m);
    assert.equal(first.length, 2);
    await first[0]!.ackAck();
    const more = await c.next({ expires: 1000 });
    assert.equal(more?.seq, 3);
    const inbox = createInbox();
    const pending = await collect(nc, inbox, 1);
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.MAP.M', JSON.stringify({ batch: 6, expires: nanos(1000) }), { reply: inbox });
    const [refused] = await pending();
    assert.equal(refused?.headers?.code, 409);
    assert.equal(refused?.headers?.description, 'Exceeded MaxRequestBatch of 5');
  });

  test('stream info with subjects_filter lists per-subject counts', async () => {
    await jsm.streams.add({ name: 'SF', subjects: ['sf.>'] });
    await js.publish('sf.a', '1');
    await js.publish('sf.a', '2');
    await js.publish('sf.b', '3');
    const si = await jsm.streams.info('SF', { subjects_filter: '>' });
    assert.deepEqual(si.state.subjects, { 'sf.a': 2, 'sf.b': 1 });
    assert.equal(si.state.num_subjects, 2);
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

  test('the API level header: the served level passes, a value that is not an integer is 10185', async () => {
    const info = await jsm.getAccountInfo();
    const ask = async (level: string) => {
      const h = headers();
      h.set('Nats-Required-Api-Level', level);
      const r = await nc.request('$JS.API.INFO', '', { headers: h, timeout: 5000 });
      return r.json<{ error?: { err_code: number }; api?: { level: number } }>();
    };
    assert.equal((await ask(String(info.api.level ?? 0))).api?.level, info.api.level);
    assert.equal((await ask('one')).error?.err_code, 10185);
    assert.equal((await ask('0.5')).error?.err_code, 10185);
  });
});
