// The system account in operator mode (the way nats-surveyor and natscli usually reach it): a user of the
// operator's system account, signed by JWT, gets the PING family and sees other accounts' connects under
// their public keys.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, jwtAuthenticator, StringCodec, type NatsConnection } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { accountJwt, newAccount, newOperator, newUser, operatorJwt, userJwt, type Identity } from '../unit/auth-helpers.js';

const sc = StringCodec();
const te = new TextEncoder();
type Json = Record<string, unknown>;

const op = newOperator();
const sys = newAccount();
const app = newAccount();

const CONFIG = `
operator: ${operatorJwt(op, { system_account: sys.pub })}
system_account: ${sys.pub}
resolver: MEMORY
resolver_preload {
  ${sys.pub}: ${accountJwt(op, sys)}
  ${app.pub}: ${accountJwt(op, app)}
}
`;

describe('system account in operator mode', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  const conns: NatsConnection[] = [];
  const nc = async (account: Identity, name: string) => {
    const user = newUser();
    const c = await connect({ servers: srv.url, name, authenticator: jwtAuthenticator(userJwt(account, user), te.encode(user.seed)) });
    conns.push(c);
    return c;
  };

  before(async () => {
    srv = await startServer({ config: CONFIG });
  });
  after(async () => {
    for (const c of conns) if (!c.isClosed()) await c.close();
    await srv?.stop();
  });

  test('PING and VARZ answer a system account user', async () => {
    const s = await nc(sys, 'sys');
    const ping = JSON.parse(sc.decode((await s.request('$SYS.REQ.SERVER.PING', sc.encode(''), { timeout: 5000 })).data)) as Json;
    assert.deepEqual(Object.keys(ping), ['server', 'statsz']);
    const varz = JSON.parse(sc.decode((await s.request('$SYS.REQ.SERVER.PING.VARZ', sc.encode(''), { timeout: 5000 })).data)) as Json;
    assert.equal((varz.data as Json).system_account, sys.pub);
  });

  test("another account's connect is published under its public key", async () => {
    const s = await nc(sys, 'sys-watch');
    const events = s.subscribe(`$SYS.ACCOUNT.${app.pub}.CONNECT`, { max: 1, timeout: 20_000 });
    await s.flush();
    await nc(app, 'app-user');
    for await (const m of events) {
      const ev = JSON.parse(sc.decode(m.data)) as Json;
      const client = ev.client as Json;
      assert.equal(client.acc, app.pub);
      assert.equal(client.name, 'app-user');
    }
  });

  test('another account gets its own STATZ', async () => {
    const a = await nc(app, 'app-statz');
    const m = await a.request('$SYS.REQ.ACCOUNT.PING.STATZ', sc.encode(''), { timeout: 5000 });
    const statz = ((JSON.parse(sc.decode(m.data)) as Json).data as Json).account_statz as Json[];
    assert.deepEqual(statz.map((x) => x.acc), [app.pub]);
  });
});
