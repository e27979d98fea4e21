// Config reload in operator mode (memory resolver): a user revoked in its account JWT by a reload is closed,
// others of the account stay. Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { accountJwt, newAccount, newOperator, newUser, operatorJwt, signNonce, userJwt, type Identity } from '../unit/auth-helpers.js';
import { reload } from './reload-helpers.js';

const op = newOperator();
const sys = newAccount();
const acc = newAccount();
// Made once: a different operator JWT is a change nats-server refuses to reload (TrustedOperators).
const OPERATOR = operatorJwt(op, { system_account: sys.pub });
const SYS_JWT = accountJwt(op, sys);

function config(accountNats: Record<string, unknown> = {}): string {
  return `
operator: ${OPERATOR}
system_account: ${sys.pub}
resolver: MEMORY
resolver_preload {
  ${sys.pub}: ${SYS_JWT}
  ${acc.pub}: ${accountJwt(op, acc, accountNats)}
}
`;
}

describe('config reload: operator mode', { timeout: 30_000 }, () => {
  let srv: ServerHandle | undefined;
  const wires: WireClient[] = [];
  after(async () => {
    for (const w of wires) w.close();
    await srv?.stop();
  });

  async function connectAs(user: Identity): Promise<WireClient> {
    const raw = await WireClient.connect(srv!.port);
    wires.push(raw);
    const jwt = userJwt(acc, user, {}, { iat: Math.floor(Date.now() / 1000) - 10 });
    await raw.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, jwt, sig: signNonce(user.seed, String(raw.info.nonce)) })}\r\nPING\r\n`);
    await raw.expect('PONG\r\n');
    return raw;
  }

  test('a user revoked by the reloaded account JWT is disconnected', async () => {
    srv = await startServer({ config: config() });
    const revoked = newUser();
    const kept = newUser();
    const a = await connectAs(revoked);
    const b = await connectAs(kept);

    const outcome = await reload(srv, config({ revocations: { [revoked.pub]: Math.floor(Date.now() / 1000) } }));
    assert.equal(outcome, 'Reloaded server configuration');
    await a.expectThenClosed("-ERR 'User Authentication Revoked'\r\n", 5000);
    await b.pingPong();
  });

  test('a different operator JWT is refused, as nats-server refuses it', async () => {
    const changed = config().replace(OPERATOR, operatorJwt(op, { system_account: sys.pub }, { name: 'OTHER' }));
    assert.match(await reload(srv!, changed), /^Failed to reload server configuration: config reload not supported for TrustedOperators: old=\[/);
    const c = await connectAs(newUser());
    await c.pingPong();
  });
});
