// Subject mappings in front of JetStream: a publish is stored under its mapped subject, as in nats-server
// (the mapping is applied before anything else sees the subject).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startJsServer, type JsServer } from './js-server.js';

describe('subject mappings and JetStream', { timeout: 60_000 }, () => {
  let js: JsServer;
  before(async () => {
    js = await startJsServer('mappings { "orders.*": "stored.{{partition(4,1)}}.$1" }\n');
  });
  after(async () => {
    await js?.stop();
  });

  test('a stream stores the mapped subject, and the ack comes back to the publisher', async () => {
    const nc = await js.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'MAPPED', subjects: ['stored.>'] });
    const ack = await jetstream(nc).publish('orders.a', 'one');
    assert.equal(ack.stream, 'MAPPED');
    const m = await jsm.streams.getMessage('MAPPED', { seq: ack.seq });
    // FNV-1a("a") % 4 = 0.
    assert.equal(m?.subject, 'stored.0.a');
  });
});
