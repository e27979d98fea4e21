// JetStream with authentication configured: users of the global account use streams and KV as usual.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { startJsServer, type JsServer } from './js-server.js';

describe('JetStream with authentication', { timeout: 60_000 }, () => {
  let srv: JsServer;

  before(async () => {
    srv = await startJsServer('authorization { users: [ { user: alice, password: secret } ] }\n');
  });
  after(async () => {
    await srv?.stop();
  });

  test('an authenticated user creates a stream, publishes and uses KV', async () => {
    const nc = await connect({ servers: srv.srv.url, user: 'alice', pass: 'secret', reconnect: false });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'A', subjects: ['a.>'] });
      const pa = await jetstream(nc).publish('a.1', 'x');
      assert.equal(pa.seq, 1);
      const kv = await new Kvm(nc).create('authkv');
      await kv.put('k', 'v');
      assert.equal((await kv.get('k'))?.string(), 'v');
    } finally {
      await nc.close();
    }
  });
});

describe('JetStream in configured accounts', { timeout: 60_000 }, () => {
  let srv: JsServer;

  before(async () => {
    srv = await startJsServer(`accounts {
  A: { jetstream: enabled, users: [ { user: a, password: p } ] }
  B: { jetstream: enabled, users: [ { user: b, password: p } ] }
}
`);
  });
  after(async () => {
    await srv?.stop();
  });

  test('each account has its own streams; publishes stay in their account', async () => {
    const a = await connect({ servers: srv.srv.url, user: 'a', pass: 'p', reconnect: false });
    const b = await connect({ servers: srv.srv.url, user: 'b', pass: 'p', reconnect: false });
    try {
      const jsmA = await jetstreamManager(a);
      const jsmB = await jetstreamManager(b);
      await jsmA.streams.add({ name: 'S', subjects: ['s.>'] });
      await jsmB.streams.add({ name: 'S', subjects: ['s.>'], max_msgs: 5 });
      await jetstream(a).publish('s.1', 'from a');
      await jetstream(a).publish('s.1', 'from a');
      await jetstream(b).publish('s.1', 'from b');
      assert.equal((await jsmA.streams.info('S')).state.messages, 2);
      const infoB = await jsmB.streams.info('S');
      assert.equal(infoB.state.messages, 1);
      assert.equal(infoB.config.max_msgs, 5);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
