// Subject mappings (`mappings {}`) seen through the official v3 client: a publish on a mapped subject arrives
// on the destination subject. Partition numbers are nats-server's (FNV-1a over the chosen tokens).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, jwtAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { runServerCommand, startServer, type ServerHandle } from '../helpers/server.js';
import { reload } from '../reload/reload-helpers.js';
import { WireClient, msg } from '../helpers/wire.js';
import { accountJwt, newAccount, newOperator, newUser, operatorJwt, userJwt } from '../unit/auth-helpers.js';

const GLOBAL_CONFIG = `
mappings {
  "simple.in": "simple.out"
  "orders.*.*": "o.$2.$1"
  "p.*.*": "out.{{partition(10,1,2)}}.$1.$2"
  "whole.*": "whole.{{partition(7)}}.$1"
  "s.*": "sout.{{split(1,-)}}"
  "w": [{destination: "w.a", weight: 50}, {destination: "w.b", weight: "50%"}]
}
`;

const ACCOUNTS_CONFIG = `
accounts {
  A: { users: [{user: a, password: a}], mappings { "acc.in": "acc.a" } }
  B: { users: [{user: b, password: b}], mappings { "acc.in": [{destination: "acc.b", weight: 100}] } }
  C: { users: [{user: c, password: c}] }
  E: {
    users: [{user: e, password: e}]
    exports: [{service: "svc.>"}, {stream: "st.>"}]
    mappings { "svc.req": "svc.real" }
  }
  I: {
    users: [{user: i, password: i}]
    imports: [{service: {account: E, subject: "svc.>"}}, {stream: {account: E, subject: "st.>"}}]
    mappings { "st.a": "st.z" }
  }
}
`;

describe('subject mappings', { timeout: 60_000 }, () => {
  let global: ServerHandle;
  let accounts: ServerHandle;
  const conns: NatsConnection[] = [];
  const nc = async (server: ServerHandle, opts: NodeConnectionOptions = {}) => {
    const c = await connect({ servers: server.url, reconnect: false, ...opts });
    conns.push(c);
    return c;
  };

  /** The subjects `count` messages published by `publish` arrive on, as a subscription on `>` sees them. */
  async function arrivals(c: NatsConnection, count: number, publish: () => void): Promise<string[]> {
    const sub = c.subscribe('>', { max: count, timeout: 10_000 });
    await c.flush();
    publish();
    const got: string[] = [];
    for await (const m of sub) got.push(m.subject);
    return got;
  }

  before(async () => {
    global = await startServer({ config: GLOBAL_CONFIG });
    accounts = await startServer({ config: ACCOUNTS_CONFIG });
  });
  after(async () => {
    for (const c of conns) if (!c.isClosed()) await c.close();
    await global?.stop();
    await accounts?.stop();
  });

  test('a literal source maps to its destination; other subjects are untouched', async () => {
    const c = await nc(global);
    const got = await arrivals(c, 2, () => {
      c.publish('simple.in', 'x');
      c.publish('simple.other', 'y');
    });
    assert.deepEqual(got, ['simple.out', 'simple.other']);
  });

  test('$N takes the wildcard tokens in the order the destination names them', async () => {
    const c = await nc(global);
    const got = await arrivals(c, 2, () => {
      c.publish('orders.eu.42', '');
      c.publish('orders.eu', '');
    });
    assert.deepEqual(got, ['o.42.eu', 'orders.eu']);
  });

  test('{{partition}} gives nats-server partition numbers', async () => {
    const c = await nc(global);
    const got = await arrivals(c, 5, () => {
      for (const s of ['p.a.b', 'p.foo.bar', 'p.1.2', 'whole.a', 'whole.hello']) c.publish(s, '');
    });
    assert.deepEqual(got, ['out.6.a.b', 'out.0.foo.bar', 'out.0.1.2', 'whole.4.a', 'whole.4.hello']);
  });

  test('{{split}} turns one token into several', async () => {
    const c = await nc(global);
    const got = await arrivals(c, 2, () => {
      c.publish('s.a-b--c-', '');
      c.publish('s.plain', '');
    });
    assert.deepEqual(got, ['sout.a.b.c', 'sout.plain']);
  });

  test('a request to a mapped subject is answered by the destination subscriber', async () => {
    const c = await nc(global);
    const sub = c.subscribe('simple.out', { callback: (_e, m) => void m.respond('pong') });
    await c.flush();
    const r = await c.request('simple.in', 'ping', { timeout: 5000 });
    assert.equal(r.string(), 'pong');
    sub.unsubscribe();
  });

  test('weighted destinations split 1000 messages about evenly', async () => {
    const c = await nc(global);
    const got = await arrivals(c, 1000, () => {
      for (let i = 0; i < 1000; i++) c.publish('w', '');
    });
    const a = got.filter((s) => s === 'w.a').length;
    const b = got.filter((s) => s === 'w.b').length;
    assert.equal(a + b, 1000);
    assert.ok(a >= 300 && a <= 700, `w.a got ${a}`);
    assert.ok(b >= 300 && b <= 700, `w.b got ${b}`);
  });

  test('each account applies its own mappings', async () => {
    const seen: Record<string, string[]> = {};
    for (const user of ['a', 'b', 'c']) {
      const c = await nc(accounts, { user, pass: user });
      seen[user] = await arrivals(c, 1, () => c.publish('acc.in', ''));
    }
    assert.deepEqual(seen, { a: ['acc.a'], b: ['acc.b'], c: ['acc.in'] });
  });

  test('a service request is mapped by the exporting account', async () => {
    const e = await nc(accounts, { user: 'e', pass: 'e' });
    const i = await nc(accounts, { user: 'i', pass: 'i' });
    e.subscribe('svc.real', { callback: (_e, m) => void m.respond(`real ${m.subject}`) });
    await e.flush();
    const r = await i.request('svc.req', '', { timeout: 5000 });
    assert.equal(r.string(), 'real svc.real');
  });

  test('a message arriving through a stream import is not mapped by the importer', async () => {
    const e = await nc(accounts, { user: 'e', pass: 'e' });
    const i = await nc(accounts, { user: 'i', pass: 'i' });
    const got = await arrivals(i, 1, () => e.publish('st.a', ''));
    assert.deepEqual(got, ['st.a']);
  });

  test('a reload replaces the mappings', async () => {
    const srv = await startServer({ config: 'mappings { "r.in": "r.one" }\n' });
    try {
      const c = await nc(srv);
      assert.deepEqual(await arrivals(c, 1, () => c.publish('r.in', '')), ['r.one']);
      assert.equal(await reload(srv, 'mappings { "r.in": "r.two" }\n'), 'Reloaded server configuration');
      assert.deepEqual(await arrivals(c, 1, () => c.publish('r.in', '')), ['r.two']);
      assert.equal(await reload(srv, 'mappings {}\n'), 'Reloaded server configuration');
      assert.deepEqual(await arrivals(c, 1, () => c.publish('r.in', '')), ['r.in']);
    } finally {
      await srv.stop();
    }
  });

  test('an account JWT carries its mappings (weight 0 means 100; a bad one is left out)', async () => {
    const op = newOperator();
    const sys = newAccount();
    const acc = newAccount();
    const mappings = {
      'j.in': [{ subject: 'j.out' }],
      'j.bad.*': [{ subject: 'j.{{wildcard(2)}}' }],
      'j.w': [{ subject: 'j.a', weight: 50 }, { subject: 'j.b', weight: 50 }],
    };
    const srv = await startServer({
      config: `
operator: ${operatorJwt(op, { system_account: sys.pub })}
system_account: ${sys.pub}
resolver: MEMORY
resolver_preload {
  ${sys.pub}: ${accountJwt(op, sys)}
  ${acc.pub}: ${accountJwt(op, acc, { mappings })}
}
`,
    });
    try {
      const user = newUser();
      const authenticator = jwtAuthenticator(userJwt(acc, user), new TextEncoder().encode(user.seed));
      const c = await nc(srv, { authenticator });
      assert.deepEqual(await arrivals(c, 2, () => {
        c.publish('j.in', '');
        c.publish('j.bad.x', '');
      }), ['j.out', 'j.bad.x']);
      const got = await arrivals(c, 200, () => {
        for (let i = 0; i < 200; i++) c.publish('j.w', '');
      });
      assert.equal(got.filter((s) => s === 'j.a' || s === 'j.b').length, 200);
      assert.ok(got.includes('j.a') && got.includes('j.b'));
    } finally {
      await srv.stop();
    }
  });

  test('publish permissions and subscribers see the mapped subject', async () => {
    const srv = await startServer({
      config: `
authorization { users: [{user: u, password: u, permissions: {publish: "foo"}}] }
mappings { "foo": "bar", "baz": "foo" }
`,
    });
    const c = await WireClient.connect(srv.port);
    try {
      await c.send('CONNECT {"user":"u","pass":"u","verbose":false}\r\nSUB > 1\r\nPUB foo 1\r\nx\r\nPUB baz 1\r\ny\r\nPING\r\n');
      await c.expect(`-ERR 'Permissions Violation for Publish to "bar"'\r\n${msg('foo', 1, 'y')}PONG\r\n`);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('-t reports a bad mapping with nats-server text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mappings-'));
    try {
      const cases: [string, string][] = [
        [
          '"l.*": "x.{{left(1,2)}}"',
          'Error adding mapping for "l.*" to "x.{{left(1,2)}}" : invalid mapping destination: unknown function in {{left(1,2)}}',
        ],
        [
          '"l.*": "x.{{wildcard(2)}}"',
          'Error adding mapping for "l.*" to "x.{{wildcard(2)}}" : invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]',
        ],
        [
          '"l.*": [{destination: "a", weight: 60}, {destination: "b", weight: 50}]',
          'Error adding mapping for "l.*" : total weight needs to be <= 100',
        ],
        ['"l.*": [{destination: "a"}]', 'Missing weight for mapping destination "a"'],
        ['"l..": "x"', 'Subject "l.." is not a valid subject'],
      ];
      for (const [entry, text] of cases) {
        const file = join(dir, 'bad.conf');
        writeFileSync(file, `mappings {\n  ${entry}\n}\n`);
        const r = await runServerCommand(['-t', '-c', file]);
        assert.notEqual(r.code, 0, entry);
        assert.ok(r.stderr.includes(text), `${entry}: ${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
