// A stream's own `subject_transform`: published subjects within `src` are stored under the mapped subject,
// others as published; consumers filter on the stored subjects; bad transforms get nats-server's codes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AckPolicy, jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

async function apiCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof JetStreamApiError, String(e));
    return e.code;
  }
  assert.fail('expected an API error');
}

describe('JetStream stream subject_transform', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await srv?.stop();
  });

  test('messages are stored under the mapped subject, with and without headers', async () => {
    const info = await jsm.streams.add({
      name: 'TR',
      subjects: ['orders.>', 'other'],
      subject_transform: { src: 'orders.*.*', dest: 'byregion.$2.$1' },
    });
    assert.deepEqual(info.config.subject_transform, { src: 'orders.*.*', dest: 'byregion.$2.$1' });
    const js = jetstream(nc);
    const a = await js.publish('orders.42.eu', 'plain');
    const h = headers();
    h.set('X-K', 'v');
    const b = await js.publish('orders.7.us', 'with header', { headers: h, msgID: 'm1' });
    const c = await js.publish('other', 'untouched');
    assert.equal((await jsm.streams.getMessage('TR', { seq: a.seq }))?.subject, 'byregion.eu.42');
    assert.equal((await jsm.streams.getMessage('TR', { seq: b.seq }))?.subject, 'byregion.us.7');
    assert.equal((await jsm.streams.getMessage('TR', { seq: c.seq }))?.subject, 'other');
    // A consumer filters on what is stored.
    await jsm.consumers.add('TR', { durable_name: 'eu', filter_subject: 'byregion.eu.>', ack_policy: AckPolicy.Explicit });
    const got: string[] = [];
    for await (const m of await (await jetstream(nc).consumers.get('TR', 'eu')).fetch({ max_messages: 1, expires: 5000 })) {
      got.push(`${m.subject} ${m.string()}`);
      m.ack();
    }
    assert.deepEqual(got, ['byregion.eu.42 plain']);
  });

  test('invalid transforms: 10155 for the source, 10156 for the destination', async () => {
    assert.equal(await apiCode(jsm.streams.add({ name: 'BAD1', subjects: ['b1.>'], subject_transform: { src: 'b1..x', dest: 'y' } })), 10155);
    assert.equal(await apiCode(jsm.streams.add({ name: 'BAD2', subjects: ['b2.>'], subject_transform: { src: 'b2.*', dest: 'y.{{nope(1)}}' } })), 10156);
  });
});
