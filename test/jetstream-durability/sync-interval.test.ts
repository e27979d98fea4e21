// The `jetstream { sync_interval }` variants. Every one keeps each acknowledged message through a kill -9:
// `always` fsyncs each message before the ack; a duration acks at once but has handed the message to the OS
// first (power loss, not simulated here, can lose up to one interval: the storage-layer crash test covers
// that); the default fsyncs before acking, one fsync per event-loop turn.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isGo } from '../helpers/server.js';
import { killCycles } from './check.js';
import { RestartableServer } from './restartable.js';

const VARIANTS: [string, string, string][] = [
  // [name, config line, Myelin's startup log line]
  ['always', 'sync_interval: always', 'always'],
  ['2m (nats-server default)', 'sync_interval: "2m"', '120000ms'],
  ['1s', 'sync_interval: "1s"', '1000ms'],
];

for (const [name, line, logged] of VARIANTS) {
  describe(`JetStream durability: sync_interval ${name}`, { timeout: 120_000 }, () => {
    const rs = new RestartableServer(line);
    after(async () => {
      await rs.dispose();
    });

    test('the setting is taken', async () => {
      const r = await rs.start();
      if (!isGo) assert.match(r.srv.stderr(), new RegExp(`Sync: +${logged}`));
      await rs.stop('SIGTERM');
    });

    test('acked messages survive kill -9 (2 cycles)', async () => {
      const total = await killCycles(rs, 2, 100);
      assert.ok(total >= 200);
    });
  });
}
