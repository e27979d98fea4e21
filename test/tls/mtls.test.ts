// Mutual TLS (`verify`) and certificate-mapped users (`verify_and_map`) with the official clients. Runs
// against nats-server too (NATS_SERVER_BIN).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectV2 } from 'nats';
import { connect as connectV3, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { CA, clientPair, tlsBlock } from './certs.js';

const MAP_CONFIG = `${tlsBlock('  verify_and_map: true')}
authorization {
  users = [
    { user: "alice@myelin.test", permissions: { publish: ["ok.>", "_INBOX.>"], subscribe: ["ok.>", "_INBOX.>"] } }
    { user: "CN=bob,OU=Test,O=Myelin" }
    { user: "carol.myelin.test", permissions: { publish: "carol.>", subscribe: "carol.>" } }
  ]
}
`;

const ONLY_ALICE = `${tlsBlock('  verify_and_map: true')}
authorization { users = [ { user: "alice@myelin.test" } ] }
`;

async function firstMessage(nc: NatsConnection, subject: string): Promise<{ sub: AsyncIterator<{ subject: string }> }> {
  const sub = nc.subscribe(subject, { max: 1 });
  await nc.flush();
  return { sub: sub[Symbol.asyncIterator]() };
}

describe('mutual TLS (verify: true)', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  before(async () => {
    srv = await startServer({ config: tlsBlock('  verify: true') });
  });
  after(async () => {
    await srv?.stop();
  });

  test('INFO says tls_required and tls_verify', async () => {
    const w = await WireClient.connect(srv.port);
    try {
      assert.equal(w.info.tls_required, true);
      assert.equal(w.info.tls_verify, true);
    } finally {
      w.close();
    }
  });

  test('a client certificate from the CA is accepted (v2 and v3)', async () => {
    const a = await connectV2({ servers: srv.url, tls: { caFile: CA, ...clientPair('client') }, reconnect: false });
    const b = await connectV3({ servers: srv.url, tls: { caFile: CA, ...clientPair('client-dn') }, reconnect: false });
    try {
      await a.flush();
      await b.flush();
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a client without a certificate is refused (v2 and v3)', async () => {
    await assert.rejects(connectV2({ servers: srv.url, tls: { caFile: CA }, reconnect: false }));
    await assert.rejects(connectV3({ servers: srv.url, tls: { caFile: CA }, reconnect: false }));
  });

  test('a certificate from another CA is refused (v2 and v3)', async () => {
    await assert.rejects(connectV2({ servers: srv.url, tls: { caFile: CA, ...clientPair('rogue') }, reconnect: false }));
    await assert.rejects(connectV3({ servers: srv.url, tls: { caFile: CA, ...clientPair('rogue') }, reconnect: false }));
  });
});

describe('verify_and_map', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let alice: ServerHandle;
  before(async () => {
    srv = await startServer({ config: MAP_CONFIG });
    alice = await startServer({ config: ONLY_ALICE });
  });
  after(async () => {
    await srv?.stop();
    await alice?.stop();
  });

  test('INFO says auth_required, tls_required and tls_verify', async () => {
    const w = await WireClient.connect(srv.port);
    try {
      assert.equal(w.info.auth_required, true);
      assert.equal(w.info.tls_required, true);
      assert.equal(w.info.tls_verify, true);
    } finally {
      w.close();
    }
  });

  test("the e-mail SAN names the user, whose permissions apply", async () => {
    // bob (mapped by DN, no permissions) watches both subjects; alice may publish only to ok.>.
    const bob = await connectV3({ servers: srv.url, tls: { caFile: CA, ...clientPair('client-dn') }, reconnect: false });
    const a = await connectV2({ servers: srv.url, tls: { caFile: CA, ...clientPair('client') }, reconnect: false });
    try {
      const { sub } = await firstMessage(bob, '*.x');
      a.publish('no.x', 'denied');
      a.publish('ok.x', 'allowed');
      await a.flush();
      const first = await sub.next();
      assert.equal(first.value?.subject, 'ok.x');
    } finally {
      await a.close();
      await bob.close();
    }
  });

  test('the DNS SAN names the user (v3), and its subscribe permissions apply', async () => {
    const carol = await connectV3({ servers: srv.url, tls: { caFile: CA, ...clientPair('client-dns') }, reconnect: false });
    try {
      const sub = carol.subscribe('ok.x');
      // The v3 client ends a refused subscription with the server's error as the value of `closed`.
      const err = await sub.closed;
      assert.match(String(err), /Permissions Violation for Subscription to "ok.x"/);
      const own = carol.subscribe('carol.a', { max: 1 });
      carol.publish('carol.a', 'mine');
      for await (const m of own) assert.equal(m.string(), 'mine');
    } finally {
      await carol.close();
    }
  });

  test('a certificate that maps to no user is refused with Authorization Violation', async () => {
    await assert.rejects(
      connectV3({ servers: alice.url, tls: { caFile: CA, ...clientPair('client-dn') }, reconnect: false }),
      /Authorization Violation/i,
    );
    const a = await connectV3({ servers: alice.url, tls: { caFile: CA, ...clientPair('client') }, reconnect: false });
    await a.flush();
    await a.close();
  });

  test('no certificate, or one from another CA, is refused', async () => {
    await assert.rejects(connectV2({ servers: srv.url, tls: { caFile: CA }, reconnect: false }));
    await assert.rejects(connectV3({ servers: srv.url, tls: { caFile: CA, ...clientPair('rogue') }, reconnect: false }));
  });
});
