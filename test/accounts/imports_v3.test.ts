// Account exports and imports with the v3 client (@nats-io/transport-node): stream imports, service
// imports with muxed and unmuxed requests, headers through an import, no responders. Runs against
// nats-server too (NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers, RequestError, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { ACCOUNTS_CONFIG, EXP, IMP, LAYOUTS } from './fixtures.js';

for (const layout of LAYOUTS) {
  describe(`account imports, nats v3 (${layout.name})`, { timeout: 60_000 }, () => {
    let srv: ServerHandle;
    const conns: NatsConnection[] = [];
    const nc = async (who: { user: string; pass: string }) => {
      const c = await connect({ servers: srv.url, reconnect: false, ...who });
      conns.push(c);
      return c;
    };

    before(async () => {
      srv = await startServer({ config: ACCOUNTS_CONFIG, args: layout.args });
    });
    after(async () => {
      for (const c of conns) if (!c.isClosed()) await c.close();
      await srv?.stop();
    });

    test('stream imports with prefix and with `to`, in publish order', async () => {
      const imp = await nc(IMP);
      const exp = await nc(EXP);
      const sub = imp.subscribe('>', { max: 100 });
      await imp.flush();
      for (let i = 0; i < 50; i++) {
        exp.publish(`pub.${i}`, String(i));
        exp.publish(`private.${i}`, String(i));
      }
      const got: string[] = [];
      for await (const m of sub) got.push(`${m.subject}=${m.string()}`);
      const expected = Array.from({ length: 50 }, (_, i) => [`from_exp.pub.${i}=${i}`, `mine.${i}=${i}`]).flat();
      assert.deepEqual(got, expected);
    });

    test('service import: muxed and unmuxed requests, concurrent, headers pass through', async () => {
      const exp = await nc(EXP);
      const imp = await nc(IMP);
      exp.subscribe('svc.echo', {
        callback: (_err, m) => {
          const h = headers();
          h.set('Echo-Of', m.headers?.get('Tag') ?? '');
          m.respond(`echo:${m.string()}`, { headers: h });
        },
      });
      await exp.flush();
      const h = headers();
      h.set('Tag', 't1');
      const one = await imp.request('echo', 'one', { timeout: 5000, headers: h });
      assert.equal(one.string(), 'echo:one');
      assert.equal(one.headers?.get('Echo-Of'), 't1');
      const two = await imp.request('echo', 'two', { timeout: 5000, noMux: true });
      assert.equal(two.string(), 'echo:two');
      const many = await Promise.all(Array.from({ length: 200 }, (_, i) => imp.request('echo', String(i), { timeout: 10_000 })));
      assert.deepEqual(
        many.map((m) => m.string()),
        Array.from({ length: 200 }, (_, i) => `echo:${i}`),
      );
    });

    test('no responders behind a service import', async () => {
      const imp = await nc(IMP);
      await assert.rejects(imp.request('idle', 'x', { timeout: 5000 }), (e: unknown) => e instanceof RequestError && e.isNoResponders());
    });
  });
}
