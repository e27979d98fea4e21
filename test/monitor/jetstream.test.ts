// JetStream in HTTP monitoring: /jsz and its options, the /varz `jetstream` block and /healthz's JetStream
// checks, for a server started with `-js -sd <tmp> -m -1` holding two streams (file and memory) and a
// durable consumer made with @nats-io/jetstream. The fields, order and types are nats-server v2.12's for a
// single server; runs against Myelin and, with NATS_SERVER_BIN, nats-server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { isGo } from '../helpers/server.js';
import { get, getJson, startMonitored, type MonitoredServer } from './helpers.js';

type Json = Record<string, unknown>;

/** The head of /jsz as nats-server orders it on a single server (no meta_cluster). */
const JSZ_KEYS = [
  'memory', 'storage', 'reserved_memory', 'reserved_storage', 'accounts', 'ha_assets', 'api', 'server_id', 'now',
  'config', 'limits', 'streams', 'consumers', 'messages', 'bytes',
];

describe('JetStream in monitoring', { timeout: 60_000 }, () => {
  let m: MonitoredServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let storeDir: string;
  let fileBytes = 0;
  let memBytes = 0;

  const start = async (): Promise<void> => {
    m = await startMonitored({ args: ['-m', '-1', '-js', '-sd', storeDir, ...(isGo ? [] : ['--workers', '2'])] });
    nc = await connect({ servers: m.srv.url, reconnect: false });
    jsm = await jetstreamManager(nc);
  };

  before(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'myelin-jsz-'));
    await start();
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    await jsm.streams.add({ name: 'MEM', subjects: ['mem.>'], storage: StorageType.Memory });
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(`orders.${i}`, `order ${i}`);
    for (let i = 0; i < 2; i++) await js.publish('mem.x', 'm');
    await jsm.consumers.add('ORDERS', { durable_name: 'proc', ack_policy: AckPolicy.Explicit });
    // One API error, so the error counter moves.
    await jsm.streams.info('MISSING').catch(() => undefined);
    fileBytes = (await jsm.streams.info('ORDERS')).state.bytes;
    memBytes = (await jsm.streams.info('MEM')).state.bytes;
  });
  after(async () => {
    await nc?.close();
    await m?.srv.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  test('/jsz reports the server-wide usage, counts and config', async () => {
    const j = await getJson(m, '/jsz');
    assert.deepEqual(Object.keys(j), [...JSZ_KEYS, 'total']);
    assert.equal(j.memory, memBytes);
    assert.equal(j.storage, fileBytes);
    assert.equal(j.reserved_memory, 0);
    assert.equal(j.reserved_storage, 0);
    assert.equal(j.accounts, 1);
    assert.equal(j.ha_assets, 0);
    const api = j.api as Json;
    assert.deepEqual(Object.keys(api), ['level', 'total', 'errors']);
    assert.equal(typeof api.level, 'number');
    assert.ok((api.total as number) >= 5, JSON.stringify(api));
    assert.ok((api.errors as number) >= 1, JSON.stringify(api));
    const cfg = j.config as Json;
    assert.ok((cfg.max_memory as number) > 0);
    assert.ok((cfg.max_storage as number) > 0);
    assert.equal(cfg.store_dir, join(storeDir, 'jetstream'));
    assert.deepEqual(j.limits, {});
    assert.equal(j.streams, 2);
    assert.equal(j.consumers, 1);
    assert.equal(j.messages, 5);
    assert.equal(j.bytes, fileBytes + memBytes);
    assert.equal(j.total, 1);
    assert.equal(j.disabled, undefined);
  });

  test('/jsz?accounts=1&streams=1&consumers=1&config=1 details every stream and consumer', async () => {
    const j = await getJson(m, '/jsz?accounts=1&streams=1&consumers=1&config=1');
    assert.deepEqual(Object.keys(j), [...JSZ_KEYS, 'account_details', 'total']);
    const details = j.account_details as Json[];
    assert.equal(details.length, 1);
    const acc = details[0];
    assert.deepEqual(Object.keys(acc), ['name', 'id', 'memory', 'storage', 'reserved_memory', 'reserved_storage', 'accounts', 'ha_assets', 'api', 'stream_detail']);
    assert.equal(acc.name, '$G');
    assert.equal(acc.id, '$G');
    assert.equal(acc.memory, memBytes);
    assert.equal(acc.storage, fileBytes);
    assert.equal(acc.accounts, 0);
    assert.equal((acc.api as Json).level, 0);
    assert.equal(typeof (acc.api as Json).total, 'number');
    const streams = (acc.stream_detail as Json[]).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    assert.deepEqual(streams.map((s) => s.name), ['MEM', 'ORDERS']);
    const orders = streams[1];
    assert.deepEqual(Object.keys(orders), ['name', 'created', 'cluster', 'config', 'state', 'consumer_detail']);
    assert.equal(typeof orders.created, 'string');
    assert.equal((orders.cluster as Json).leader, (await getJson(m, '/varz')).server_name);
    assert.equal((orders.config as Json).name, 'ORDERS');
    const state = orders.state as Json;
    assert.equal(state.messages, 3);
    assert.equal(state.bytes, fileBytes);
    assert.equal(state.consumer_count, 1);
    const consumers = orders.consumer_detail as Json[];
    assert.equal(consumers.length, 1);
    assert.equal(consumers[0].stream_name, 'ORDERS');
    assert.equal(consumers[0].name, 'proc');
    assert.equal((consumers[0].config as Json).durable_name, 'proc');
    assert.equal(consumers[0].num_pending, 3);
    assert.equal(streams[0].consumer_detail, undefined);
  });

  test('/jsz without config leaves the stream and consumer configs out; consumers implies streams', async () => {
    const j = await getJson(m, '/jsz?consumers=1');
    const orders = ((j.account_details as Json[])[0].stream_detail as Json[]).find((s) => s.name === 'ORDERS')!;
    assert.deepEqual(Object.keys(orders), ['name', 'created', 'cluster', 'state', 'consumer_detail']);
    assert.equal((orders.consumer_detail as Json[])[0].config, undefined);
  });

  test('/jsz acc, offset, limit and raft', async () => {
    const one = await getJson(m, '/jsz?acc=$G');
    const details = one.account_details as Json[];
    assert.equal(details.length, 1);
    assert.equal(details[0].stream_detail, undefined);
    assert.equal((await getJson(m, '/jsz?acc=NOPE&streams=1')).account_details, undefined);
    assert.equal((await getJson(m, '/jsz?accounts=1&offset=1')).account_details, undefined);
    assert.equal(((await getJson(m, '/jsz?accounts=1&limit=1')).account_details as Json[]).length, 1);
    const raft = await getJson(m, '/jsz?raft=1');
    assert.equal(raft.streams_leader, 2);
    assert.equal(raft.consumers_leader, 1);
    const bad = await get(m, '/jsz?limit=x');
    assert.equal(bad.status, 400);
    assert.equal(bad.body, `Error decoding int for 'limit': strconv.Atoi: parsing "x": invalid syntax`);
  });

  test('/varz jetstream has the config, the stats and the limits', async () => {
    const v = await getJson(m, '/varz');
    const block = v.jetstream as Json;
    assert.deepEqual(Object.keys(block), ['config', 'stats', 'limits']);
    const jsz = await getJson(m, '/jsz');
    const cfg = block.config as Json;
    for (const k of ['max_memory', 'max_storage', 'store_dir']) assert.equal(cfg[k], (jsz.config as Json)[k], k);
    const stats = block.stats as Json;
    assert.deepEqual(Object.keys(stats), ['memory', 'storage', 'reserved_memory', 'reserved_storage', 'accounts', 'ha_assets', 'api']);
    assert.equal(stats.memory, memBytes);
    assert.equal(stats.storage, fileBytes);
    assert.equal(stats.accounts, 1);
    assert.deepEqual(block.limits, {});
  });

  test('/healthz checks JetStream and the assets it is asked about', async () => {
    for (const path of ['/healthz', '/healthz?js-enabled-only=1', '/healthz?js-server-only=1', '/healthz?account=$G',
      '/healthz?account=$G&stream=ORDERS', '/healthz?account=$G&stream=ORDERS&consumer=proc', '/healthz?details=1']) {
      const res = await get(m, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.body, '{"status":"ok"}', path);
    }
    const cases: [string, number, Json][] = [
      ['/healthz?stream=ORDERS', 400, { status: 'error', error: '"account" must not be empty when checking stream health' }],
      ['/healthz?account=NOPE', 404, { status: 'unavailable', error: 'JetStream account "NOPE" not found' }],
      ['/healthz?account=$G&stream=NOPE', 404, { status: 'unavailable', error: 'JetStream stream "NOPE" not found on account "$G"' }],
      ['/healthz?account=$G&stream=ORDERS&consumer=nope', 404,
        { status: 'unavailable', error: 'JetStream consumer "nope" not found for stream "ORDERS" on account "$G"' }],
      ['/healthz?account=NOPE&details=1', 404,
        { status: 'error', errors: [{ type: 'ACCOUNT', account: 'NOPE', error: 'JetStream account "NOPE" not found' }] }],
    ];
    for (const [path, code, body] of cases) {
      const res = await get(m, path);
      assert.equal(res.status, code, path);
      assert.deepEqual(JSON.parse(res.body), body, path);
    }
  });

  test('/healthz is unavailable when a stream folder was not recovered', async () => {
    await nc.close();
    await m.srv.stop();
    mkdirSync(join(storeDir, 'jetstream', '$G', 'streams', 'BROKEN'), { recursive: true });
    await start();
    const res = await get(m, '/healthz');
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.body), { status: 'unavailable', error: "JetStream stream '$G > BROKEN' could not be recovered" });
    const enabledOnly = await get(m, '/healthz?js-enabled-only=1');
    assert.equal(enabledOnly.status, 200);
    const details = await get(m, '/healthz?details=1');
    assert.equal(details.status, 503);
    assert.deepEqual(JSON.parse(details.body), {
      status: 'error',
      errors: [{ type: 'STREAM', account: '$G', stream: 'BROKEN', error: "JetStream stream '$G > BROKEN' could not be recovered" }],
    });
    // What was recovered is still reported.
    assert.ok(((await getJson(m, '/jsz')).streams as number) >= 1);
  });
});
