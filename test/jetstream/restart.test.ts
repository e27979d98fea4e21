// A restart on the same store directory keeps streams, their configs and durable consumers with their
// positions and pending acks.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startJsServer, type JsServer } from './js-server.js';

describe('JetStream restart', { timeout: 60_000 }, () => {
  let srv: JsServer;

  before(async () => {
    srv = await startJsServer();
  });
  after(async () => {
    await srv?.stop();
  });

  test('streams and durable consumer positions survive a restart', async () => {
    let nc = await srv.connect();
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'], max_msgs_per_subject: 3 });
    await jsm.consumers.add('KEEP', { durable_name: 'DUR', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish('keep.a', `${i}`);
    const c = await js.consumers.get('KEEP', 'DUR');
    let n = 0;
    for await (const m of await c.fetch({ max_messages: 3, expires: 2000 })) {
      if (++n < 3) await m.ackAck();
    }
    await nc.flush();
    const before = await jsm.consumers.info('KEEP', 'DUR');
    assert.ok(before.num_ack_pending >= 1);
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    const si = await jsm.streams.info('KEEP');
    assert.equal(si.config.max_msgs_per_subject, 3);
    assert.deepEqual(si.config.subjects, ['keep.>']);
    const ci = await jsm.consumers.info('KEEP', 'DUR');
    assert.equal(ci.delivered.stream_seq, before.delivered.stream_seq);
    assert.equal(ci.delivered.consumer_seq, before.delivered.consumer_seq);
    assert.equal(ci.num_ack_pending, before.num_ack_pending);
  });
});
