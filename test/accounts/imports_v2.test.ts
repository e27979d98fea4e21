// Account exports and imports with the `nats` v2 client: stream imports (prefix, to), service imports
// (request/reply, many at once, streamed responses, no responders), isolation, and the startup errors.
// Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createInbox, headers, StringCodec, type NatsConnection, type NatsError } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { ACCOUNTS_CONFIG, checkConfig, EXP, IMP, LAYOUTS, OTHER } from './fixtures.js';

const sc = StringCodec();

for (const layout of LAYOUTS) {
  describe(`account imports, nats v2 (${layout.name})`, { timeout: 60_000 }, () => {
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

    test('a stream import with a prefix delivers under prefix.subject', async () => {
      const imp = await nc(IMP);
      const exp = await nc(EXP);
      const sub = imp.subscribe('from_exp.pub.>', { max: 2 });
      await imp.flush();
      exp.publish('pub.a', sc.encode('one'));
      exp.publish('pub.a.b', sc.encode('two'));
      const got: string[] = [];
      for await (const m of sub) got.push(`${m.subject} ${sc.decode(m.data)}`);
      assert.deepEqual(got, ['from_exp.pub.a one', 'from_exp.pub.a.b two']);
    });

    test('a stream import with `to` delivers under the mapped subject', async () => {
      const imp = await nc(IMP);
      const exp = await nc(EXP);
      const sub = imp.subscribe('mine.*', { max: 1 });
      await imp.flush();
      exp.publish('private.x', sc.encode('for IMP'));
      for await (const m of sub) assert.deepEqual([m.subject, sc.decode(m.data)], ['mine.x', 'for IMP']);
      assert.equal(sub.getProcessed(), 1);
    });

    test('a service import carries a request across accounts and its response back', async () => {
      const exp = await nc(EXP);
      const imp = await nc(IMP);
      const seen: string[] = [];
      const asker: unknown[] = [];
      exp.subscribe('svc.echo', {
        callback: (_err, m) => {
          seen.push(`${m.subject} ${m.reply ?? ''}`);
          asker.push(JSON.parse(m.headers?.get('Nats-Request-Info') ?? 'null'));
          m.respond(sc.encode(`echo:${sc.decode(m.data)}`));
        },
      });
      await exp.flush();
      const r = await imp.request('echo', sc.encode('hi'), { timeout: 5000 });
      assert.equal(sc.decode(r.data), 'echo:hi');
      assert.equal(seen.length, 1);
      assert.match(seen[0]!, /^svc\.echo _R_\.\S+$/, 'the responder sees the exported subject and a fresh reply');
      // The server says which account asked, and a client cannot claim another.
      const forged = headers();
      forged.set('Nats-Request-Info', '{"acc":"EXP"}');
      forged.set('Other', 'kept');
      const r2 = await imp.request('echo', sc.encode('again'), { timeout: 5000, headers: forged });
      assert.equal(sc.decode(r2.data), 'echo:again');
      assert.deepEqual(
        asker.map((a) => (a as { acc?: string } | null)?.acc),
        ['IMP', 'IMP'],
      );
    });

    test('many concurrent requests each get their own response', async () => {
      const exp = await nc(EXP);
      const imp = await nc(IMP);
      exp.subscribe('svc.echo', { callback: (_err, m) => m.respond(sc.encode(`echo:${sc.decode(m.data)}`)) });
      await exp.flush();
      const n = 300;
      const replies = await Promise.all(
        Array.from({ length: n }, (_, i) => imp.request('echo', sc.encode(String(i)), { timeout: 10_000 })),
      );
      assert.deepEqual(
        replies.map((r) => sc.decode(r.data)),
        Array.from({ length: n }, (_, i) => `echo:${i}`),
      );
    });

    test('a stream-type service answers one request with several responses, in order', async () => {
      const exp = await nc(EXP);
      const imp = await nc(IMP);
      exp.subscribe('svc.chunks.*', {
        callback: (_err, m) => {
          for (const part of ['a', 'b', 'c']) m.respond(sc.encode(`${m.subject}:${part}`));
        },
      });
      await exp.flush();
      const inbox = createInbox();
      const sub = imp.subscribe(inbox, { max: 3 });
      imp.publish('chunks.q', sc.encode('go'), { reply: inbox });
      const got: string[] = [];
      for await (const m of sub) got.push(sc.decode(m.data));
      assert.deepEqual(got, ['svc.chunks.q:a', 'svc.chunks.q:b', 'svc.chunks.q:c']);
    });

    test('a request to an imported service nobody serves gets no responders', async () => {
      const imp = await nc(IMP);
      await assert.rejects(imp.request('idle', sc.encode('?'), { timeout: 5000 }), (e: NatsError) => e.code === '503');
    });

    test('subjects that are not exported stay in their account', async () => {
      const exp = await nc(EXP);
      const imp = await nc(IMP);
      const other = await nc(OTHER);
      const otherGot: string[] = [];
      other.subscribe('>', { callback: (_err, m) => otherGot.push(m.subject) });
      const expGot: string[] = [];
      exp.subscribe('>', { callback: (_err, m) => expGot.push(m.subject) });
      const sub = imp.subscribe('>');
      await Promise.all([other.flush(), exp.flush(), imp.flush()]);
      // IMP publishing on its import subjects stays in IMP.
      imp.publish('from_exp.pub.back');
      imp.publish('pub.back');
      await imp.flush();
      // EXP's messages reach IMP in publish order, so the exported marker proves `secret.x` was not sent on.
      exp.publish('secret.x');
      exp.publish('pub.done');
      const got: string[] = [];
      for await (const m of sub) {
        got.push(m.subject);
        if (m.subject === 'from_exp.pub.done') break;
      }
      assert.deepEqual(got, ['from_exp.pub.back', 'pub.back', 'from_exp.pub.done']);
      await Promise.all([other.flush(), exp.flush()]);
      assert.deepEqual(otherGot, [], 'an account without imports sees nothing');
      assert.deepEqual(expGot, ['secret.x', 'pub.done'], 'imports do not flow back to the exporter');
    });
  });
}

describe('account import configuration errors (startup)', { timeout: 60_000 }, () => {
  const refused = async (config: string, message: string) => {
    const r = await checkConfig(config);
    assert.notEqual(r.code, 0, r.output);
    assert.ok(r.output.includes(message), r.output);
  };

  test('a private stream export refuses accounts it does not name', async () => {
    await refused(
      'accounts { A: { exports: [{stream: "p.>", accounts: [B]}] }, B: {}, C: { imports: [{stream: {account: A, subject: "p.>"}}] } }',
      'Error adding stream import "p.>": stream import not authorized',
    );
  });

  test('a private service export refuses accounts it does not name', async () => {
    await refused(
      'accounts { A: { exports: [{service: "s", accounts: [B]}] }, B: {}, C: { imports: [{service: {account: A, subject: "s"}}] } }',
      'Error adding service import "s": service import not authorized',
    );
  });

  test('a service import cycle is refused', async () => {
    await refused(
      'accounts { A: { exports: [{service: "q"}], imports: [{service: {account: B, subject: "q"}}] }, B: { exports: [{service: "q"}], imports: [{service: {account: A, subject: "q"}}] } }',
      'import forms a cycle',
    );
  });

  test('a stream import prefix must be literal', async () => {
    await refused(
      'accounts { A: { exports: [{stream: "a.>"}] }, B: { imports: [{stream: {account: A, subject: "a.>"}, prefix: "p.*"}] } }',
      'stream import prefix can not contain wildcard tokens',
    );
  });

  test('a valid configuration passes', async () => {
    const r = await checkConfig(ACCOUNTS_CONFIG);
    assert.equal(r.code, 0, r.output);
  });
});
