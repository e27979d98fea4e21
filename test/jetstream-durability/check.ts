// The durability checks shared by the suites: after a restart every acknowledged message is stored at its
// acknowledged sequence, and the next publish gets a sequence above all of them.

import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { type Acked, publishIntoKill, type RestartableServer } from './restartable.js';

export const STREAM = 'DUR';
const SUBJECT = 'dur.msgs';

/** Check what a restarted server holds against everything acknowledged so far. */
export async function checkAcked(rs: RestartableServer, acked: Acked[]): Promise<void> {
  const r = await rs.start();
  const info = await r.jsm.streams.info(STREAM);
  const maxAcked = acked.length > 0 ? (acked[acked.length - 1] as Acked).seq : 0;
  assert.ok(info.state.last_seq >= maxAcked, `last_seq ${info.state.last_seq} is below the last acked sequence ${maxAcked}`);
  // Nothing is ever removed from this stream, so the stored sequences are 1..last_seq without gaps.
  assert.equal(info.state.messages, info.state.last_seq);
  for (let i = 0; i < acked.length; i++) {
    const a = acked[i] as Acked;
    if (i > 0) assert.ok(a.seq > (acked[i - 1] as Acked).seq, `acks out of order at ${a.seq}`);
    const m = await r.jsm.streams.getMessage(STREAM, { seq: a.seq });
    assert.ok(m !== null, `acked message ${a.seq} is missing`);
    assert.equal(m.string(), a.data, `message ${a.seq} holds something else`);
  }
  const next = await jetstream(r.nc).publish(SUBJECT, 'after-restart');
  assert.ok(next.seq > maxAcked, `sequence ${next.seq} reused`);
  assert.equal(next.seq, info.state.last_seq + 1);
  acked.push({ seq: next.seq, data: 'after-restart' });
}

/**
 * Create the stream (with `config` added), then `cycles` times: publish into a SIGKILL, restart on the same store, check every
 * ack so far. Returns how many publishes were acknowledged in all.
 */
export async function killCycles(
  rs: RestartableServer,
  cycles: number,
  killAfter: number,
  config: Record<string, unknown> = {},
): Promise<number> {
  const r = await rs.start();
  await r.jsm.streams.add({ name: STREAM, subjects: ['dur.>'], ...config });
  const acked: Acked[] = [];
  for (let c = 0; c < cycles; c++) {
    const running = c === 0 ? r : await rs.start();
    acked.push(...(await publishIntoKill(rs, running, SUBJECT, `c${c}`, killAfter + c * 37)));
    await checkAcked(rs, acked);
    await rs.stop('SIGKILL');
  }
  return acked.length;
}
