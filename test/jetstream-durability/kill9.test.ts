// kill -9 in the middle of a publish loop (official client, one publish in flight, each ack awaited), then a
// restart on the same store directory: every acknowledged message is there, in order, and no sequence is
// reused. Several cycles, so recovery also runs over a store that was itself recovered.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { killCycles } from './check.js';
import { RestartableServer } from './restartable.js';
import { isGo } from '../helpers/server.js';

describe('JetStream durability: kill -9 during publishing', { timeout: 180_000 }, () => {
  const rs = new RestartableServer();
  after(async () => {
    await rs.dispose();
  });

  test('every acked message survives, in order, sequences never reused (4 cycles)', async () => {
    const total = await killCycles(rs, 4, 150);
    assert.ok(total >= 4 * 150);
  });
});

// `persist_mode: async` acks before the fsync but after the write to the OS, so a process crash still loses
// no acknowledged message on Myelin. nats-server makes no such promise (its async flush may still hold them).
const asyncSkip = isGo ? 'nats-server acks async writes before they reach the OS' : false;
describe('JetStream durability: kill -9 with persist_mode async', { timeout: 120_000, skip: asyncSkip }, () => {
  const rs = new RestartableServer();
  after(async () => {
    await rs.dispose();
  });

  test('every acked message survives (2 cycles)', async () => {
    const total = await killCycles(rs, 2, 150, { persist_mode: 'async' });
    assert.ok(total >= 2 * 150);
  });
});

describe('JetStream durability: dedup across kill -9', { timeout: 60_000 }, () => {
  const rs = new RestartableServer();
  after(async () => {
    await rs.dispose();
  });

  test('a publish retried with the same Nats-Msg-Id after the restart is a duplicate', async () => {
    let r = await rs.start();
    await r.jsm.streams.add({ name: 'IDS', subjects: ['ids.>'] });
    const first = await jetstream(r.nc).publish('ids.x', 'once', { msgID: 'order-42' });
    await jetstream(r.nc).publish('ids.y', 'no id');
    await rs.stop('SIGKILL');
    r = await rs.start();
    const again = await jetstream(r.nc).publish('ids.x', 'once', { msgID: 'order-42' });
    assert.equal(again.duplicate, true);
    assert.equal(again.seq, first.seq);
    assert.equal((await r.jsm.streams.info('IDS')).state.messages, 2);
    await rs.stop('SIGTERM');
  });
});
