// A user JWT's expiry is enforced on the live connection: nats-server closes the client when its JWT expires,
// with `-ERR 'User Authentication Expired'`. Raw socket for the exact bytes; runs against nats-server too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { accountJwt, newAccount, newOperator, newUser, operatorJwt, signNonce, userJwt } from '../unit/auth-helpers.js';

const op = newOperator();
const sys = newAccount();
const acc = newAccount();

const CONFIG = `
operator: ${operatorJwt(op, { system_account: sys.pub })}
system_account: ${sys.pub}
resolver: MEMORY
resolver_preload {
  ${sys.pub}: ${accountJwt(op, sys)}
  ${acc.pub}: ${accountJwt(op, acc)}
}
`;

describe('user JWT expiry on a live connection', { timeout: 30_000 }, () => {
  let srv: ServerHandle;
  const wires: WireClient[] = [];
  before(async () => {
    srv = await startServer({ config: CONFIG });
  });
  after(async () => {
    for (const w of wires) w.close();
    await srv?.stop();
  });

  async function connectAs(expiresInSeconds: number): Promise<WireClient> {
    const user = newUser();
    const jwt = userJwt(acc, user, {}, { exp: Math.floor(Date.now() / 1000) + expiresInSeconds });
    const raw = await WireClient.connect(srv.port);
    wires.push(raw);
    const nonce = String(raw.info.nonce);
    await raw.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, jwt, sig: signNonce(user.seed, nonce) })}\r\nPING\r\n`);
    await raw.expect('PONG\r\n');
    return raw;
  }

  test("the client is closed with -ERR 'User Authentication Expired' when its JWT expires", async () => {
    const expiring = await connectAs(2);
    const lasting = await connectAs(3600);
    await expiring.expectThenClosed("-ERR 'User Authentication Expired'\r\n", 6000);
    await lasting.pingPong();
    assert.equal(lasting.closed, false);
  });
});
