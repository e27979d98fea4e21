// Config reload and nkey users: a connected nkey user is verified again (its signature over the nonce it was
// sent) and stays; a removed one is disconnected. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { newUser, signNonce, type Identity } from '../unit/auth-helpers.js';
import { logSince, reload } from './reload-helpers.js';

const RELOADED = 'Reloaded server configuration';
const kept = newUser();
const removed = newUser();

function config(users: Identity[], extra = ''): string {
  return `${extra}\nauthorization { users: [ ${users.map((u) => `{ nkey: ${u.pub} }`).join(', ')} ] }\n`;
}

describe('config reload: nkey users', { timeout: 30_000 }, () => {
  let srv: ServerHandle | undefined;
  const wires: WireClient[] = [];
  after(async () => {
    for (const w of wires) w.close();
    await srv?.stop();
  });

  async function connectAs(user: Identity): Promise<WireClient> {
    const raw = await WireClient.connect(srv!.port);
    wires.push(raw);
    const sig = signNonce(user.seed, String(raw.info.nonce));
    await raw.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, nkey: user.pub, sig })}\r\nPING\r\n`);
    await raw.expect('PONG\r\n');
    return raw;
  }

  test('a connected nkey user stays across reloads; a removed one is disconnected', async () => {
    srv = await startServer({ config: config([kept, removed]) });
    const a = await connectAs(kept);
    const b = await connectAs(removed);

    const mark = srv.stderr().length;
    assert.equal(await reload(srv, config([kept, removed], 'max_payload: 1000')), RELOADED);
    await a.pingPong();
    await b.pingPong();
    assert.match(logSince(srv, mark), /Reloaded: max_payload = 1000\n/);

    const mark2 = srv.stderr().length;
    assert.equal(await reload(srv, config([kept], 'max_payload: 1000')), RELOADED);
    assert.match(logSince(srv, mark2), /Reloaded: authorization nkey users\n/);
    await b.waitClosed(5000);
    assert.equal(b.pending(), '');
    await a.pingPong();
  });
});
