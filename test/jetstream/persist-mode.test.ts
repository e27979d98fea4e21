// `persist_mode` (API level 2): "async" acks before the fsync; which configs nats-server takes with it, and
// that acknowledged messages are there after a restart.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, PersistMode, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

describe('JetStream persist_mode', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await srv?.stop();
  });

  const createError = async (cfg: Record<string, unknown>) => {
    const m = await nc.request(`$JS.API.STREAM.CREATE.${String(cfg.name)}`, JSON.stringify(cfg), { timeout: 5000 });
    return (m.json() as { error?: { code: number; err_code: number; description: string } }).error;
  };

  test('async is echoed; default and "" are left out', async () => {
    const a = await jsm.streams.add({ name: 'PA', subjects: ['pa.>'], persist_mode: PersistMode.Async });
    assert.equal(a.config.persist_mode, 'async');
    const d = await jsm.streams.add({ name: 'PD', subjects: ['pd.>'], persist_mode: PersistMode.Default });
    assert.equal('persist_mode' in d.config, false);
    // An identical create is idempotent.
    await jsm.streams.add({ name: 'PA', subjects: ['pa.>'], persist_mode: PersistMode.Async });
  });

  test('refused on memory storage, with atomic publish, and when not a known mode', async () => {
    assert.deepEqual(await createError({ name: 'PM', persist_mode: 'async', storage: 'memory' }), {
      code: 500,
      err_code: 10052,
      description: 'async persist mode is only supported on file storage',
    });
    assert.deepEqual(await createError({ name: 'PB', persist_mode: 'async', allow_atomic: true }), {
      code: 500,
      err_code: 10052,
      description: 'async persist mode is not supported with atomic batch publish',
    });
    assert.deepEqual(await createError({ name: 'PX', persist_mode: 'bogus' }), {
      code: 400,
      err_code: 10025,
      description: 'invalid JSON: can not unmarshal "\\"bogus\\""',
    });
  });

  test('an update may not change it', async () => {
    const upd = await nc.request('$JS.API.STREAM.UPDATE.PA', JSON.stringify({ name: 'PA', subjects: ['pa.>'] }), { timeout: 5000 });
    assert.deepEqual((upd.json() as { error?: unknown }).error, {
      code: 500,
      err_code: 10052,
      description: 'stream configuration update can not change persist mode',
    });
  });

  test('acknowledged publishes are stored and outlive a restart', async () => {
    const js = jetstream(nc);
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => js.publish(`pa.${i % 4}`, `m${i}`)));
    assert.deepEqual(
      acks.map((a) => a.seq),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    const si = await jsm.streams.info('PA');
    assert.equal(si.state.messages, 200);
    assert.equal(si.config.persist_mode, 'async');
    assert.equal((await jsm.streams.getMessage('PA', { seq: 200 }))?.string(), 'm199');
  });
});
