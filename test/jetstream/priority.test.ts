// Priority groups on pull consumers (nats-server 2.11/2.12, API level 1) through @nats-io/jetstream and raw
// MSG.NEXT requests: config validation and its error codes, the status lines of refused pull requests,
// overflow (min_pending, min_ack_pending), the pinned client (Nats-Pin-Id, 423s, unpin, the pin timeout, info,
// advisories) and prioritized requests. Every wait is bounded; no assertion depends on timing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { isGo } from '../helpers/server.js';
import { startJsServer, type JsServer } from './js-server.js';
import { Advisories, api, isStatus, rawPull, until } from './raw-pull.js';

/** The client exports PriorityPolicy's values only as a type; these are the wire strings. */
const OVERFLOW = 'overflow' as const;
const PINNED = 'pinned_client' as const;
const PRIORITIZED = 'prioritized' as const;

interface GroupState {
  group: string;
  pinned_client_id?: string;
  pinned_ts: string;
}

/** Consumer info's `priority_groups` (not in the client's ConsumerInfo type). */
function groupsOf(ci: ConsumerInfo): GroupState[] | undefined {
  return (ci as unknown as { priority_groups?: GroupState[] }).priority_groups;
}

function errCode(r: Record<string, unknown>): number | undefined {
  return (r.error as { err_code?: number } | undefined)?.err_code;
}

describe('JetStream priority groups', { timeout: 120_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: 'PQ', subjects: ['pq.>'] });
    for (let i = 1; i <= 5; i++) await js.publish('pq.a', `m${i}`);
  });
  after(async () => {
    await srv?.stop();
  });

  test('create: defaults, and the validation errors with their codes', async () => {
    const ci = await jsm.consumers.add('PQ', {
      durable_name: 'PINDEF',
      ack_policy: AckPolicy.Explicit,
      priority_policy: PINNED,
      priority_groups: ['A'],
    });
    assert.equal(ci.config.priority_timeout, nanos(120_000));
    assert.deepEqual(ci.config.priority_groups, ['A']);
    assert.deepEqual(groupsOf(ci), [{ group: 'A', pinned_ts: '0001-01-01T00:00:00Z' }]);

    const create = (name: string, extra: Record<string, unknown>) =>
      api(nc, `$JS.API.CONSUMER.CREATE.PQ.${name}`, {
        stream_name: 'PQ',
        config: { durable_name: name, ack_policy: 'explicit', ...extra },
      });
    const cases: [Record<string, unknown>, number][] = [
      [{ priority_policy: 'overflow' }, 10159],
      [{ priority_groups: ['A'] }, 10196],
      [{ priority_timeout: 1_000_000_000 }, 10197],
      [{ priority_policy: 'overflow', priority_groups: [''] }, 10161],
      [{ priority_policy: 'overflow', priority_groups: ['a.b'] }, 10162],
      [{ priority_policy: 'overflow', priority_groups: ['abcdefghijklmnopq'] }, 10162],
      [{ priority_policy: 'pinned_client', priority_groups: ['A'], deliver_subject: 'dlv' }, 10178],
      [{ priority_policy: 'bogus', priority_groups: ['A'] }, 10025],
    ];
    for (const [extra, code] of cases) {
      const r = await create('BAD', extra);
      assert.equal(errCode(r), code, JSON.stringify(extra));
    }
    const none = await create('NONE', { priority_policy: 'none', priority_groups: [] });
    assert.equal(none.error, undefined);
    const cfg = none.config as Record<string, unknown>;
    assert.equal(cfg.priority_policy, undefined);
    assert.equal(cfg.priority_groups, undefined);
  });

  test('refused pull requests get nats-server status lines', async () => {
    await jsm.consumers.add('PQ', {
      durable_name: 'OVR',
      ack_policy: AckPolicy.Explicit,
      priority_policy: OVERFLOW,
      priority_groups: ['A'],
    });
    const status = async (consumer: string, body: Record<string, unknown>) => {
      const end = await rawPull(nc, 'PQ', consumer, { batch: 1, expires: 1_000_000_000, ...body }).done;
      return `${end?.headers?.code} ${end?.headers?.description}`;
    };
    assert.equal(await status('PINDEF', {}), '400 Bad Request - Priority Group missing');
    assert.equal(await status('PINDEF', { group: 'Z' }), '400 Bad Request - Invalid Priority Group');
    assert.equal(await status('PINDEF', { group: 'A', min_pending: 3 }), '400 Bad Request - Not a Overflow Priority consumer');
    assert.equal(await status('OVR', { group: 'A', id: 'x' }), '400 Bad Request - Not a Pinned Client Priority consumer');
    assert.equal(await status('OVR', { group: 'A', priority: 10 }), '400 Bad Request - Priority must be between 0 and 9');

    // The client's fetch without a group ends with that 400 as an error.
    const c = await js.consumers.get('PQ', 'OVR');
    await assert.rejects(async () => {
      for await (const m of await c.fetch({ max_messages: 1, expires: 1000 })) m.ack();
    });
  });

  test('overflow: a request with min_pending / min_ack_pending is served only past those marks', async () => {
    const c = await js.consumers.get('PQ', 'OVR');
    const fetchAll = async (opts: Record<string, unknown>) => {
      const got: string[] = [];
      for await (const m of await c.fetch({ max_messages: 1, expires: 1000, group: 'A', ...opts })) got.push(m.string());
      return got;
    };
    assert.deepEqual(await fetchAll({ min_pending: 100 }), []);
    assert.deepEqual(await fetchAll({ min_pending: 5 }), ['m1']);
    assert.deepEqual(await fetchAll({ min_ack_pending: 5 }), []);
    assert.deepEqual(await fetchAll({ min_ack_pending: 1 }), ['m2']);
    assert.deepEqual(await fetchAll({}), ['m3']);
    const nw = await rawPull(nc, 'PQ', 'OVR', { batch: 1, no_wait: true, group: 'A', min_pending: 100 }).done;
    assert.equal(nw?.headers?.code, 404);
  });

  test('pinned client: Nats-Pin-Id, others wait, 423s, unpin, info and advisories', async () => {
    await jsm.consumers.add('PQ', {
      durable_name: 'PIN',
      ack_policy: AckPolicy.Explicit,
      priority_policy: PINNED,
      priority_groups: ['A', 'B'],
    });
    const adv = new Advisories(nc, '$JS.EVENT.ADVISORY.CONSUMER.*.PQ.PIN');
    const first = rawPull(nc, 'PQ', 'PIN', { batch: 1, expires: 5_000_000_000, group: 'A' });
    await first.done;
    const m1 = first.msgs.find((m) => !isStatus(m));
    assert.equal(m1?.string(), 'm1');
    const pin = m1?.headers?.get('Nats-Pin-Id') ?? '';
    assert.equal(pin.length, 22);
    const pinned = await adv.next((a) => a.type === 'io.nats.jetstream.advisory.v1.consumer_group_pinned');
    assert.equal(pinned.pinned_id, pin);
    assert.equal(pinned.group, 'A');
    assert.equal(pinned.stream, 'PQ');
    assert.equal(pinned.consumer, 'PIN');
    const info = await jsm.consumers.info('PQ', 'PIN');
    assert.equal(groupsOf(info)?.[0]?.group, 'A');
    assert.equal(groupsOf(info)?.[0]?.pinned_client_id, pin);

    // Another client (no id) waits while the pin is held, whichever group it names; a wrong id is refused.
    const other = await rawPull(nc, 'PQ', 'PIN', { batch: 1, expires: 1_000_000_000, group: 'B' }).done;
    assert.equal(other?.headers?.code, 408);
    const wrong = await rawPull(nc, 'PQ', 'PIN', { batch: 1, expires: 1_000_000_000, group: 'A', id: 'nope' }).done;
    assert.equal(`${wrong?.headers?.code} ${wrong?.headers?.description}`, '423 Nats-Pin-Id mismatch');
    const again = rawPull(nc, 'PQ', 'PIN', { batch: 1, expires: 5_000_000_000, group: 'A', id: pin });
    await again.done;
    const m2 = again.msgs.find((m) => !isStatus(m));
    assert.equal(m2?.string(), 'm2');
    assert.equal(m2?.headers?.get('Nats-Pin-Id'), pin);

    await jsm.consumers.unpin('PQ', 'PIN', 'A');
    const unpinned = await adv.next((a) => a.type === 'io.nats.jetstream.advisory.v1.consumer_group_unpinned');
    assert.equal(unpinned.reason, 'admin');
    assert.equal(unpinned.group, 'A');
    assert.equal(groupsOf(await jsm.consumers.info('PQ', 'PIN'))?.[0]?.pinned_client_id, undefined);

    // The old id is now stale: the request is dropped with 423 Nats-Wrong-Pin-Id once there is a message.
    const stale = await rawPull(nc, 'PQ', 'PIN', { batch: 1, expires: 5_000_000_000, group: 'A', id: pin }).done;
    assert.equal(`${stale?.headers?.code} ${stale?.headers?.description}`, '423 Nats-Wrong-Pin-Id');
    assert.equal(stale?.headers?.get('Nats-Pending-Messages'), '1');
    const fresh = rawPull(nc, 'PQ', 'PIN', { batch: 1, expires: 5_000_000_000, group: 'B' });
    await fresh.done;
    const newPin = fresh.msgs.find((m) => !isStatus(m))?.headers?.get('Nats-Pin-Id');
    assert.ok(newPin !== undefined && newPin !== pin);
    adv.close();

    const errs = [
      await api(nc, '$JS.API.CONSUMER.UNPIN.PQ.PIN', {}),
      await api(nc, '$JS.API.CONSUMER.UNPIN.PQ.PIN', { group: 'a.b' }),
      await api(nc, '$JS.API.CONSUMER.UNPIN.PQ.PIN', { group: 'Q' }),
      await api(nc, '$JS.API.CONSUMER.UNPIN.PQ.NOPE', { group: 'A' }),
    ];
    assert.deepEqual(errs.map(errCode), [10025, 10162, 10160, 10014]);
  });

  test('pinned client with consume(): one consumer gets everything until its pin times out', async () => {
    await jsm.streams.add({ name: 'PT', subjects: ['pt.>'] });
    await jsm.consumers.add('PT', {
      durable_name: 'PIN',
      ack_policy: AckPolicy.Explicit,
      priority_policy: PINNED,
      priority_groups: ['A'],
      priority_timeout: nanos(1000),
    });
    const adv = new Advisories(nc, '$JS.EVENT.ADVISORY.CONSUMER.*.PT.PIN');
    const c1 = await js.consumers.get('PT', 'PIN');
    const c2 = await js.consumers.get('PT', 'PIN');
    const got1: string[] = [];
    const got2: string[] = [];
    const pins2 = new Set<string>();
    const it1 = await c1.consume({ group: 'A', max_messages: 10, expires: 2000 });
    void (async () => {
      for await (const m of it1) {
        got1.push(m.string());
        m.ack();
      }
    })();
    for (let i = 1; i <= 3; i++) await js.publish('pt.a', `a${i}`);
    assert.ok(await until(() => got1.length >= 3, 15_000));
    const it2 = await c2.consume({ group: 'A', max_messages: 10, expires: 2000 });
    void (async () => {
      for await (const m of it2) {
        got2.push(m.string());
        pins2.add(m.headers?.get('Nats-Pin-Id') ?? '');
        m.ack();
      }
    })();
    for (let i = 4; i <= 6; i++) await js.publish('pt.a', `a${i}`);
    assert.ok(await until(() => got1.length >= 6, 15_000));
    assert.deepEqual(got2, []);
    // The pinned client stops pulling: after priority_timeout the pin goes and the other client takes over.
    await it1.close();
    await adv.next((a) => a.type === 'io.nats.jetstream.advisory.v1.consumer_group_unpinned' && a.reason === 'timeout', 15_000);
    for (let i = 7; i <= 9; i++) await js.publish('pt.a', `a${i}`);
    assert.ok(await until(() => got2.length >= 3, 15_000));
    assert.deepEqual(got2, ['a7', 'a8', 'a9']);
    assert.equal(pins2.size, 1);
    await it2.close();
    adv.close();
  });

  test('prioritized: the waiting request with the lowest priority number is served first', async () => {
    await jsm.streams.add({ name: 'PR', subjects: ['pr.>'] });
    await jsm.consumers.add('PR', {
      durable_name: 'PRI',
      ack_policy: AckPolicy.Explicit,
      priority_policy: PRIORITIZED,
      priority_groups: ['A'],
    });
    const low = rawPull(nc, 'PR', 'PRI', { batch: 1, expires: 20_000_000_000, group: 'A', priority: 5 }, 20_000);
    const high = rawPull(nc, 'PR', 'PRI', { batch: 1, expires: 20_000_000_000, group: 'A', priority: 1 }, 20_000);
    assert.ok(await until(async () => (await jsm.consumers.info('PR', 'PRI')).num_waiting === 2));
    await js.publish('pr.a', 'first');
    assert.equal((await high.done)?.string(), 'first');
    assert.equal(low.msgs.length, 0);
    await js.publish('pr.a', 'second');
    assert.equal((await low.done)?.string(), 'second');
  });

  test('priority settings of a durable survive a restart', async () => {
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    const ci = await jsm.consumers.info('PT', 'PIN');
    assert.equal(ci.config.priority_policy, 'pinned_client');
    assert.deepEqual(ci.config.priority_groups, ['A']);
    assert.equal(ci.config.priority_timeout, nanos(1000));
  });
});
