// Account imports declared in account JWTs (operator mode, memory resolver), with the `nats` v2 client:
// a mapped stream import (local_subject), a prefixed one (the deprecated `to`), a service import, and an
// export that needs an activation token, which nothing may import without one. Runs against nats-server too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, jwtAuthenticator, StringCodec, type NatsConnection } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { LAYOUTS } from './fixtures.js';
import { accountJwt, newAccount, newOperator, newUser, operatorJwt, userJwt, type Identity } from '../unit/auth-helpers.js';

const sc = StringCodec();
const te = new TextEncoder();

const op = newOperator();
const sys = newAccount();
const exp = newAccount();
const imp = newAccount();

const EXP_JWT = accountJwt(op, exp, {
  exports: [
    { name: 'events', subject: 'events.>', type: 'stream' },
    { name: 'echo', subject: 'svc.echo', type: 'service', response_type: 'Singleton' },
    { name: 'secret', subject: 'secret.>', type: 'stream', token_req: true },
  ],
});
const IMP_JWT = accountJwt(op, imp, {
  imports: [
    { name: 'events', subject: 'events.>', account: exp.pub, type: 'stream', local_subject: 'mine.>' },
    { name: 'events-prefixed', subject: 'events.x', account: exp.pub, type: 'stream', to: 'pre' },
    { name: 'echo', subject: 'svc.echo', account: exp.pub, type: 'service', local_subject: 'echo' },
    { name: 'secret', subject: 'secret.>', account: exp.pub, type: 'stream' },
  ],
});

const CONFIG = `
operator: ${operatorJwt(op, { system_account: sys.pub })}
system_account: ${sys.pub}
resolver: MEMORY
resolver_preload {
  ${sys.pub}: ${accountJwt(op, sys)}
  ${exp.pub}: ${EXP_JWT}
  ${imp.pub}: ${IMP_JWT}
}
`;

for (const layout of LAYOUTS) {
  describe(`account imports from JWTs, nats v2 (${layout.name})`, { timeout: 60_000 }, () => {
    let srv: ServerHandle;
    const conns: NatsConnection[] = [];
    const nc = async (account: Identity) => {
      const user = newUser();
      const c = await connect({
        servers: srv.url,
        reconnect: false,
        authenticator: jwtAuthenticator(userJwt(account, user), te.encode(user.seed)),
      });
      conns.push(c);
      return c;
    };

    before(async () => {
      srv = await startServer({ config: CONFIG, args: layout.args });
    });
    after(async () => {
      for (const c of conns) if (!c.isClosed()) await c.close();
      await srv?.stop();
    });

    test('stream imports: local_subject maps, `to` prefixes, a token-required export is not imported', async () => {
      const importer = await nc(imp);
      const exporter = await nc(exp);
      const sub = importer.subscribe('>');
      await importer.flush();
      exporter.publish('secret.x', sc.encode('no'));
      exporter.publish('events.x', sc.encode('x'));
      exporter.publish('events.y', sc.encode('y'));
      const got: string[] = [];
      for await (const m of sub) {
        got.push(`${m.subject}=${sc.decode(m.data)}`);
        if (m.subject === 'mine.y') break;
      }
      // Both imports of events.x deliver it; their relative order is not specified.
      assert.deepEqual(got.slice(0, 2).sort(), ['mine.x=x', 'pre.events.x=x']);
      assert.deepEqual(got.slice(2), ['mine.y=y']);
    });

    test('a service import carries requests and responses', async () => {
      const exporter = await nc(exp);
      const importer = await nc(imp);
      exporter.subscribe('svc.echo', { callback: (_err, m) => m.respond(sc.encode(`echo:${sc.decode(m.data)}`)) });
      await exporter.flush();
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => importer.request('echo', sc.encode(String(i)), { timeout: 5000 })));
      assert.deepEqual(
        replies.map((r) => sc.decode(r.data)),
        Array.from({ length: 50 }, (_, i) => `echo:${i}`),
      );
    });
  });
}
