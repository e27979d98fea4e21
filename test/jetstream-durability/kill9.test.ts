// kill -9 in the middle of a publish loop (official client, one publish in flight, each ack awaited), then a
// restart on the same store directory: every acknowledged message is there, in order, and no sequence is
// reused. Several cycles, so recovery also runs over a store that was itself recovered.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { killCycles } from './check.js';
import { RestartableServer } from './restartable.js';

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
