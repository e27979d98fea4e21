// Stream `sources` on the same server: messages of several origins are stored with new sequences and a
// `Nats-Stream-Source: <origin> <seq> <filter> <dest> <subject>` header, next to the stream's own; `sources`
// info; opt_start_seq and filter_subject; dedup by Nats-Msg-Id across sources; config errors; after a restart
// each source continues after the origin sequence of its newest stored header.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { checkFor } from '../helpers/server.js';
import { startJsServer, type JsServer } from './js-server.js';

async function refused(p: Promise<unknown>): Promise<{ code: number; description: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof JetStreamApiError, String(e));
    return { code: e.apiError().err_code, description: e.apiError().description };
  }
  assert.fail('expected an API error');
}

async function holds(jsm: JetStreamManager, name: string, msgs: number): Promise<StreamInfo> {
  return checkFor(10_000, 20, async () => {
    const si = await jsm.streams.info(name);
    return si.state.messages >= msgs ? si : undefined;
  });
}

for (const config of [undefined, 'jetstream { sync_interval: "2m" }']) {
  describe(`JetStream sources${config !== undefined ? ' (sync_interval)' : ''}`, { timeout: 90_000 }, () => {
    let srv: JsServer;
    let nc: NatsConnection;
    let jsm: JetStreamManager;

    before(async () => {
      srv = await startJsServer(config);
      nc = await srv.connect();
      jsm = await jetstreamManager(nc);
    });
    after(async () => {
      await srv?.stop();
    });

    test('aggregates origins with new sequences and the Nats-Stream-Source header', async () => {
      await jsm.streams.add({ name: 'A', subjects: ['a.>'] });
      await jsm.streams.add({ name: 'B', subjects: ['b.>'] });
      const js = jetstream(nc);
      await js.publish('a.1', 'a1');
      await js.publish('a.2', 'a2');
      const h = headers();
      h.set('Nats-Expected-Stream', 'B');
      h.set('X-Keep', 'yes');
      await js.publish('b.1', 'b1', { headers: h });
      const created = await jsm.streams.add({ name: 'AGG', subjects: ['agg'], sources: [{ name: 'A' }, { name: 'B', filter_subject: 'b.>' }] });
      assert.deepEqual(created.config.sources, [{ name: 'A' }, { name: 'B', filter_subject: 'b.>' }]);
      assert.deepEqual(created.config.subjects, ['agg']);
      await js.publish('agg', 'own');
      await js.publish('a.3', 'a3');
      const si = await holds(jsm, 'AGG', 5);
      assert.equal(si.state.messages, 5);
      assert.equal(si.state.last_seq, 5);
      const bySubject = new Map<string, string>();
      for (let seq = 1; seq <= 5; seq++) {
        const m = await jsm.streams.getMessage('AGG', { seq });
        if (m !== undefined && m !== null) bySubject.set(m.subject, m.header.get('Nats-Stream-Source'));
      }
      assert.equal(bySubject.get('a.1'), 'A 1 > > a.1');
      assert.equal(bySubject.get('a.3'), 'A 3 > > a.3');
      assert.equal(bySubject.get('b.1'), 'B 1 b.> > b.1');
      assert.equal(bySubject.get('agg'), '');
      const b1 = await jsm.streams.getMessage('AGG', { last_by_subj: 'b.1' });
      assert.equal(b1?.header.get('X-Keep'), 'yes');
      assert.equal(b1?.header.get('Nats-Expected-Stream'), '', 'Nats-Expected-* headers are dropped');
      const info = await jsm.streams.info('AGG');
      // nats-server lists sources in map order.
      assert.deepEqual(info.sources?.map((s) => s.name).sort(), ['A', 'B']);
      assert.deepEqual(
        info.sources?.map((s) => s.lag),
        [0, 0],
      );
    });

    test('a stream of sources alone has no subjects; opt_start_seq; a message id is stored once', async () => {
      await jsm.streams.add({ name: 'C', subjects: ['c'] });
      await jsm.streams.add({ name: 'D', subjects: ['d'] });
      const js = jetstream(nc);
      for (let i = 1; i <= 4; i++) await js.publish('c', `c${i}`);
      await js.publish('d', 'first', { msgID: 'same' });
      await js.publish('c', 'dup', { msgID: 'same' });
      const created = await jsm.streams.add({ name: 'CD', sources: [{ name: 'C', opt_start_seq: 3 }, { name: 'D' }] });
      assert.equal(created.config.subjects, undefined);
      const si = await holds(jsm, 'CD', 3);
      // c3, c4, then 'dup' (C) and 'first' (D) carry the same Nats-Msg-Id: only one of them is stored.
      await checkFor(5000, 20, async () => (await jsm.streams.info('CD')).sources?.every((s) => s.lag === 0));
      assert.equal((await jsm.streams.info('CD')).state.messages, 3);
      assert.ok(si.state.first_seq === 1);
    });

    test('a source drains a work-queue origin, as nats-server\'s source consumer does', async () => {
      await jsm.streams.add({ name: 'WQ', subjects: ['wq'], retention: RetentionPolicy.Workqueue });
      await jsm.streams.add({ name: 'FROMWQ', sources: [{ name: 'WQ' }] });
      await checkFor(10_000, 20, async () => ((await jsm.streams.info('FROMWQ')).sources?.[0]?.active ?? -1) >= 0);
      const js = jetstream(nc);
      for (let i = 1; i <= 3; i++) await js.publish('wq', `w${i}`);
      await holds(jsm, 'FROMWQ', 3);
      await checkFor(5000, 20, async () => (await jsm.streams.info('WQ')).state.messages === 0);
    });

    test('subject_transforms map what a source takes, and name it in Nats-Stream-Source', async () => {
      await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
      const js = jetstream(nc);
      await js.publish('t.a.1', 'a1');
      await js.publish('t.c', 'not taken');
      await js.publish('t.b.2', 'b2');
      const transforms = [
        { src: 't.a.*', dest: 'x.$1' },
        { src: 't.b.>', dest: '' },
      ];
      const created = await jsm.streams.add({ name: 'TX', sources: [{ name: 'T', subject_transforms: transforms }] });
      assert.deepEqual(created.config.sources, [{ name: 'T', subject_transforms: transforms }]);
      await holds(jsm, 'TX', 2);
      await checkFor(5000, 20, async () => (await jsm.streams.info('TX')).sources?.every((s) => s.lag === 0));
      const si = await jsm.streams.info('TX');
      assert.equal(si.state.messages, 2);
      const x = await jsm.streams.getMessage('TX', { last_by_subj: 'x.1' });
      assert.equal(x?.header.get('Nats-Stream-Source'), 'T 1 t.a.*\ft.b.> x.$1\f> t.a.1');
      const b = await jsm.streams.getMessage('TX', { last_by_subj: 't.b.2' });
      assert.equal(b?.header.get('Nats-Stream-Source'), 'T 3 t.a.*\ft.b.> x.$1\f> t.b.2');
      assert.deepEqual((si.sources?.[0] as unknown as Record<string, unknown>).subject_transforms, transforms);
      const overlap = await refused(jsm.streams.add({ name: 'TY', sources: [{ name: 'T', subject_transforms: [{ src: 't.>', dest: '' }, { src: 't.a', dest: '' }] }] }));
      assert.deepEqual(overlap, { code: 10147, description: 'source filters can not overlap' });
      const bad = await refused(jsm.streams.add({ name: 'TZ', sources: [{ name: 'T', subject_transforms: [{ src: 't.*', dest: 'x.{{nope(1)}}' }] }] }));
      assert.deepEqual(bad, { code: 10146, description: 'source transform: invalid mapping destination: unknown function in {{nope(1)}}' });
    });

    test('config errors', async () => {
      const dup = await refused(jsm.streams.add({ name: 'E1', sources: [{ name: 'A' }, { name: 'A' }] }));
      assert.deepEqual(dup, { code: 10140, description: 'duplicate source configuration detected' });
      const bad = await refused(jsm.streams.add({ name: 'E2', sources: [{ name: 'a.b' }] }));
      assert.deepEqual(bad, { code: 10141, description: 'sourced stream name is invalid' });
      await jsm.streams.add({ name: 'E3', subjects: ['e3'], sources: [{ name: 'E4' }] });
      const cycle = await refused(jsm.streams.add({ name: 'E4', subjects: ['e4'], sources: [{ name: 'E3' }] }));
      assert.deepEqual(cycle, { code: 10052, description: 'detected cycle' });
    });

    test('after a restart each source continues after its newest stored message', async () => {
      await jsm.streams.add({ name: 'R1', subjects: ['r1'] });
      await jsm.streams.add({ name: 'R2', subjects: ['r2'] });
      await jsm.streams.add({ name: 'RS', sources: [{ name: 'R1' }, { name: 'R2' }] });
      let js = jetstream(nc);
      for (let i = 1; i <= 3; i++) await js.publish('r1', `x${i}`);
      await js.publish('r2', 'y1');
      await holds(jsm, 'RS', 4);
      await srv.restart();
      nc = await srv.connect();
      jsm = await jetstreamManager(nc);
      js = jetstream(nc);
      await js.publish('r1', 'x4');
      await js.publish('r2', 'y2');
      const si = await holds(jsm, 'RS', 6);
      await checkFor(5000, 20, async () => (await jsm.streams.info('RS')).sources?.every((s) => s.lag === 0));
      assert.equal((await jsm.streams.info('RS')).state.messages, 6, 'nothing sourced twice');
      assert.equal(si.state.last_seq, 6);
      const last = await jsm.streams.getMessage('RS', { last_by_subj: 'r1' });
      assert.equal(last?.header.get('Nats-Stream-Source'), 'R1 4 > > r1');
    });
  });
}
