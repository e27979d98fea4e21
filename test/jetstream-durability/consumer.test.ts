// A durable consumer's position survives a restart: its config, its ack floor, what it delivered and what
// is still pending, after a graceful stop and after kill -9. The stream's config comes back too.
import { describe, test, after } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { AckPolicy, jetstream, StorageType } from '@nats-io/jetstream';
import { isGo } from '../helpers/server.js';
import { RestartableServer, type Running } from './restartable.js';

async function fetchAndAck(r: Running, stream: string, consumer: string, n: number): Promise<number[]> {
  const c = await jetstream(r.nc).consumers.get(stream, consumer);
  const seqs: number[] = [];
  const batch = await c.fetch({ max_messages: n, expires: 2000 });
  for await (const m of batch) {
    seqs.push(m.seq);
    await m.ackAck(); // AckSync: the server has processed the ack when this resolves
  }
  return seqs;
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  // nats-server writes consumer state lazily (a flusher goroutine), so a kill -9 right after the acks
  // loses them: measured with v2.12, the ack floor is 0 after the restart. Myelin writes it at the end of
  // the event-loop turn that processed the acks.
  const skip = isGo && signal === 'SIGKILL' ? 'nats-server persists consumer acks lazily' : false;
  describe(`JetStream durability: durable consumer across a restart (${signal})`, { timeout: 60_000, skip }, () => {
    const rs = new RestartableServer();
    after(async () => {
      await rs.dispose();
    });

    test('stream config, messages, consumer config and ack floor come back', async () => {
      let r = await rs.start();
      await r.jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.File, max_msgs: 1000 });
      await r.jsm.consumers.add('ORDERS', { durable_name: 'worker', ack_policy: AckPolicy.Explicit, filter_subject: 'orders.new' });
      const js = jetstream(r.nc);
      for (let i = 1; i <= 10; i++) await js.publish(i % 2 === 0 ? 'orders.new' : 'orders.old', `m${i}`);
      assert.deepEqual(await fetchAndAck(r, 'ORDERS', 'worker', 3), [2, 4, 6]);
      const before = await r.jsm.consumers.info('ORDERS', 'worker');
      assert.equal(before.ack_floor.stream_seq, 6);
      await rs.stop(signal);

      r = await rs.start();
      const s = await r.jsm.streams.info('ORDERS');
      assert.deepEqual(s.config.subjects, ['orders.>']);
      assert.equal(s.config.max_msgs, 1000);
      assert.equal(s.state.messages, 10);
      const ci = await r.jsm.consumers.info('ORDERS', 'worker');
      assert.equal(ci.config.filter_subject, 'orders.new');
      assert.equal(ci.ack_floor.stream_seq, 6);
      assert.equal(ci.ack_floor.consumer_seq, 3);
      assert.equal(ci.delivered.stream_seq, 6);
      assert.equal(ci.num_pending, 2);
      assert.equal(ci.num_ack_pending, 0);
      assert.deepEqual(await fetchAndAck(r, 'ORDERS', 'worker', 5), [8, 10]);
      await rs.stop('SIGTERM');
    });

    test('a delivered, unacknowledged message is redelivered after the restart', async () => {
      let r = await rs.start();
      await r.jsm.streams.add({ name: 'WORK', subjects: ['work.>'] });
      await r.jsm.consumers.add('WORK', { durable_name: 'w', ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
      await jetstream(r.nc).publish('work.a', 'job');
      const c = await jetstream(r.nc).consumers.get('WORK', 'w');
      const first = await c.next({ expires: 2000 });
      assert.equal(first?.seq, 1); // not acked
      assert.equal((await r.jsm.consumers.info('WORK', 'w')).num_ack_pending, 1);
      await rs.stop(signal);

      r = await rs.start();
      const again = await (await jetstream(r.nc).consumers.get('WORK', 'w')).next({ expires: 10_000 });
      assert.equal(again?.seq, 1);
      assert.equal(again?.string(), 'job');
      await again?.ackAck();
      const ci = await r.jsm.consumers.info('WORK', 'w');
      assert.equal(ci.ack_floor.stream_seq, 1);
      assert.equal(ci.num_ack_pending, 0);
      await r.jsm.streams.delete('WORK');
      await rs.stop('SIGTERM');
    });

    test('a deleted stream is gone after a restart', async () => {
      let r = await rs.start();
      await r.jsm.streams.add({ name: 'GONE', subjects: ['gone.>'] });
      await jetstream(r.nc).publish('gone.x', 'x');
      await r.jsm.streams.delete('GONE');
      await rs.stop(signal);
      r = await rs.start();
      const names: string[] = [];
      for await (const n of r.jsm.streams.names()) names.push(n);
      assert.deepEqual(names, ['ORDERS']);
      // Both servers keep a stream in <store_dir>/jetstream/<account>/streams/<name>; a deleted one leaves none.
      const streams = join(rs.storeDir, 'jetstream', '$G', 'streams');
      assert.ok(existsSync(join(streams, 'ORDERS')));
      assert.ok(!existsSync(join(streams, 'GONE')));
      await rs.stop('SIGTERM');
    });
  });
}
