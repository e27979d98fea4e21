// Counter streams (`allow_msg_counter`, API level 2): `Nats-Incr` sums as arbitrary-precision integers per
// subject, the stored `{"val":"…"}` body and the ack's `val`, what a counter stream refuses, and the configs
// nats-server refuses with it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';
import { errCode, rawPublish } from './raw-publish.js';

describe('JetStream counters', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'C', subjects: ['c.>'], allow_msg_counter: true });
    await jsm.streams.add({ name: 'NC', subjects: ['nc.>'] });
  });
  after(async () => {
    await srv?.stop();
  });

  const incr = (subject: string, by: string, extra: Record<string, string> = {}) =>
    rawPublish(nc, subject, '', { 'Nats-Incr': by, ...extra });

  test('increments add up per subject; the ack carries the value', async () => {
    assert.deepEqual(await incr('c.a', '1'), { stream: 'C', seq: 1, val: '1' });
    assert.equal((await incr('c.a', '+5'))?.val, '6');
    assert.equal((await incr('c.a', '-10'))?.val, '-4');
    assert.equal((await incr('c.b', '0'))?.val, '0');
    assert.equal((await incr('c.b', '007'))?.val, '7');
  });

  test('values beyond 64 bits are exact', async () => {
    assert.equal((await incr('c.big', '123456789012345678901234567890'))?.val, '123456789012345678901234567890');
    assert.equal((await incr('c.big', '-123456789012345678901234567891'))?.val, '-1');
  });

  test('the stored message is the sum as JSON, with the publish headers kept', async () => {
    await incr('c.h', '2', { Foo: 'bar' });
    const m = await jsm.streams.getMessage('C', { last_by_subj: 'c.h' });
    assert.equal(m?.string(), '{"val":"2"}');
    assert.equal(m?.header?.get('Nats-Incr'), '2');
    assert.equal(m?.header?.get('Foo'), 'bar');
  });

  test('a counter stream refuses publishes without an increment, with a payload or an invalid one', async () => {
    const before = (await jsm.streams.info('C')).state.messages;
    assert.equal(await errCode(rawPublish(nc, 'c.a', 'plain')), 10169);
    assert.equal(await errCode(rawPublish(nc, 'c.a', '')), 10169);
    assert.equal(await errCode(rawPublish(nc, 'c.a', 'x', { 'Nats-Incr': '1' })), 10170);
    assert.equal(await errCode(incr('c.a', '1.5')), 10171);
    assert.equal(await errCode(incr('c.a', 'abc')), 10171);
    assert.equal(await errCode(incr('c.a', '1', { 'Nats-Expected-Last-Sequence': '1' })), 10171);
    assert.equal(await errCode(incr('c.a', '1', { 'Nats-Rollup': 'sub' })), 10171);
    assert.equal((await jsm.streams.info('C')).state.messages, before);
  });

  test('Nats-Msg-Id dedup applies to increments', async () => {
    const first = await incr('c.d', '3', { 'Nats-Msg-Id': 'once' });
    const again = await incr('c.d', '3', { 'Nats-Msg-Id': 'once' });
    assert.equal(again?.duplicate, true);
    assert.equal(again?.seq, first?.seq);
    assert.equal((await incr('c.d', '1'))?.val, '4');
  });

  test('other streams refuse increments', async () => {
    assert.equal(await errCode(incr('nc.a', '1')), 10168);
    assert.equal(await errCode(incr('nc.a', 'x')), 10171);
  });

  test('configs a counter stream cannot have, and the setting cannot change', async () => {
    const refused = async (cfg: Record<string, unknown>) => {
      try {
        await jsm.streams.add({ name: 'CX', subjects: ['cx.>'], allow_msg_counter: true, ...cfg });
      } catch (e) {
        assert.ok(e instanceof JetStreamApiError);
        return e.message;
      }
      assert.fail('expected the create to fail');
    };
    assert.equal(await refused({ discard: 'new' }), 'counter stream cannot use discard new');
    assert.equal(await refused({ allow_msg_ttl: true }), 'counter stream cannot use message TTLs');
    assert.equal(await refused({ retention: 'workqueue' }), 'counter stream can only use limits retention');
    assert.equal(await refused({ allow_msg_schedules: true }), 'counter stream cannot use message schedules');
    const upd = await nc.request('$JS.API.STREAM.UPDATE.NC', JSON.stringify({ name: 'NC', subjects: ['nc.>'], allow_msg_counter: true }));
    assert.equal(
      (upd.json() as { error?: { description: string } }).error?.description,
      'stream configuration update can not change message counter setting',
    );
  });

  test('increments inside an atomic batch use the running total', async () => {
    await jsm.streams.add({ name: 'CB', subjects: ['cb.>'], allow_msg_counter: true, allow_atomic: true });
    assert.equal(await incr('cb.a', '2', { 'Nats-Batch-Id': 'x', 'Nats-Batch-Sequence': '1' }), undefined);
    const ack = await incr('cb.a', '3', { 'Nats-Batch-Id': 'x', 'Nats-Batch-Sequence': '2', 'Nats-Batch-Commit': '1' });
    assert.equal(ack?.count, 2);
    assert.equal(ack?.val, undefined);
    assert.equal((await jsm.streams.getMessage('CB', { seq: 1 }))?.string(), '{"val":"2"}');
    assert.equal((await jsm.streams.getMessage('CB', { seq: 2 }))?.string(), '{"val":"5"}');
  });

  test('the count continues after a restart', async () => {
    const before = (await incr('c.r', '40'))?.val;
    assert.equal(before, '40');
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    assert.equal((await incr('c.r', '2'))?.val, '42');
  });
});
