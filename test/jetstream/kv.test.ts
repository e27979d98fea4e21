// Key-value buckets through @nats-io/kv: put, get, create, update, delete, purge, history, watch, keys.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

describe('JetStream KV', { timeout: 60_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let kv: KV;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    kv = await new Kvm(nc).create('config', { history: 5 });
  });
  after(async () => {
    await srv?.stop();
  });

  test('the bucket is a KV_ stream with nats-server settings; opening it again works', async () => {
    const st = await kv.status();
    assert.equal(st.bucket, 'config');
    assert.equal(st.history, 5);
    const again = await new Kvm(nc).create('config', { history: 5 });
    assert.equal((await again.status()).bucket, 'config');
    const opened = await new Kvm(nc).open('config');
    assert.equal((await opened.status()).streamInfo.config.name, 'KV_config');
  });

  test('put and get; revisions increase', async () => {
    const r1 = await kv.put('a.b', 'one');
    const r2 = await kv.put('a.b', 'two');
    assert.equal(r2, r1 + 1);
    const e = await kv.get('a.b');
    assert.equal(e?.string(), 'two');
    assert.equal(e?.revision, r2);
    assert.equal(e?.operation, 'PUT');
    assert.equal(await kv.get('missing'), null);
  });

  test('create fails on an existing key; update checks the revision', async () => {
    const r = await kv.create('c', 'first');
    await assert.rejects(kv.create('c', 'again'));
    const r2 = await kv.update('c', 'second', r);
    await assert.rejects(kv.update('c', 'third', r));
    assert.equal((await kv.get('c'))?.string(), 'second');
    assert.ok(r2 > r);
  });

  test('delete and purge leave markers; create works again after delete', async () => {
    await kv.put('d', 'x');
    await kv.delete('d');
    const e = await kv.get('d');
    assert.ok(e === null || e.operation === 'DEL');
    await kv.create('d', 'back');
    assert.equal((await kv.get('d'))?.string(), 'back');
    await kv.put('p', '1');
    await kv.put('p', '2');
    await kv.purge('p');
    const h: KvEntry[] = [];
    for await (const x of await kv.history({ key: 'p' })) h.push(x);
    assert.equal(h.length, 1);
    assert.equal(h[0]?.operation, 'PURGE');
  });

  test('history lists every revision of a key', async () => {
    await kv.put('h', '1');
    await kv.put('h', '2');
    await kv.put('h', '3');
    const vals: string[] = [];
    for await (const e of await kv.history({ key: 'h' })) vals.push(e.string());
    assert.deepEqual(vals, ['1', '2', '3']);
  });

  test('keys lists live keys only', async () => {
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    keys.sort();
    assert.ok(keys.includes('a.b') && keys.includes('c') && keys.includes('h'));
    assert.ok(!keys.includes('p'));
  });

  test('watch sends current values then updates', async () => {
    const w = await kv.watch({ key: 'w.>' });
    await kv.put('w.1', 'one');
    await kv.put('w.2', 'two');
    await kv.delete('w.1');
    const seen: string[] = [];
    for await (const e of w) {
      seen.push(`${e.key}:${e.operation}:${e.string()}`);
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, ['w.1:PUT:one', 'w.2:PUT:two', 'w.1:DEL:']);
  });

  test('per-bucket ttl is the stream max_age', async () => {
    const ttl = await new Kvm(nc).create('ttl', { ttl: 60_000 });
    const st = await ttl.status();
    assert.equal(st.ttl, 60_000);
    await ttl.put('k', 'v');
    assert.equal((await ttl.get('k'))?.string(), 'v');
  });
});
