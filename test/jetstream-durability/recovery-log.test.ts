// A store that needed repair at startup says so in the log, in the `Filestore [<stream>]` form nats-server
// uses, and keeps every message before the damage. Myelin only: the block files are Myelin's own format.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { isGo } from '../helpers/server.js';
import { RestartableServer } from './restartable.js';

describe('JetStream durability: recovery report in the log', { timeout: 60_000, skip: isGo ? 'Myelin block format' : false }, () => {
  const rs = new RestartableServer();
  after(async () => {
    await rs.dispose();
  });

  test('a torn tail is cut, logged, and the acked messages stay', async () => {
    let r = await rs.start();
    await r.jsm.streams.add({ name: 'TORN', subjects: ['torn.>'] });
    const js = jetstream(r.nc);
    for (let i = 1; i <= 5; i++) await js.publish('torn.x', `m${i}`);
    await rs.stop('SIGKILL');
    const msgs = join(rs.storeDir, 'jetstream', '$G', 'streams', 'TORN', 'msgs');
    const blk = readdirSync(msgs).filter((n) => n.endsWith('.blk')).sort().pop() as string;
    appendFileSync(join(msgs, blk), Buffer.from('half a record that never finished'));

    r = await rs.start();
    const log = r.srv.stderr();
    assert.match(log, /\[WRN\] Filestore \[TORN\] block \d+: truncated \d+ trailing bytes/);
    assert.match(log, /Restored 5 messages for stream '\$G > TORN'/);
    const info = await r.jsm.streams.info('TORN');
    assert.equal(info.state.messages, 5);
    assert.equal((await jetstream(r.nc).publish('torn.x', 'm6')).seq, 6);
    await rs.stop('SIGTERM');
  });
});
