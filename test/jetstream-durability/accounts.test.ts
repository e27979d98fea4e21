// JetStream in configured accounts survives a restart: each account's streams and durables live in their own
// <store_dir>/jetstream/<account>/ folder and come back to that account only.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { RestartableServer } from './restartable.js';

const ACCOUNTS = `accounts {
  A: { jetstream: enabled, users: [ { user: a, password: p } ] }
  B: { jetstream: enabled, users: [ { user: b, password: p } ] }
}
`;

describe('JetStream durability: streams of configured accounts across a restart', { timeout: 60_000 }, () => {
  const rs = new RestartableServer('', ACCOUNTS, { user: 'a', pass: 'p' });
  after(async () => {
    await rs.dispose();
  });

  test("each account's stream and durable come back in its own folder", async () => {
    let r = await rs.start();
    await r.jsm.streams.add({ name: 'S', subjects: ['s.>'], storage: StorageType.File });
    await r.jsm.consumers.add('S', { durable_name: 'd', ack_policy: AckPolicy.Explicit });
    const js = jetstream(r.nc);
    for (let i = 1; i <= 3; i++) await js.publish('s.x', `a${i}`);
    const m = await (await js.consumers.get('S', 'd')).next({ expires: 2000 });
    assert.equal(m?.seq, 1);
    await m?.ackAck();
    const b = await connect({ servers: r.srv.url, user: 'b', pass: 'p', reconnect: false });
    await (await jetstreamManager(b)).streams.add({ name: 'S', subjects: ['s.>'], storage: StorageType.File, max_msgs: 5 });
    await jetstream(b).publish('s.y', 'b1');
    await b.close();
    await rs.stop('SIGTERM');

    const jsDir = join(rs.storeDir, 'jetstream');
    assert.ok(existsSync(join(jsDir, 'A', 'streams', 'S', 'meta.inf')));
    assert.ok(existsSync(join(jsDir, 'A', 'streams', 'S', 'obs', 'd', 'meta.inf')));
    assert.ok(existsSync(join(jsDir, 'B', 'streams', 'S', 'meta.inf')));
    assert.ok(!existsSync(join(jsDir, '$G', 'streams', 'S')));

    r = await rs.start();
    assert.match(r.srv.stderr(), /Starting restore for stream 'A > S'/);
    assert.match(r.srv.stderr(), /Starting restore for stream 'B > S'/);
    assert.equal((await r.jsm.streams.info('S')).state.messages, 3);
    const ci = await r.jsm.consumers.info('S', 'd');
    assert.equal(ci.ack_floor.stream_seq, 1);
    assert.equal(ci.num_pending, 2);
    const b2 = await connect({ servers: r.srv.url, user: 'b', pass: 'p', reconnect: false });
    const infoB = await (await jetstreamManager(b2)).streams.info('S');
    assert.equal(infoB.state.messages, 1);
    assert.equal(infoB.config.max_msgs, 5);
    await b2.close();
    await rs.stop('SIGTERM');
  });
});
