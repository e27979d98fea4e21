// Publish acknowledgements: the ack itself, Nats-Msg-Id dedup within the window, the Nats-Expected-*
// checks with nats-server's err_codes, rollup, and discard-new limits.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

async function apiError(p: Promise<unknown>): Promise<JetStreamApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof JetStreamApiError, `expected a JetStreamApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the publish to fail');
}

describe('JetStream publish', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: 'P', subjects: ['p.>'] });
  });
  after(async () => {
    await srv?.stop();
  });

  test('acks carry the stream and increasing sequences', async () => {
    const a = await js.publish('p.a', 'one');
    const b = await js.publish('p.b', 'two');
    assert.equal(a.stream, 'P');
    assert.equal(b.seq, a.seq + 1);
    assert.equal(a.duplicate, false);
  });

  test('Nats-Msg-Id dedup returns the first sequence with duplicate: true', async () => {
    const first = await js.publish('p.d', 'x', { msgID: 'id-1' });
    const again = await js.publish('p.d', 'x', { msgID: 'id-1' });
    assert.equal(again.duplicate, true);
    assert.equal(again.seq, first.seq);
    const other = await js.publish('p.d', 'x', { msgID: 'id-2' });
    assert.equal(other.seq, first.seq + 1);
  });

  test('expected last sequence, last subject sequence, last msg id and stream', async () => {
    const last = (await jsm.streams.info('P')).state.last_seq;
    const ok = await js.publish('p.e', 'x', { expect: { lastSequence: last } });
    assert.equal(ok.seq, last + 1);
    const wrong = await apiError(js.publish('p.e', 'x', { expect: { lastSequence: 1 } }));
    assert.equal(wrong.code, 10071);
    assert.equal(wrong.message, `wrong last sequence: ${last + 1}`);
    const subj = await js.publish('p.subj', 'x', { expect: { lastSubjectSequence: 0 } });
    const wrongSubj = await apiError(js.publish('p.subj', 'x', { expect: { lastSubjectSequence: 0 } }));
    assert.equal(wrongSubj.code, 10071);
    await js.publish('p.subj', 'y', { expect: { lastSubjectSequence: subj.seq } });
    await js.publish('p.m', 'x', { msgID: 'm-1' });
    const wrongId = await apiError(js.publish('p.m', 'x', { msgID: 'm-2', expect: { lastMsgID: 'nope' } }));
    assert.equal(wrongId.code, 10070);
    await js.publish('p.m', 'x', { msgID: 'm-3', expect: { lastMsgID: 'm-1' } });
    const wrongStream = await apiError(js.publish('p.m', 'x', { expect: { streamName: 'Q' } }));
    assert.equal(wrongStream.code, 10060);
    const subjOnly = headers();
    subjOnly.set('Nats-Expected-Last-Subject-Sequence-Subject', 'p.e');
    const noSeq = await apiError(js.publish('p.m', 'x', { headers: subjOnly }));
    assert.equal(noSeq.code, 10193);
  });

  test('rollup by subject and of the whole stream', async () => {
    await jsm.streams.add({ name: 'R', subjects: ['r.>'], allow_rollup_hdrs: true });
    for (let i = 0; i < 3; i++) await js.publish('r.a', `${i}`);
    await js.publish('r.b', 'b');
    const h = headers();
    h.set('Nats-Rollup', 'sub');
    await js.publish('r.a', 'rolled', { headers: h });
    let si = await jsm.streams.info('R');
    assert.equal(si.state.messages, 2);
    const h2 = headers();
    h2.set('Nats-Rollup', 'all');
    await js.publish('r.c', 'all', { headers: h2 });
    si = await jsm.streams.info('R');
    assert.equal(si.state.messages, 1);
    const denied = await apiError(js.publish('p.x', 'x', { headers: h2 }));
    assert.equal(denied.code, 10111);
  });

  test('discard new refuses past max_msgs', async () => {
    await jsm.streams.add({ name: 'DN', subjects: ['dn.>'], max_msgs: 2, discard: 'new' as never });
    await js.publish('dn.a', '1');
    await js.publish('dn.a', '2');
    const e = await apiError(js.publish('dn.a', '3'));
    assert.equal(e.code, 10077);
    assert.equal(e.message, 'maximum messages exceeded');
  });

  test('publishes in flight together: acked in order, with and without headers, past a discard-new limit', async () => {
    await jsm.streams.add({ name: 'BATCH', subjects: ['batch.>'], max_msgs: 30, discard: 'new' as never });
    const sent = Array.from({ length: 40 }, (_, i) =>
      js.publish(`batch.${i % 3}`, `m${i}`, i % 7 === 3 ? { msgID: `b-${i}` } : undefined),
    );
    const results = await Promise.allSettled(sent);
    for (let i = 0; i < 40; i++) {
      const r = results[i] as PromiseSettledResult<{ seq: number; stream: string }>;
      if (i < 30) {
        assert.equal(r.status, 'fulfilled', `publish ${i}`);
        assert.equal((r as PromiseFulfilledResult<{ seq: number }>).value.seq, i + 1);
      } else {
        assert.equal(r.status, 'rejected', `publish ${i}`);
        assert.equal(((r as PromiseRejectedResult).reason as JetStreamApiError).code, 10077);
      }
    }
    const m = await jsm.streams.getMessage('BATCH', { seq: 17 });
    assert.equal(m?.string(), 'm16');
    assert.equal(m?.subject, 'batch.1');
  });

  test('a core publish without reply is stored too', async () => {
    const before = (await jsm.streams.info('P')).state.messages;
    nc.publish('p.core', 'fire and forget');
    await nc.flush();
    const m = await jsm.streams.getMessage('P', { last_by_subj: 'p.core' });
    assert.equal(m?.string(), 'fire and forget');
    assert.equal((await jsm.streams.info('P')).state.messages, before + 1);
  });
});

describe('JetStream server storage limits', { timeout: 60_000 }, () => {
  let srv: JsServer;

  before(async () => {
    srv = await startJsServer('jetstream { max_memory_store: 4096, max_file_store: 1048576 }\n');
  });
  after(async () => {
    await srv?.stop();
  });

  test('max_memory_store refuses a larger stream (10028) and publishes once used up (10023)', async () => {
    const nc = await srv.connect();
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const big = await apiError(jsm.streams.add({ name: 'BIG', subjects: ['big'], storage: 'memory' as never, max_bytes: 100_000 }));
    assert.equal(big.code, 10028);
    await jsm.streams.add({ name: 'M', subjects: ['m'], storage: 'memory' as never });
    const payload = 'x'.repeat(100);
    let stored = 0;
    let refused: JetStreamApiError | undefined;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      try {
        await js.publish('m', payload);
        stored++;
      } catch (e) {
        assert.ok(e instanceof JetStreamApiError);
        refused = e;
      }
    }
    assert.equal(refused?.code, 10023);
    assert.equal(refused?.message, 'insufficient resources');
    assert.equal(stored, Math.ceil(4096 / (1 + 100 + 16)));
  });
});

for (const sync of ['always', '"1s"']) {
  describe(`JetStream with sync_interval: ${sync}`, { timeout: 60_000 }, () => {
    let srv: JsServer;

    before(async () => {
      srv = await startJsServer(`jetstream { sync_interval: ${sync} }\n`);
    });
    after(async () => {
      await srv?.stop();
    });

    test('publishes are acked and stored', async () => {
      const nc = await srv.connect();
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'SY', subjects: ['sy.>'] });
      const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => js.publish('sy.x', `${i}`)));
      assert.deepEqual(
        acks.map((a) => a.seq),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.equal((await jsm.streams.info('SY')).state.messages, 20);
    });
  });
}
