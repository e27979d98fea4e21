// Stream `republish`: after a message is stored, a copy goes to the mapped destination with nats-server's
// headers (Nats-Stream, Nats-Subject, Nats-Sequence, Nats-Time-Stamp, Nats-Last-Sequence, and Nats-Msg-Size
// instead of the payload with headers_only), for every publish path (plain, with headers, and under a
// sync_interval where plain publishes are otherwise stored on the receiving thread); config errors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { checkFor } from '../helpers/server.js';
import { startJsServer, type JsServer } from './js-server.js';

/** Collect what a subscription receives. */
function collect(sub: Subscription): Msg[] {
  const got: Msg[] = [];
  void (async () => {
    for await (const m of sub) got.push(m);
  })();
  return got;
}

async function refused(p: Promise<unknown>): Promise<{ code: number; description: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof JetStreamApiError, String(e));
    return { code: e.apiError().err_code, description: e.apiError().description };
  }
  assert.fail('expected an API error');
}

for (const config of [undefined, 'jetstream { sync_interval: "2m" }']) {
  describe(`JetStream republish${config !== undefined ? ' (sync_interval)' : ''}`, { timeout: 60_000 }, () => {
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

    test('each stored message is republished with the stream headers, mapped by token', async () => {
      await jsm.streams.add({ name: 'RP', subjects: ['orders.*.*'], republish: { src: 'orders.*.>', dest: 'rp.$1.>' } as never });
      const sub = nc.subscribe('rp.>');
      const got = collect(sub);
      await nc.flush();
      const js = jetstream(nc);
      const h = headers();
      h.set('X-Own', 'kept');
      const a1 = await js.publish('orders.eu.1', 'one');
      const a2 = await js.publish('orders.us.2', 'two', { headers: h });
      const a3 = await js.publish('orders.eu.1', 'three');
      await checkFor(5000, 20, () => got.length === 3);
      const [m1, m2, m3] = got as [Msg, Msg, Msg];
      assert.equal(m1.subject, 'rp.eu.1');
      assert.equal(m1.string(), 'one');
      assert.equal(m1.headers?.get('Nats-Stream'), 'RP');
      assert.equal(m1.headers?.get('Nats-Subject'), 'orders.eu.1');
      assert.equal(m1.headers?.get('Nats-Sequence'), String(a1.seq));
      assert.equal(m1.headers?.get('Nats-Last-Sequence'), '0');
      assert.match(m1.headers?.get('Nats-Time-Stamp') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(m1.headers?.get('Nats-Msg-Size'), '');
      assert.equal(m2.subject, 'rp.us.2');
      assert.equal(m2.headers?.get('X-Own'), 'kept');
      assert.equal(m2.headers?.get('Nats-Sequence'), String(a2.seq));
      assert.equal(m3.headers?.get('Nats-Sequence'), String(a3.seq));
      assert.equal(m3.headers?.get('Nats-Last-Sequence'), String(a1.seq), 'the previous sequence of the same subject');
      // The stored message is the one published, without the republish headers.
      const stored = await jsm.streams.getMessage('RP', { seq: a1.seq });
      assert.equal(stored?.header.get('Nats-Stream') ?? '', '');
      sub.unsubscribe();
    });

    test('headers_only sends Nats-Msg-Size and no payload; src narrows what is republished', async () => {
      await jsm.streams.add({ name: 'HO', subjects: ['ho.>'], republish: { src: 'ho.keep.>', dest: 'hor.>', headers_only: true } as never });
      const sub = nc.subscribe('hor.>');
      const got = collect(sub);
      await nc.flush();
      const js = jetstream(nc);
      await js.publish('ho.skip.x', 'not this one');
      const a = await js.publish('ho.keep.x', '12345');
      await checkFor(5000, 20, () => got.length === 1);
      const m = got[0] as Msg;
      assert.equal(m.subject, 'hor.x', "the destination's > is what the source's > matched");
      assert.equal(m.data.length, 0);
      assert.equal(m.headers?.get('Nats-Msg-Size'), '5');
      assert.equal(m.headers?.get('Nats-Sequence'), String(a.seq));
      sub.unsubscribe();
    });

    test('many plain publishes are all republished, in order', async () => {
      await jsm.streams.add({ name: 'MANY', subjects: ['many'], republish: { src: 'many', dest: 'many.copy' } as never });
      const sub = nc.subscribe('many.copy');
      const got = collect(sub);
      await nc.flush();
      const js = jetstream(nc);
      const n = 500;
      await Promise.all(Array.from({ length: n }, (_, i) => js.publish('many', String(i))));
      await checkFor(10_000, 20, () => got.length === n);
      const seqs = got.map((m) => Number(m.headers?.get('Nats-Sequence')));
      for (let i = 1; i < n; i++) assert.equal(seqs[i], (seqs[i - 1] as number) + 1);
      sub.unsubscribe();
    });

    test('config errors: a destination overlapping the subjects is a cycle; a bad mapping is refused', async () => {
      const cycle = await refused(jsm.streams.add({ name: 'C1', subjects: ['c1.>'], republish: { src: '>', dest: 'c1.x' } as never }));
      assert.deepEqual(cycle, { code: 10052, description: 'stream configuration for republish destination forms a cycle' });
      const bad = await refused(jsm.streams.add({ name: 'C2', subjects: ['c2.*'], republish: { src: 'c2.*', dest: 'out.$2' } as never }));
      assert.deepEqual(bad, { code: 10052, description: "stream configuration for republish with transform from 'c2.*' to 'out.$2' not valid" });
      const wild = await refused(jsm.streams.add({ name: 'C3', subjects: ['c3.*'], republish: { src: 'c3.*', dest: 'out.*' } as never }));
      assert.equal(wild.code, 10052);
      // A source with `>` needs a destination with `>` (the default source is `>`).
      const fwc = await refused(jsm.streams.add({ name: 'C4', subjects: ['c4'], republish: { dest: 'out.c4' } as never }));
      assert.deepEqual(fwc, { code: 10052, description: "stream configuration for republish with transform from '>' to 'out.c4' not valid" });
    });

    test('the config reads back with src filled in, and an identical create is idempotent', async () => {
      const cfg = { name: 'RB', subjects: ['rb.>'], republish: { dest: 'rbx.>' } as never };
      const info = await jsm.streams.add(cfg);
      assert.deepEqual(info.config.republish, { src: '>', dest: 'rbx.>' });
      const again = await jsm.streams.add(cfg);
      assert.deepEqual(again.config.republish, { src: '>', dest: 'rbx.>' });
    });
  });
}
