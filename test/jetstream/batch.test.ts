// Atomic batch publish (`allow_atomic`, API level 2): the client's batch publisher, nothing stored before the
// commit, all-or-nothing on a failed check, and nats-server's err_codes for every broken batch.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';
import { errCode, rawPublish } from './raw-publish.js';

describe('JetStream atomic batch publish', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: 'B', subjects: ['b.>'], allow_atomic: true });
    await jsm.streams.add({ name: 'NB', subjects: ['nb.>'] });
  });
  after(async () => {
    await srv?.stop();
  });

  const messages = async (stream: string) => (await jsm.streams.info(stream)).state.messages;

  test('the config echoes allow_atomic only when set', async () => {
    assert.equal((await jsm.streams.info('B')).config.allow_atomic, true);
    assert.equal('allow_atomic' in (await jsm.streams.info('NB')).config, false);
  });

  test('the client batch publisher: staged messages are stored only at the commit, in order', async () => {
    const before = await messages('B');
    const batch = await js.startBatch('b.one', 'first');
    await batch.add('b.two', 'second', { ack: true });
    assert.equal(await messages('B'), before, 'nothing is stored before the commit');
    const ack = await batch.commit('b.three', 'third');
    assert.equal(ack.count, 3);
    assert.equal(ack.batch, batch.id);
    assert.equal(ack.seq, before + 3);
    assert.equal(await messages('B'), before + 3);
    const first = await jsm.streams.getMessage('B', { seq: before + 1 });
    assert.equal(first?.string(), 'first');
    assert.equal(first?.header?.get('Nats-Batch-Id'), batch.id);
    assert.equal(first?.header?.get('Nats-Batch-Sequence'), '1');
    const last = await jsm.streams.getMessage('B', { seq: before + 3 });
    assert.equal(last?.header?.get('Nats-Batch-Commit'), '1');
  });

  test('staged messages get an empty ack, the commit the batch id and count', async () => {
    assert.equal(await rawPublish(nc, 'b.x', 'a', { 'Nats-Batch-Id': 'raw1', 'Nats-Batch-Sequence': 1 }), undefined);
    const ack = await rawPublish(nc, 'b.x', 'b', { 'Nats-Batch-Id': 'raw1', 'Nats-Batch-Sequence': 2, 'Nats-Batch-Commit': 1 });
    assert.equal(ack?.stream, 'B');
    assert.equal(ack?.batch, 'raw1');
    assert.equal(ack?.count, 2);
    const solo = await rawPublish(nc, 'b.x', 'c', { 'Nats-Batch-Id': 'raw2', 'Nats-Batch-Sequence': 1, 'Nats-Batch-Commit': 1 });
    assert.equal(solo?.count, 1);
    assert.equal(solo?.seq, (ack?.seq ?? 0) + 1);
  });

  test('refused on a stream without allow_atomic, and without a sequence or with a bad id', async () => {
    assert.equal(await errCode(rawPublish(nc, 'nb.x', 'x', { 'Nats-Batch-Id': 'n', 'Nats-Batch-Sequence': 1 })), 10174);
    assert.equal(await errCode(rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'noseq' })), 10175);
    assert.equal(await errCode(rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'i'.repeat(65), 'Nats-Batch-Sequence': 1 })), 10179);
  });

  test('a batch that does not start at 1, has a gap or an invalid commit is incomplete and dropped', async () => {
    const before = await messages('B');
    assert.equal(await errCode(rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'late', 'Nats-Batch-Sequence': 2 })), 10176);
    assert.equal(await errCode(rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'late', 'Nats-Batch-Sequence': 2000 })), 10199);
    assert.equal(await rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'gap', 'Nats-Batch-Sequence': 1 }), undefined);
    assert.equal(await errCode(rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'gap', 'Nats-Batch-Sequence': 3 })), 10176);
    // The batch is gone: its next message starts nothing.
    const after = rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'gap', 'Nats-Batch-Sequence': 4, 'Nats-Batch-Commit': 1 });
    assert.equal(await errCode(after), 10176);
    const badCommit = rawPublish(nc, 'b.x', 'x', { 'Nats-Batch-Id': 'bc', 'Nats-Batch-Sequence': 1, 'Nats-Batch-Commit': 'yes' });
    assert.equal(await errCode(badCommit), 10200);
    assert.equal(await messages('B'), before);
  });

  test('a failed check at the commit stores none of the batch', async () => {
    const before = await messages('B');
    const last = (await jsm.streams.info('B')).state.last_seq;
    await rawPublish(nc, 'b.all', '1', { 'Nats-Batch-Id': 'aon', 'Nats-Batch-Sequence': 1, 'Nats-Expected-Last-Sequence': last });
    await rawPublish(nc, 'b.all', '2', { 'Nats-Batch-Id': 'aon', 'Nats-Batch-Sequence': 2 });
    // Only the first message may expect a sequence: the third one breaks the whole batch.
    const commit = rawPublish(nc, 'b.all', '3', {
      'Nats-Batch-Id': 'aon',
      'Nats-Batch-Sequence': 3,
      'Nats-Expected-Last-Sequence': last + 2,
      'Nats-Batch-Commit': 1,
    });
    assert.equal(await errCode(commit), 10164);
    assert.equal(await messages('B'), before);
    const wrong = await rawPublish(nc, 'b.all', '1', {
      'Nats-Batch-Id': 'aon2',
      'Nats-Batch-Sequence': 1,
      'Nats-Expected-Last-Sequence': 1,
      'Nats-Batch-Commit': 1,
    });
    assert.deepEqual(wrong?.error, { code: 400, err_code: 10071, description: `wrong last sequence: ${last}` });
  });

  test('message ids: a duplicate within the batch or of a stored message fails the batch', async () => {
    const before = await messages('B');
    await rawPublish(nc, 'b.id', 'x', { 'Nats-Batch-Id': 'd1', 'Nats-Batch-Sequence': 1, 'Nats-Msg-Id': 'm1' });
    const dup = rawPublish(nc, 'b.id', 'x', { 'Nats-Batch-Id': 'd1', 'Nats-Batch-Sequence': 2, 'Nats-Msg-Id': 'm1', 'Nats-Batch-Commit': 1 });
    assert.equal(await errCode(dup), 10201);
    const ok = await rawPublish(nc, 'b.id', 'x', { 'Nats-Batch-Id': 'd2', 'Nats-Batch-Sequence': 1, 'Nats-Msg-Id': 'm2', 'Nats-Batch-Commit': 1 });
    assert.equal(ok?.count, 1);
    const again = rawPublish(nc, 'b.id', 'x', { 'Nats-Batch-Id': 'd3', 'Nats-Batch-Sequence': 1, 'Nats-Msg-Id': 'm2', 'Nats-Batch-Commit': 1 });
    assert.equal(await errCode(again), 10201);
    assert.equal(await messages('B'), before + 1);
  });

  test('unsupported headers and rollups in a batch', async () => {
    const lastId = rawPublish(nc, 'b.u', 'x', {
      'Nats-Batch-Id': 'u1',
      'Nats-Batch-Sequence': 1,
      'Nats-Expected-Last-Msg-Id': 'm2',
      'Nats-Batch-Commit': 1,
    });
    const ack = await lastId;
    assert.deepEqual(ack?.error, {
      code: 400,
      err_code: 10177,
      description: 'atomic publish unsupported header used: Nats-Expected-Last-Msg-Id',
    });
    await rawPublish(nc, 'b.q', 'x', { 'Nats-Batch-Id': 'u2', 'Nats-Batch-Sequence': 1 });
    const subjSeq = rawPublish(nc, 'b.q', 'x', {
      'Nats-Batch-Id': 'u2',
      'Nats-Batch-Sequence': 2,
      'Nats-Expected-Last-Subject-Sequence': 0,
      'Nats-Batch-Commit': 1,
    });
    assert.equal(await errCode(subjSeq), 10164);
    const rollup = rawPublish(nc, 'b.q', 'x', { 'Nats-Batch-Id': 'u3', 'Nats-Batch-Sequence': 1, 'Nats-Rollup': 'sub', 'Nats-Batch-Commit': 1 });
    assert.equal(await errCode(rollup), 10111);
  });

  test('a batch that would pass a discard-new limit is refused whole', async () => {
    await jsm.streams.add({ name: 'BL', subjects: ['bl.>'], allow_atomic: true, discard: 'new', max_msgs: 3 });
    await rawPublish(nc, 'bl.x', 'stored');
    for (let i = 1; i <= 3; i++) {
      const h: Record<string, string | number> = { 'Nats-Batch-Id': 'lim', 'Nats-Batch-Sequence': i };
      if (i === 3) h['Nats-Batch-Commit'] = 1;
      const ack = await rawPublish(nc, 'bl.x', `b${i}`, h);
      if (i === 3) assert.deepEqual(ack?.error, { code: 503, err_code: 10077, description: 'maximum messages exceeded' });
    }
    assert.equal(await messages('BL'), 1);
    const fits = await rawPublish(nc, 'bl.x', 'b', { 'Nats-Batch-Id': 'fit', 'Nats-Batch-Sequence': 1, 'Nats-Batch-Commit': 1 });
    assert.equal(fits?.seq, 2);
  });

  test('at most 50 batches are open per stream', async () => {
    await jsm.streams.add({ name: 'BF', subjects: ['bf.>'], allow_atomic: true });
    for (let i = 0; i < 50; i++) {
      assert.equal(await rawPublish(nc, 'bf.x', 'x', { 'Nats-Batch-Id': `open${i}`, 'Nats-Batch-Sequence': 1 }), undefined);
    }
    assert.equal(await errCode(rawPublish(nc, 'bf.x', 'x', { 'Nats-Batch-Id': 'one-too-many', 'Nats-Batch-Sequence': 1 })), 10176);
    const done = await rawPublish(nc, 'bf.x', 'x', { 'Nats-Batch-Id': 'open0', 'Nats-Batch-Sequence': 2, 'Nats-Batch-Commit': 1 });
    assert.equal(done?.count, 2);
    assert.equal(await rawPublish(nc, 'bf.x', 'x', { 'Nats-Batch-Id': 'room-again', 'Nats-Batch-Sequence': 1 }), undefined);
  });

  test('a sealed stream refuses batches and publishes alike', async () => {
    await jsm.streams.add({ name: 'BS', subjects: ['bs.>'], allow_atomic: true });
    const upd = await nc.request('$JS.API.STREAM.UPDATE.BS', JSON.stringify({ name: 'BS', subjects: ['bs.>'], allow_atomic: true, sealed: true }));
    assert.equal((upd.json() as { config?: { sealed?: boolean } }).config?.sealed, true);
    const sealed = { code: 400, err_code: 10109, description: 'invalid operation on sealed stream' };
    assert.deepEqual((await rawPublish(nc, 'bs.x', 'x'))?.error, sealed);
    assert.deepEqual((await rawPublish(nc, 'bs.x', 'x', { Foo: 'bar' }))?.error, sealed);
    assert.deepEqual((await rawPublish(nc, 'bs.x', 'x', { 'Nats-Batch-Id': 's', 'Nats-Batch-Sequence': 1 }))?.error, sealed);
  });

  test('abandoned batches are advised: a gap at once, an unfinished batch after its timeout', async () => {
    const sub = nc.subscribe('$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.B');
    const advisories = (async () => {
      const out: Record<string, unknown>[] = [];
      for await (const m of sub) {
        out.push(m.json());
        if (out.length === 2) break;
      }
      return out;
    })();
    await rawPublish(nc, 'b.ab', 'x', { 'Nats-Batch-Id': 'adv-gap', 'Nats-Batch-Sequence': 1 });
    await rawPublish(nc, 'b.ab', 'x', { 'Nats-Batch-Id': 'adv-gap', 'Nats-Batch-Sequence': 5 });
    await rawPublish(nc, 'b.ab', 'x', { 'Nats-Batch-Id': 'adv-late', 'Nats-Batch-Sequence': 1 });
    // nats-server gives a batch 10 s; the wait is bounded by the test's timeout.
    const [gap, late] = await advisories;
    assert.equal(gap?.type, 'io.nats.jetstream.advisory.v1.stream_batch_abandoned');
    assert.deepEqual([gap?.stream, gap?.batch, gap?.reason], ['B', 'adv-gap', 'incomplete']);
    assert.deepEqual([late?.stream, late?.batch, late?.reason], ['B', 'adv-late', 'timeout']);
    const commit = rawPublish(nc, 'b.ab', 'x', { 'Nats-Batch-Id': 'adv-late', 'Nats-Batch-Sequence': 2, 'Nats-Batch-Commit': 1 });
    assert.equal(await errCode(commit), 10176);
  });

  test('a batch survives nothing but its commit: a restart drops it, stored batches stay', async () => {
    const before = await messages('B');
    await rawPublish(nc, 'b.r', 'x', { 'Nats-Batch-Id': 'rs', 'Nats-Batch-Sequence': 1 });
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    assert.equal(await messages('B'), before);
    const commit = rawPublish(nc, 'b.r', 'x', { 'Nats-Batch-Id': 'rs', 'Nats-Batch-Sequence': 2, 'Nats-Batch-Commit': 1 });
    assert.equal(await errCode(commit), 10176);
  });
});
