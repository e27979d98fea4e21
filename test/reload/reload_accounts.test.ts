// Config reload and accounts: an import added by a reload reaches subscribers already connected in the
// importing account; a user moved to another account is disconnected (to reconnect into it), as nats-server
// does. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { reload } from './reload-helpers.js';

const RELOADED = 'Reloaded server configuration';

function accounts(opts: { importInB?: boolean; bobIn?: 'A' | 'B' } = {}): string {
  const bob = `{ user: bob, password: bob }`;
  return `accounts {
  A: { users: [ { user: alice, password: alice }${opts.bobIn === 'A' ? `, ${bob}` : ''} ], exports: [ { stream: "ev.>" } ] }
  B: { users: [ { user: carol, password: carol }${opts.bobIn !== 'A' ? `, ${bob}` : ''} ]${opts.importInB === true ? ', imports: [ { stream: { account: A, subject: "ev.>" } } ]' : ''} }
}
`;
}

describe('config reload: accounts', { timeout: 60_000 }, () => {
  let srv: ServerHandle | undefined;
  const wires: WireClient[] = [];
  afterEach(async () => {
    for (const w of wires.splice(0)) w.close();
    await srv?.stop();
    srv = undefined;
  });

  const client = async (user: string): Promise<WireClient> => {
    const c = await WireClient.connectAndHandshake(srv!.port, { user, pass: user });
    wires.push(c);
    return c;
  };

  test('a stream import added by a reload reaches a subscriber that was already connected', async () => {
    srv = await startServer({ config: accounts() });
    const alice = await client('alice');
    const carol = await client('carol');
    await carol.send('SUB ev.> 1\r\n');
    await carol.pingPong();
    await alice.send('PUB ev.one 1\r\na\r\n');
    await alice.pingPong();
    await carol.pingPong(); // nothing arrived before the import exists

    assert.equal(await reload(srv, accounts({ importInB: true })), RELOADED);
    await alice.send('PUB ev.two 1\r\nb\r\n');
    await alice.pingPong();
    await carol.expect('MSG ev.two 1 1\r\nb\r\n', 5000);
  });

  test('a user moved to another account is disconnected; it reconnects into the new one', async () => {
    srv = await startServer({ config: accounts({ bobIn: 'B' }) });
    const bob = await client('bob');
    const carol = await client('carol');

    assert.equal(await reload(srv, accounts({ bobIn: 'A' })), RELOADED);
    await bob.waitClosed(5000);
    assert.equal(bob.pending(), '');
    await carol.pingPong();

    // Reconnected, bob is in account A: he hears alice, not carol.
    const bob2 = await client('bob');
    const alice = await client('alice');
    await bob2.send('SUB x 1\r\n');
    await bob2.pingPong();
    await carol.send('PUB x 1\r\nc\r\n');
    await carol.pingPong();
    await alice.send('PUB x 1\r\na\r\n');
    await alice.pingPong();
    await bob2.expect('MSG x 1 1\r\na\r\n', 5000);
  });
});
