// Message schedules (`allow_msg_schedules`, API level 2): a `Nats-Schedule: @at …` message is stored on its
// target when due, with nats-server's headers, and its own subject is purged; a later message cancels it; the
// checks and err_codes; schedules outlive a restart. Waits poll a bounded number of times, nothing is timed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';
import { errCode, eventually, rawPublish } from './raw-publish.js';

/** `@at` a whole second (nats-server's RFC 3339 without a fraction) `ms` from now. */
const at = (ms: number) => `@at ${new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z')}`;

describe('JetStream message schedules', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  const connect = async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  };
  before(async () => {
    srv = await startJsServer();
    await connect();
    await jsm.streams.add({ name: 'S', subjects: ['s.>'], allow_msg_schedules: true });
    await jsm.streams.add({ name: 'NS', subjects: ['ns.>'] });
  });
  after(async () => {
    await srv?.stop();
  });

  /** The last message on `subject`, once there is one. */
  const lastOn = (subject: string) =>
    eventually(async () => (await jsm.streams.getMessage('S', { last_by_subj: subject }).catch(() => null)) ?? undefined);
  const countOn = async (subject: string) =>
    (await jsm.streams.info('S', { subjects_filter: subject })).state.subjects?.[subject] ?? 0;

  test('a schedule stream turns roll-ups on; discard new is refused', async () => {
    const cfg = (await jsm.streams.info('S')).config;
    assert.equal(cfg.allow_msg_schedules, true);
    assert.equal(cfg.allow_rollup_hdrs, true);
    await assert.rejects(
      jsm.streams.add({ name: 'SX', subjects: ['sx.>'], allow_msg_schedules: true, discard: 'new' }),
      (e: unknown) => e instanceof JetStreamApiError && e.message === 'message scheduling cannot use discard new',
    );
  });

  test('a due schedule is stored on its target with the scheduler headers, and its own subject purged', async () => {
    await rawPublish(nc, 's.sched.b', 'hello', {
      'Nats-Schedule': '@at 2020-01-01T00:00:00Z',
      'Nats-Schedule-Target': 's.target.b',
      Foo: 'bar',
      'Nats-Msg-Id': 'sch-b',
    });
    const m = await lastOn('s.target.b');
    assert.equal(m.string(), 'hello');
    assert.equal(m.header?.get('Nats-Scheduler'), 's.sched.b');
    assert.equal(m.header?.get('Nats-Schedule-Next'), 'purge');
    assert.equal(m.header?.get('Foo'), 'bar');
    assert.equal(m.header?.get('Nats-Msg-Id'), '', 'the schedule headers and msg id stay behind');
    assert.equal(m.header?.get('Nats-Schedule-Target'), '');
    await eventually(async () => ((await countOn('s.sched.b')) === 0 ? true : undefined));
  });

  test('the schedule message itself carries a subject rollup', async () => {
    await rawPublish(nc, 's.sched.c', 'c', { 'Nats-Schedule': at(3_600_000), 'Nats-Schedule-Target': 's.target.c' });
    await rawPublish(nc, 's.sched.c', 'c2', { 'Nats-Schedule': at(3_600_000), 'Nats-Schedule-Target': 's.target.c' });
    const m = await lastOn('s.sched.c');
    assert.equal(m.header?.get('Nats-Rollup'), 'sub');
    assert.equal(await countOn('s.sched.c'), 1, 'the second schedule replaced the first');
  });

  test('a later message on the schedule subject cancels it', async () => {
    await rawPublish(nc, 's.sched.x', 'never', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 's.target.x' });
    await rawPublish(nc, 's.sched.x', 'cancel');
    // A witness due after the cancelled one: once it fired, the cancelled one would have too.
    await rawPublish(nc, 's.sched.w', 'witness', { 'Nats-Schedule': at(2000), 'Nats-Schedule-Target': 's.target.w' });
    await lastOn('s.target.w');
    assert.equal(await countOn('s.target.x'), 0);
    assert.equal(await countOn('s.sched.x'), 2);
  });

  test('the official client schedule option', async () => {
    await js.publish('s.sched.js', 'from-client', { schedule: { specification: new Date(Date.now() - 1000), target: 's.target.js' } });
    assert.equal((await lastOn('s.target.js')).string(), 'from-client');
  });

  test('invalid schedules and schedules on other streams', async () => {
    const pub = (subject: string, hdrs: Record<string, string>) => errCode(rawPublish(nc, subject, 'x', hdrs));
    assert.equal(await pub('ns.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 'ns.t' }), 10188);
    assert.equal(await pub('ns.a', { 'Nats-Schedule-Next': 'purge' }), 10188);
    assert.equal(await pub('s.a', { 'Nats-Schedule': '@every 1s', 'Nats-Schedule-Target': 's.t' }), 10189);
    assert.equal(await pub('s.a', { 'Nats-Schedule': 'tomorrow', 'Nats-Schedule-Target': 's.t' }), 10189);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000) }), 10190);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 's.a' }), 10190);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 's.*' }), 10190);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 'elsewhere' }), 10190);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 's.t', 'Nats-Schedule-TTL': 'bogus' }), 10191);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 's.t', 'Nats-Schedule-TTL': '5s' }), 10166);
    assert.equal(await pub('s.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 's.t', 'Nats-Rollup': 'all' }), 10192);
  });

  test('Nats-Schedule-TTL becomes the produced message\'s Nats-TTL', async () => {
    await jsm.streams.add({ name: 'ST', subjects: ['st.>'], allow_msg_schedules: true, allow_msg_ttl: true });
    await rawPublish(nc, 'st.sched', 'ttl', {
      'Nats-Schedule': '@at 2020-01-01T00:00:00Z',
      'Nats-Schedule-Target': 'st.target',
      'Nats-Schedule-TTL': '1h',
    });
    const m = await eventually(async () => (await jsm.streams.getMessage('ST', { last_by_subj: 'st.target' }).catch(() => null)) ?? undefined);
    assert.equal(m.header?.get('Nats-TTL'), '1h');
    assert.equal(m.header?.get('Nats-Scheduler'), 'st.sched');
  });

  test('a pending schedule fires after a restart', async () => {
    await rawPublish(nc, 's.sched.r', 'after-restart', { 'Nats-Schedule': at(2000), 'Nats-Schedule-Target': 's.target.r' });
    await srv.restart();
    await connect();
    assert.equal((await lastOn('s.target.r')).string(), 'after-restart');
  });
});
