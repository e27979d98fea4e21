// Config reload under live traffic: a publisher (nats v2) and a subscriber (@nats-io/transport-node v3) keep
// exchanging numbered messages while the server reloads several times (users added and removed, limits,
// log level, the subscriber's permissions rewritten but still allowing its subject). Nothing may be lost,
// duplicated or reordered, and neither client may be disconnected. Runs against nats-server too.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectV3 } from '@nats-io/transport-node';
import { connect as connectV2 } from 'nats';
import { checkFor, startServer, type ServerHandle } from '../helpers/server.js';
import { reload } from './reload-helpers.js';

const RELOADED = 'Reloaded server configuration';

function config(extra: { users?: string; top?: string; subPerms?: string }): string {
  const subPerms = extra.subPerms ?? `{ subscribe: ["data.>", "_INBOX.>"], publish: ["_INBOX.>"] }`;
  return (
    `${extra.top ?? ''}\n` +
    `authorization {\n  users: [\n` +
    `    { user: pub, password: pub }\n` +
    `    { user: sub, password: sub, permissions: ${subPerms} }\n` +
    `${extra.users ?? ''}\n  ]\n}\n`
  );
}

const BATCHES = 30;
const PER_BATCH = 100;

describe('config reload under live traffic', { timeout: 120_000 }, () => {
  let srv: ServerHandle | undefined;
  after(async () => {
    await srv?.stop();
  });

  test('messages keep flowing across reloads, none lost, clients stay connected', async () => {
    srv = await startServer({ config: config({}) });
    const sub = await connectV3({ servers: srv.url, user: 'sub', pass: 'sub', reconnect: false });
    const pub = await connectV2({ servers: srv.url, user: 'pub', pass: 'pub', reconnect: false });
    const received: number[] = [];
    sub.subscribe('data.>', {
      callback: (_err, m) => {
        received.push(Number(m.string()));
      },
    });
    await sub.flush();

    const reloads: Record<number, string> = {
      5: config({ users: '    { user: extra, password: extra }', top: 'max_payload: 512KB' }),
      12: config({ top: 'debug: true\nping_interval: "1m"', subPerms: `{ subscribe: ["data.>", "_INBOX.>", "other"] }` }),
      20: config({ top: 'debug: false\nmax_payload: 2MB\nwrite_deadline: "5s"' }),
    };
    let seq = 0;
    for (let batch = 0; batch < BATCHES; batch++) {
      // The reload starts, and the next batch is published while it is applied.
      const next = reloads[batch];
      const pending: Promise<string> | undefined = next !== undefined ? reload(srv, next) : undefined;
      for (let i = 0; i < PER_BATCH; i++) pub.publish(`data.${batch}`, String(seq++));
      await pub.flush();
      if (pending !== undefined) assert.equal(await pending, RELOADED);
    }
    await pub.flush();
    await checkFor(20_000, 20, () => received.length >= seq);

    assert.equal(received.length, seq, 'no message lost or duplicated');
    for (let i = 0; i < received.length; i++) {
      if (received[i] !== i) assert.fail(`message ${i} arrived as ${received[i]}`);
    }
    assert.equal(pub.isClosed(), false);
    assert.equal(sub.isClosed(), false);
    await sub.flush();
    await pub.close();
    await sub.close();
  });
});
