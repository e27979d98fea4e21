// Pull consumers through @nats-io/jetstream: create forms and defaults, fetch, consume, next with expiry,
// ack / nak / term / redelivery, max_deliver with its advisory, and the raw MSG.NEXT status lines.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { createInbox, nanos, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

describe('JetStream pull consumers', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: 'Q', subjects: ['q.>'] });
    for (let i = 1; i <= 10; i++) await js.publish(`q.${i % 2 === 0 ? 'even' : 'odd'}`, `m${i}`);
  });
  after(async () => {
    await srv?.stop();
  });

  test('durable create fills defaults; identical re-create succeeds; a changed create is 10148', async () => {
    const ci = await jsm.consumers.add('Q', { durable_name: 'D1', ack_policy: AckPolicy.Explicit });
    assert.equal(ci.config.ack_wait, nanos(30_000));
    assert.equal(ci.config.max_ack_pending, 1000);
    assert.equal(ci.config.max_waiting, 512);
    assert.equal(ci.config.max_deliver, -1);
    assert.equal(ci.config.deliver_policy, 'all');
    assert.equal(ci.num_pending, 10);
    const again = await jsm.consumers.add('Q', { durable_name: 'D1', ack_policy: AckPolicy.Explicit });
    assert.equal(again.name, 'D1');
    try {
      await jsm.consumers.add('Q', { durable_name: 'D1', ack_policy: AckPolicy.Explicit, max_deliver: 3 });
      assert.fail('expected 10148');
    } catch (e) {
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.code, 10148);
    }
    try {
      await jsm.consumers.info('Q', 'NOPE');
      assert.fail('expected 10014');
    } catch (e) {
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.code, 10014);
    }
  });

  test('fetch a batch, ack, and see the consumer state move', async () => {
    const c = await js.consumers.get('Q', 'D1');
    const got: string[] = [];
    const iter = await c.fetch({ max_messages: 4, expires: 2000 });
    for await (const m of iter) {
      got.push(m.string());
      m.ack();
    }
    assert.deepEqual(got, ['m1', 'm2', 'm3', 'm4']);
    await nc.flush();
    const ci = await c.info();
    assert.equal(ci.delivered.stream_seq, 4);
    assert.equal(ci.num_pending, 6);
  });

  test('filtered consumer and deliver policies', async () => {
    await jsm.consumers.add('Q', { durable_name: 'EVEN', ack_policy: AckPolicy.Explicit, filter_subject: 'q.even' });
    const even = await js.consumers.get('Q', 'EVEN');
    const m = await even.next({ expires: 2000 });
    assert.equal(m?.string(), 'm2');
    m?.ack();
    await jsm.consumers.add('Q', { durable_name: 'LAST', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.Last });
    const last = await (await js.consumers.get('Q', 'LAST')).next({ expires: 2000 });
    assert.equal(last?.string(), 'm10');
    await jsm.consumers.add('Q', {
      durable_name: 'SEQ',
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 7,
    });
    const seq = await (await js.consumers.get('Q', 'SEQ')).next({ expires: 2000 });
    assert.equal(seq?.seq, 7);
    await jsm.consumers.add('Q', {
      durable_name: 'LPS',
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.LastPerSubject,
      filter_subject: 'q.>',
    });
    const lps = await js.consumers.get('Q', 'LPS');
    const iter = await lps.fetch({ max_messages: 2, expires: 2000 });
    const seqs: number[] = [];
    for await (const x of iter) seqs.push(x.seq);
    assert.deepEqual(seqs, [9, 10]);
  });

  test('next on an exhausted consumer returns null after expires', async () => {
    await jsm.consumers.add('Q', { durable_name: 'NEW', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    const c = await js.consumers.get('Q', 'NEW');
    assert.equal(await c.next({ expires: 1000 }), null);
    const pending = c.next({ expires: 5000 });
    await js.publish('q.late', 'late');
    const m = await pending;
    assert.equal(m?.string(), 'late');
    m?.ack();
  });

  test('consume delivers everything and keeps pulling', async () => {
    await jsm.streams.add({ name: 'C', subjects: ['c.>'] });
    await jsm.consumers.add('C', { durable_name: 'CON', ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 50; i++) await js.publish('c.x', `${i}`);
    const c = await js.consumers.get('C', 'CON');
    const msgs = await c.consume({ max_messages: 7 });
    let n = 0;
    for await (const m of msgs) {
      m.ack();
      n++;
      if (n === 50) break;
    }
    assert.equal(n, 50);
    const ci = await c.info();
    assert.equal(ci.num_pending, 0);
  });

  test('nak redelivers with a higher delivery count; term stops redelivery', async () => {
    await jsm.streams.add({ name: 'N', subjects: ['n.>'] });
    await jsm.consumers.add('N', { durable_name: 'NAK', ack_policy: AckPolicy.Explicit });
    await js.publish('n.a', 'a');
    const c = await js.consumers.get('N', 'NAK');
    const first = await c.next({ expires: 2000 });
    assert.equal(first?.info.deliveryCount, 1);
    first?.nak();
    const again = await c.next({ expires: 2000 });
    assert.equal(again?.seq, 1);
    assert.equal(again?.info.deliveryCount, 2);
    assert.equal(again?.info.redelivered, true);
    again?.term();
    await nc.flush();
    await js.publish('n.b', 'b');
    const second = await c.next({ expires: 2000 });
    assert.equal(second?.seq, 2);
    assert.equal(await second?.ackAck(), true);
    assert.equal(await c.next({ expires: 1000 }), null);
    const ci = await c.info();
    assert.equal(ci.num_ack_pending, 0);
  });

  test('ack wait expiry redelivers; max_deliver stops it with an advisory', async () => {
    await jsm.streams.add({ name: 'MD', subjects: ['md.>'] });
    await jsm.consumers.add('MD', {
      durable_name: 'W',
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(500),
      max_deliver: 2,
    });
    const advisories: Msg[] = [];
    const sub = nc.subscribe('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.MD.W', { callback: (_e, m) => void advisories.push(m) });
    await nc.flush();
    await js.publish('md.a', 'x');
    const c = await js.consumers.get('MD', 'W');
    const m1 = await c.next({ expires: 2000 });
    assert.equal(m1?.info.deliveryCount, 1);
    const m2 = await c.next({ expires: 3000 });
    assert.equal(m2?.info.deliveryCount, 2);
    assert.equal(await c.next({ expires: 2000 }), null);
    for (let i = 0; i < 50 && advisories.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();
    assert.equal(advisories.length, 1);
    const adv = advisories[0]!.json<{ type: string; stream_seq: number; deliveries: number }>();
    assert.equal(adv.type, 'io.nats.jetstream.advisory.v1.max_deliver');
    assert.equal(adv.stream_seq, 1);
    assert.equal(adv.deliveries, 2);
  });

  test('raw MSG.NEXT: no_wait gives 404, expires gives 408 with pending headers', async () => {
    await jsm.consumers.add('Q', { durable_name: 'RAW', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    const inbox = createInbox();
    const got: Msg[] = [];
    const sub = nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.Q.RAW', JSON.stringify({ batch: 1, no_wait: true }), { reply: inbox });
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.Q.RAW', JSON.stringify({ batch: 3, expires: nanos(300) }), { reply: inbox });
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    assert.equal(got.length, 2);
    assert.equal(got[0]!.headers?.code, 404);
    assert.equal(got[0]!.headers?.description, 'No Messages');
    assert.equal(got[1]!.headers?.code, 408);
    assert.equal(got[1]!.headers?.description, 'Request Timeout');
    assert.equal(got[1]!.headers?.get('Nats-Pending-Messages'), '3');
    assert.equal(got[1]!.headers?.get('Nats-Pending-Bytes'), '0');
  });

  test('ephemeral and named-create forms; delete sends 409 to waiting requests', async () => {
    const eph = await jsm.consumers.add('Q', { ack_policy: AckPolicy.None });
    assert.equal(eph.config.durable_name, undefined);
    assert.equal(eph.config.inactive_threshold, nanos(5000));
    const named = await jsm.consumers.add('Q', { name: 'NAMED', ack_policy: AckPolicy.None, filter_subject: 'q.odd' });
    assert.equal(named.name, 'NAMED');
    const names: string[] = [];
    for await (const n of jsm.consumers.list('Q')) names.push(n.name);
    assert.ok(names.includes('NAMED') && names.includes('D1'));
    const inbox = createInbox();
    const got: Msg[] = [];
    const sub = nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
    await jsm.consumers.add('Q', { durable_name: 'GONE', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.Q.GONE', JSON.stringify({ batch: 1, expires: nanos(10_000) }), { reply: inbox });
    await nc.flush();
    assert.equal(await jsm.consumers.delete('Q', 'GONE'), true);
    for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    assert.equal(got[0]?.headers?.code, 409);
    assert.equal(got[0]?.headers?.description, 'Consumer Deleted');
  });
});
