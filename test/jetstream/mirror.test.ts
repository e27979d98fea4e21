// Stream `mirror` of a stream on the same server: the origin's sequences, timestamps and headers are kept,
// messages already there and new ones are copied, deleted ones stay gaps, `mirror` info (name, lag, active),
// opt_start_seq and filter_subject, config errors, an origin created after its mirror or deleted, a restart.
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

/** Wait until the stream's last sequence reaches `seq`. */
async function caughtUp(jsm: JetStreamManager, name: string, seq: number): Promise<StreamInfo> {
  return checkFor(10_000, 20, async () => {
    const si = await jsm.streams.info(name);
    return si.state.last_seq >= seq ? si : undefined;
  });
}

for (const config of [undefined, 'jetstream { sync_interval: "2m" }']) {
  describe(`JetStream mirror${config !== undefined ? ' (sync_interval)' : ''}`, { timeout: 90_000 }, () => {
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

    test('copies what the origin has and what comes next, with its sequences, times and headers', async () => {
      await jsm.streams.add({ name: 'O1', subjects: ['o1.>'] });
      const js = jetstream(nc);
      for (let i = 1; i <= 5; i++) await js.publish(`o1.${i % 2 === 0 ? 'even' : 'odd'}`, `m${i}`);
      await jsm.streams.deleteMessage('O1', 2);
      const created = await jsm.streams.add({ name: 'M1', mirror: { name: 'O1' } });
      assert.deepEqual(created.config.mirror, { name: 'O1' });
      assert.equal(created.config.subjects, undefined, 'a mirror has no subjects');
      assert.equal(created.config.duplicate_window, undefined);
      assert.equal(created.mirror?.name, 'O1');
      const h = headers();
      h.set('X-Kind', 'late');
      await js.publish('o1.odd', 'm6', { headers: h });
      for (let i = 7; i <= 40; i++) await js.publish('o1.odd', `m${i}`);
      const si = await caughtUp(jsm, 'M1', 40);
      const origin = await jsm.streams.info('O1');
      assert.equal(si.state.messages, origin.state.messages);
      assert.equal(si.state.first_seq, 1);
      assert.equal(si.state.num_deleted, 1, 'the deleted origin message is a gap in the mirror');
      for (const seq of [1, 3, 6, 40]) {
        const a = await jsm.streams.getMessage('O1', { seq });
        const b = await jsm.streams.getMessage('M1', { seq });
        assert.equal(b?.subject, a?.subject);
        assert.equal(b?.string(), a?.string());
        assert.equal(b?.time.getTime(), a?.time.getTime());
        assert.equal(b?.timestamp, a?.timestamp, 'the origin timestamp, to the nanosecond');
      }
      assert.equal((await jsm.streams.getMessage('M1', { seq: 6 }))?.header.get('X-Kind'), 'late');
      const info = await checkFor(5000, 20, async () => {
        const i = await jsm.streams.info('M1');
        return i.mirror !== undefined && i.mirror.active >= 0 ? i : undefined;
      });
      assert.equal(info.mirror?.lag, 0);
    });

    test('a mirror has no subjects: publishing to the origin subjects stores in the origin only', async () => {
      await jsm.streams.add({ name: 'O2', subjects: ['o2'] });
      await jsm.streams.add({ name: 'M2', mirror: { name: 'O2' } });
      const js = jetstream(nc);
      const ack = await js.publish('o2', 'x');
      assert.equal(ack.stream, 'O2');
      await caughtUp(jsm, 'M2', 1);
      const e = await refused(jsm.streams.add({ name: 'M2B', subjects: ['m2b'], mirror: { name: 'O2' } }));
      assert.deepEqual(e, { code: 10034, description: 'stream mirrors can not contain subjects' });
      const s = await refused(jsm.streams.add({ name: 'M2C', mirror: { name: 'O2' }, sources: [{ name: 'O1' }] }));
      assert.deepEqual(s, { code: 10031, description: 'stream mirrors can not also contain other sources' });
      const n = await refused(jsm.streams.add({ name: 'M2D', mirror: { name: 'bad.name' } }));
      assert.deepEqual(n, { code: 10142, description: 'mirrored stream name is invalid' });
      const u = await refused(jsm.streams.update('M2', { mirror: { name: 'O1' } } as never));
      assert.deepEqual(u, { code: 10055, description: 'stream mirror configuration can not be updated' });
      const cycle = await refused(jsm.streams.add({ name: 'M2E', mirror: { name: 'M2E' } }));
      assert.deepEqual(cycle, { code: 10052, description: 'detected cycle' });
    });

    test('a long gap in the origin becomes deleted sequences in a mirror that holds messages', async () => {
      await jsm.streams.add({ name: 'O11', subjects: ['o11'] });
      await jsm.streams.add({ name: 'M11', mirror: { name: 'O11' } });
      const js = jetstream(nc);
      for (let i = 1; i <= 3; i++) await js.publish('o11', `m${i}`);
      await caughtUp(jsm, 'M11', 3);
      // A purge up to a sequence past the end moves the origin on (nats-server's Compact).
      await jsm.streams.purge('O11', { seq: 20_000 });
      const ack = await js.publish('o11', 'after the gap');
      assert.equal(ack.seq, 20_000);
      const si = await caughtUp(jsm, 'M11', 20_000);
      assert.equal(si.state.messages, 4);
      assert.equal(si.state.num_deleted, 20_000 - 4);
      assert.equal((await jsm.streams.getMessage('M11', { seq: 20_000 }))?.string(), 'after the gap');
    });

    test('mirror_direct follows the origin allow_direct; an identical create is idempotent', async () => {
      await jsm.streams.add({ name: 'O10', subjects: ['o10'], allow_direct: true });
      const cfg = { name: 'M10', mirror: { name: 'O10' } };
      const first = await jsm.streams.add(cfg);
      assert.equal(first.config.mirror_direct, true);
      const again = await jsm.streams.add(cfg);
      assert.equal(again.config.mirror_direct, true);
    });

    test('opt_start_seq and filter_subject', async () => {
      await jsm.streams.add({ name: 'O3', subjects: ['o3.*'] });
      const js = jetstream(nc);
      for (let i = 1; i <= 10; i++) await js.publish(i % 2 === 0 ? 'o3.a' : 'o3.b', `m${i}`);
      await jsm.streams.add({ name: 'M3', mirror: { name: 'O3', opt_start_seq: 5 } });
      const si = await caughtUp(jsm, 'M3', 10);
      assert.equal(si.state.first_seq, 5);
      assert.equal(si.state.messages, 6);
      const fourth = await jsm.streams.getMessage('O3', { seq: 4 });
      await jsm.streams.add({ name: 'M3T', mirror: { name: 'O3', opt_start_time: fourth?.timestamp } });
      const st = await caughtUp(jsm, 'M3T', 10);
      assert.equal(st.state.first_seq, 4, 'starts at the time of seq 4');
      await jsm.streams.add({ name: 'M3F', mirror: { name: 'O3', filter_subject: 'o3.a' } });
      await js.publish('o3.a', 'm11');
      const sf = await caughtUp(jsm, 'M3F', 11);
      assert.equal(sf.state.messages, 6);
      assert.equal((sf.mirror as unknown as Record<string, unknown>).filter_subject, 'o3.a');
      const m = await jsm.streams.getMessage('M3F', { seq: 4 });
      assert.equal(m?.string(), 'm4');
    });

    test('subject_transforms filter and map what the mirror takes; their errors', async () => {
      await jsm.streams.add({ name: 'O9', subjects: ['o9.>'] });
      const js = jetstream(nc);
      await js.publish('o9.a.1', 'a1');
      await js.publish('o9.c', 'skipped');
      await js.publish('o9.b.x.y', 'bxy');
      const transforms = [
        { src: 'o9.a.*', dest: 'm9.$1' },
        { src: 'o9.b.>', dest: '' },
      ];
      await jsm.streams.add({ name: 'M9', mirror: { name: 'O9', subject_transforms: transforms } });
      const si = await caughtUp(jsm, 'M9', 3);
      assert.equal(si.state.messages, 2);
      assert.equal((await jsm.streams.getMessage('M9', { seq: 1 }))?.subject, 'm9.1');
      assert.equal((await jsm.streams.getMessage('M9', { seq: 3 }))?.subject, 'o9.b.x.y');
      assert.deepEqual((si.mirror as unknown as Record<string, unknown>).subject_transforms, transforms);
      assert.deepEqual(si.config.mirror?.subject_transforms, transforms);
      const overlap = await refused(jsm.streams.add({ name: 'M9B', mirror: { name: 'O9', subject_transforms: [{ src: 'o9.>', dest: '' }, { src: 'o9.a', dest: '' }] } }));
      assert.deepEqual(overlap, { code: 10152, description: 'mirror subject filters can not overlap' });
      const both = await refused(jsm.streams.add({ name: 'M9C', mirror: { name: 'O9', filter_subject: 'o9.a', subject_transforms: [{ src: 'o9.>', dest: '' }] } }));
      assert.equal(both.code, 10150);
      const badSrc = await refused(jsm.streams.add({ name: 'M9D', mirror: { name: 'O9', subject_transforms: [{ src: 'o9..x', dest: '' }] } }));
      assert.deepEqual(badSrc, { code: 10151, description: 'mirror transform source: invalid subject o9..x' });
      const badDest = await refused(jsm.streams.add({ name: 'M9E', mirror: { name: 'O9', subject_transforms: [{ src: 'o9.*', dest: 'x.$2' }] } }));
      assert.deepEqual(badDest, { code: 10154, description: 'mirror transform: invalid mapping destination: wildcard index out of range in $2: [2]' });
    });

    test('an origin created after its mirror; a deleted origin leaves the mirror as it was', async () => {
      await jsm.streams.add({ name: 'M4', mirror: { name: 'O4' } });
      const before = await jsm.streams.info('M4');
      assert.equal(before.mirror?.name, 'O4');
      await jsm.streams.add({ name: 'O4', subjects: ['o4'] });
      const js = jetstream(nc);
      for (let i = 0; i < 3; i++) await js.publish('o4', `m${i}`);
      await caughtUp(jsm, 'M4', 3);
      await jsm.streams.delete('O4');
      const after = await jsm.streams.info('M4');
      assert.equal(after.state.messages, 3);
      assert.equal(after.mirror?.name, 'O4');
    });

    test('a consumer on a mirror sees the mirrored messages', async () => {
      await jsm.streams.add({ name: 'O5', subjects: ['o5.>'] });
      await jsm.streams.add({ name: 'M5', mirror: { name: 'O5' } });
      await jsm.consumers.add('M5', { durable_name: 'd', filter_subject: 'o5.x' });
      const js = jetstream(nc);
      await js.publish('o5.x', 'hello');
      const c = await js.consumers.get('M5', 'd');
      const m = await c.next({ expires: 5000 });
      assert.equal(m?.string(), 'hello');
      assert.equal(m?.seq, 1);
    });

    test('a mirror is interest: an interest-retention origin keeps each message until the mirror has it', async () => {
      await jsm.streams.add({ name: 'O7', subjects: ['o7'], retention: RetentionPolicy.Interest });
      await jsm.streams.add({ name: 'M7', mirror: { name: 'O7' } });
      // nats-server sets its mirror consumer up asynchronously: until then there is no interest.
      await checkFor(10_000, 20, async () => ((await jsm.streams.info('M7')).mirror?.active ?? -1) >= 0);
      const js = jetstream(nc);
      for (let i = 1; i <= 3; i++) await js.publish('o7', `m${i}`);
      const si = await caughtUp(jsm, 'M7', 3);
      assert.equal(si.state.messages, 3);
      await checkFor(5000, 20, async () => (await jsm.streams.info('O7')).state.messages === 0);
    });

    test('removing the mirror config promotes the mirror to a stream of its own', async () => {
      await jsm.streams.add({ name: 'O8', subjects: ['o8'] });
      await jsm.streams.add({ name: 'M8', mirror: { name: 'O8' } });
      const js = jetstream(nc);
      await js.publish('o8', 'a');
      await js.publish('o8', 'b');
      await caughtUp(jsm, 'M8', 2);
      const si = await jsm.streams.update('M8', { mirror: undefined, subjects: ['m8'] } as never);
      assert.equal(si.config.mirror, undefined);
      assert.equal(si.mirror, undefined);
      const ack = await js.publish('m8', 'own');
      assert.deepEqual([ack.stream, ack.seq], ['M8', 3]);
      await js.publish('o8', 'c');
      assert.equal((await jsm.streams.info('M8')).state.messages, 3, 'no longer mirrors');
    });

    test('after a restart the mirror continues from its last sequence', async () => {
      await jsm.streams.add({ name: 'O6', subjects: ['o6'] });
      await jsm.streams.add({ name: 'M6', mirror: { name: 'O6' } });
      let js = jetstream(nc);
      for (let i = 1; i <= 5; i++) await js.publish('o6', `m${i}`);
      await caughtUp(jsm, 'M6', 5);
      await srv.restart();
      nc = await srv.connect();
      jsm = await jetstreamManager(nc);
      js = jetstream(nc);
      for (let i = 6; i <= 8; i++) await js.publish('o6', `m${i}`);
      const si = await caughtUp(jsm, 'M6', 8);
      assert.equal(si.state.messages, 8);
      assert.equal((await jsm.streams.getMessage('M6', { seq: 6 }))?.string(), 'm6');
      assert.deepEqual(si.config.mirror, { name: 'O6' });
    });
  });
}
