// Consumer pause (nats-server 2.11, API level 1) through @nats-io/jetstream: `pause_until` at create,
// jsm.consumers.pause / resume, consumer info `paused` / `pause_remaining`, the PAUSE advisories, pull requests
// that wait (and heartbeat) while paused, push delivery held back, the resume at the deadline, errors, and a
// durable's pause kept across a restart. Pauses that must hold are an hour long; the one that must end is 1 s,
// waited for with a bound, so nothing depends on timing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';
import { Advisories, api, isStatus, rawPull, until } from './raw-pull.js';

const HOUR_MS = 3_600_000;

/** Servers write times as Go's RFC3339Nano (trailing zeros of the fraction trimmed): compare instants. */
function sameTime(actual: unknown, expected: Date | string): void {
  assert.equal(typeof actual, 'string');
  assert.equal(Date.parse(actual as string), new Date(expected).getTime());
}

describe('JetStream consumer pause', { timeout: 90_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: 'PS', subjects: ['ps.>'] });
    for (let i = 1; i <= 5; i++) await js.publish('ps.a', `m${i}`);
  });
  after(async () => {
    await srv?.stop();
  });

  test('pause_until at create: info says paused, a fetch gets nothing, the advisory says paused', async () => {
    const adv = new Advisories(nc, '$JS.EVENT.ADVISORY.CONSUMER.PAUSE.PS.C1');
    const until = new Date(Date.now() + HOUR_MS);
    const ci = await jsm.consumers.add('PS', { durable_name: 'C1', ack_policy: AckPolicy.Explicit, pause_until: until.toISOString() });
    sameTime(ci.config.pause_until, until.toISOString());
    assert.equal(ci.paused, true);
    assert.ok((ci.pause_remaining ?? 0) > 0);
    const a = await adv.next((x) => x.paused === true);
    assert.equal(a.type, 'io.nats.jetstream.advisory.v1.consumer_pause');
    assert.equal(a.stream, 'PS');
    assert.equal(a.consumer, 'C1');
    sameTime(a.pause_until, until.toISOString());
    adv.close();

    const c = await js.consumers.get('PS', 'C1');
    let got = 0;
    for await (const m of await c.fetch({ max_messages: 2, expires: 1000 })) {
      got++;
      m.ack();
    }
    assert.equal(got, 0);
    const info = await jsm.consumers.info('PS', 'C1');
    assert.equal(info.paused, true);
    assert.equal(info.delivered.stream_seq, 0);
  });

  test('jsm.consumers.resume delivers again; pause sets it back; both are announced', async () => {
    const adv = new Advisories(nc, '$JS.EVENT.ADVISORY.CONSUMER.PAUSE.PS.C1');
    const r = await jsm.consumers.resume('PS', 'C1');
    assert.equal(r.paused, false);
    const a = await adv.next((x) => x.paused === false);
    assert.equal(a.consumer, 'C1');
    const info = await jsm.consumers.info('PS', 'C1');
    assert.equal(info.paused, undefined);
    assert.equal(info.pause_remaining, undefined);

    const c = await js.consumers.get('PS', 'C1');
    const m = await c.next({ expires: 5000 });
    assert.equal(m?.string(), 'm1');
    m?.ack();

    const until = new Date(Date.now() + HOUR_MS);
    const p = await jsm.consumers.pause('PS', 'C1', until);
    assert.equal(p.paused, true);
    sameTime(p.pause_until, until.toISOString());
    assert.ok(((p as { pause_remaining?: number }).pause_remaining ?? 0) > 0);
    await adv.next((x) => x.paused === true && Date.parse(x.pause_until as string) === until.getTime());
    const after = await jsm.consumers.info('PS', 'C1');
    assert.equal(after.paused, true);
    sameTime(after.config.pause_until, until.toISOString());
    adv.close();
  });

  test('a paused consumer keeps pull requests waiting: heartbeats, then 408; no_wait gets 404', async () => {
    const hb = rawPull(nc, 'PS', 'C1', { batch: 1, expires: 1_500_000_000, idle_heartbeat: 200_000_000 });
    const end = await hb.done;
    assert.equal(end?.headers?.code, 408);
    assert.equal(end?.headers?.get('Nats-Pending-Messages'), '1');
    const beat = hb.msgs.find((m) => isStatus(m) && m.headers?.code === 100);
    // m1 was delivered before the pause: the heartbeat names it.
    assert.equal(beat?.headers?.get('Nats-Last-Consumer'), '1');
    assert.equal(beat?.headers?.get('Nats-Last-Stream'), '1');
    assert.ok(hb.msgs.every((m) => isStatus(m)));

    const nw = rawPull(nc, 'PS', 'C1', { batch: 1, no_wait: true });
    const nwEnd = await nw.done;
    assert.equal(nwEnd?.headers?.code, 404);
  });

  test('a pause that ends resumes delivery by itself, with an advisory', async () => {
    await jsm.streams.add({ name: 'PE', subjects: ['pe.>'] });
    await js.publish('pe.a', 'late');
    const adv = new Advisories(nc, '$JS.EVENT.ADVISORY.CONSUMER.PAUSE.PE.SHORT');
    await jsm.consumers.add('PE', {
      durable_name: 'SHORT',
      ack_policy: AckPolicy.Explicit,
      pause_until: new Date(Date.now() + 1000).toISOString(),
    });
    const pull = rawPull(nc, 'PE', 'SHORT', { batch: 1, expires: 20_000_000_000 }, 20_000);
    const got = await until(() => pull.msgs.find((m) => !isStatus(m)), 20_000);
    pull.stop();
    assert.equal(got?.string(), 'late');
    await adv.next((x) => x.paused === false);
    const info = await jsm.consumers.info('PE', 'SHORT');
    assert.equal(info.paused, undefined);
    adv.close();
  });

  test('a paused push consumer delivers nothing until resumed', async () => {
    await jsm.streams.add({ name: 'PP', subjects: ['pp.>'] });
    for (let i = 1; i <= 3; i++) await js.publish('pp.a', `p${i}`);
    const deliver = createInbox();
    const got: Msg[] = [];
    const sub = nc.subscribe(deliver, { callback: (_e, m) => void (m.data.length > 0 && got.push(m)) });
    await nc.flush();
    await jsm.consumers.add('PP', {
      durable_name: 'PUSH',
      deliver_subject: deliver,
      ack_policy: AckPolicy.None,
      pause_until: new Date(Date.now() + HOUR_MS).toISOString(),
    });
    // A message published while paused is held back too; info and a round trip later still nothing came.
    await js.publish('pp.a', 'p4');
    await nc.flush();
    const paused = await jsm.consumers.info('PP', 'PUSH');
    assert.equal(paused.paused, true);
    assert.equal(paused.delivered.stream_seq, 0);
    assert.equal(got.length, 0);
    await jsm.consumers.resume('PP', 'PUSH');
    // nats-server 2.12 picks a resumed push consumer up at its next message, so one more is published.
    await js.publish('pp.a', 'p5');
    await until(() => got.length >= 5);
    assert.deepEqual(
      got.map((m) => m.string()),
      ['p1', 'p2', 'p3', 'p4', 'p5'],
    );
    sub.unsubscribe();
  });

  test('an update keeps the pause as it is: only CONSUMER.PAUSE changes it', async () => {
    await jsm.consumers.add('PS', { durable_name: 'UPD', ack_policy: AckPolicy.Explicit });
    const update = (extra: Record<string, unknown>) =>
      api(nc, '$JS.API.CONSUMER.CREATE.PS.UPD', {
        stream_name: 'PS',
        action: 'update',
        config: { durable_name: 'UPD', ack_policy: 'explicit', ...extra },
      });
    const ignored = await update({ pause_until: new Date(Date.now() + HOUR_MS).toISOString() });
    assert.equal(ignored.error, undefined);
    assert.equal(ignored.paused, undefined);
    assert.equal((ignored.config as { pause_until?: string }).pause_until, undefined);
    const until = new Date(Date.now() + HOUR_MS);
    await jsm.consumers.pause('PS', 'UPD', until);
    const kept = await update({ max_ack_pending: 10 });
    assert.equal(kept.paused, true);
    sameTime((kept.config as { pause_until: string }).pause_until, until);
  });

  test('errors: unknown consumer 10014, unknown stream 10059, a bad time 10025', async () => {
    await assert.rejects(jsm.consumers.pause('PS', 'NOPE', new Date(Date.now() + HOUR_MS)), (e: unknown) => {
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.code, 10014);
      return true;
    });
    await assert.rejects(jsm.consumers.pause('NOPE', 'NOPE', new Date(Date.now() + HOUR_MS)), (e: unknown) => {
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.code, 10059);
      return true;
    });
    const bad = await api(nc, '$JS.API.CONSUMER.PAUSE.PS.C1', { pause_until: 'tomorrow' });
    assert.equal((bad.error as { err_code: number }).err_code, 10025);
    assert.equal(bad.paused, false);
    assert.equal(bad.pause_until, '0001-01-01T00:00:00Z');
    // An empty request resumes (Go's zero time), and the reply says so.
    const empty = await api(nc, '$JS.API.CONSUMER.PAUSE.PS.UPD');
    assert.equal(empty.type, 'io.nats.jetstream.api.v1.consumer_pause_response');
    assert.equal(empty.paused, false);
    assert.equal(empty.pause_until, '0001-01-01T00:00:00Z');
  });

  test("a durable's pause survives a restart", async () => {
    const until = new Date(Date.now() + HOUR_MS);
    await jsm.consumers.pause('PS', 'C1', until);
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    const info = await jsm.consumers.info('PS', 'C1');
    assert.equal(info.paused, true);
    sameTime(info.config.pause_until, until.toISOString());
    const c = await js.consumers.get('PS', 'C1');
    let got = 0;
    for await (const m of await c.fetch({ max_messages: 1, expires: 1000 })) {
      got++;
      m.ack();
    }
    assert.equal(got, 0);
    await jsm.consumers.resume('PS', 'C1');
    const m = await c.next({ expires: 5000 });
    assert.equal(m?.string(), 'm2');
  });
});
