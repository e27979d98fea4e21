// Stream management through @nats-io/jetstream: create (and idempotent re-create), update, info, names,
// list, delete, purge forms, message get/delete and direct get, with nats-server's err_codes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { startJsServer, type JsServer } from './js-server.js';

async function apiError(p: Promise<unknown>): Promise<JetStreamApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof JetStreamApiError, `expected a JetStreamApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

describe('JetStream streams', { timeout: 60_000 }, () => {
  let js: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    js = await startJsServer();
    nc = await js.connect();
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await js?.stop();
  });

  test('account info reports JetStream usage and an api level', async () => {
    const info = await jsm.getAccountInfo();
    assert.equal(typeof info.api.level, 'number');
    assert.equal(info.limits.max_memory, -1);
  });

  test('create fills nats-server defaults; an identical re-create succeeds; a different one is 10058', async () => {
    const si = await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    assert.equal(si.config.retention, 'limits');
    assert.equal(si.config.max_msgs, -1);
    assert.equal(si.config.max_bytes, -1);
    assert.equal(si.config.max_msgs_per_subject, -1);
    assert.equal(si.config.duplicate_window, 120_000_000_000);
    assert.equal(si.config.storage, 'file');
    assert.equal(si.config.discard, 'old');
    assert.equal(si.state.messages, 0);
    const again = await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    assert.equal(again.config.name, 'ORDERS');
    const e = await apiError(jsm.streams.add({ name: 'ORDERS', subjects: ['orders.*'] }));
    assert.equal(e.code, 10058);
    const overlap = await apiError(jsm.streams.add({ name: 'OTHER', subjects: ['orders.new'] }));
    assert.equal(overlap.code, 10065);
  });

  test('duplicate_window defaults to max_age when that is shorter than 2 minutes', async () => {
    const si = await jsm.streams.add({ name: 'SHORT', subjects: ['short.>'], max_age: 30_000_000_000 });
    assert.equal(si.config.duplicate_window, 30_000_000_000);
    await jsm.streams.delete('SHORT');
  });

  test('info of a missing stream is 10059; names and list', async () => {
    const e = await apiError(jsm.streams.info('NOPE'));
    assert.equal(e.code, 10059);
    await jsm.streams.add({ name: 'LISTED', subjects: ['listed.>'] });
    const names: string[] = [];
    for await (const n of jsm.streams.names()) names.push(n);
    assert.ok(names.includes('LISTED') && names.includes('ORDERS'));
    const infos: string[] = [];
    for await (const si of jsm.streams.list()) infos.push(si.config.name);
    assert.ok(infos.includes('LISTED'));
    assert.equal(await jsm.streams.find('listed.x'), 'LISTED');
    assert.equal(await jsm.streams.delete('LISTED'), true);
    assert.equal((await apiError(jsm.streams.info('LISTED'))).code, 10059);
  });

  test('update changes limits and applies them', async () => {
    await jsm.streams.add({ name: 'UPD', subjects: ['upd.>'] });
    const j = jetstream(nc);
    for (let i = 0; i < 5; i++) await j.publish('upd.a', `m${i}`);
    const si = await jsm.streams.update('UPD', { max_msgs: 2 });
    assert.equal(si.config.max_msgs, 2);
    assert.equal(si.state.messages, 2);
    assert.equal(si.state.first_seq, 4);
    await jsm.streams.delete('UPD');
  });

  test('purge: all, by subject filter, keep, and up to a sequence', async () => {
    await jsm.streams.add({ name: 'PRG', subjects: ['prg.>'] });
    const j = jetstream(nc);
    for (let i = 0; i < 10; i++) await j.publish(i % 2 === 0 ? 'prg.even' : 'prg.odd', `${i}`);
    let r = await jsm.streams.purge('PRG', { filter: 'prg.even', keep: 1 });
    assert.equal(r.purged, 4);
    r = await jsm.streams.purge('PRG', { seq: 6 });
    assert.equal(r.purged, 2);
    const si = await jsm.streams.info('PRG');
    assert.equal(si.state.first_seq, 6);
    r = await jsm.streams.purge('PRG');
    assert.equal(r.purged, 4);
    const after = await jsm.streams.info('PRG');
    assert.equal(after.state.messages, 0);
    assert.equal(after.state.first_seq, 11);
    assert.equal(after.state.last_seq, 10);
    await jsm.streams.delete('PRG');
  });

  test('get and delete messages; missing is 10037', async () => {
    await jsm.streams.add({ name: 'GET', subjects: ['get.>'] });
    const j = jetstream(nc);
    const h = headers();
    h.set('X-Test', 'yes');
    await j.publish('get.a', 'one', { headers: h });
    await j.publish('get.b', 'two');
    await j.publish('get.a', 'three');
    const m1 = await jsm.streams.getMessage('GET', { seq: 1 });
    assert.equal(m1?.string(), 'one');
    assert.equal(m1?.subject, 'get.a');
    assert.equal(m1?.header.get('X-Test'), 'yes');
    const last = await jsm.streams.getMessage('GET', { last_by_subj: 'get.a' });
    assert.equal(last?.seq, 3);
    assert.equal(await jsm.streams.deleteMessage('GET', 2), true);
    assert.equal(await jsm.streams.getMessage('GET', { seq: 2 }), null);
    const si = await jsm.streams.info('GET');
    assert.equal(si.state.messages, 2);
    await jsm.streams.delete('GET');
  });

  test('direct get: JSON body and subject forms, with the Nats-* headers', async () => {
    await jsm.streams.add({ name: 'DG', subjects: ['dg.>'], allow_direct: true });
    const j = jetstream(nc);
    await j.publish('dg.a', 'first');
    await j.publish('dg.b', 'second');
    await j.publish('dg.a', 'third');
    const bySeq = await jsm.direct.getMessage('DG', { seq: 2 });
    assert.equal(bySeq?.string(), 'second');
    assert.equal(bySeq?.subject, 'dg.b');
    assert.equal(bySeq?.seq, 2);
    const last = await jsm.direct.getMessage('DG', { last_by_subj: 'dg.a' });
    assert.equal(last?.string(), 'third');
    const raw = await nc.request('$JS.API.DIRECT.GET.DG.dg.a', '');
    assert.equal(raw.string(), 'third');
    assert.equal(raw.headers?.get('Nats-Stream'), 'DG');
    assert.equal(raw.headers?.get('Nats-Subject'), 'dg.a');
    assert.equal(raw.headers?.get('Nats-Sequence'), '3');
    assert.match(raw.headers?.get('Nats-Time-Stamp') ?? '', /^\d{4}-\d\d-\d\dT/);
    const missing = await nc.request('$JS.API.DIRECT.GET.DG', JSON.stringify({ seq: 99 }));
    assert.equal(missing.headers?.code, 404);
    assert.equal(missing.headers?.description, 'Message Not Found');
    // A stored message's own headers come first, then the Nats-* ones; next_by_subj reads forward from seq.
    const h = headers();
    h.set('X-Mine', 'kept');
    await j.publish('dg.c', 'fourth', { headers: h });
    const withHdr = await nc.request('$JS.API.DIRECT.GET.DG', JSON.stringify({ next_by_subj: 'dg.c', seq: 1 }));
    assert.equal(withHdr.string(), 'fourth');
    assert.equal(withHdr.headers?.get('X-Mine'), 'kept');
    assert.equal(withHdr.headers?.get('Nats-Sequence'), '4');
    // Every connection gets the same answer, whichever server thread it is on.
    const others = await Promise.all([1, 2, 3].map(() => js.connect()));
    for (const o of others) assert.equal((await o.request('$JS.API.DIRECT.GET.DG.dg.b', '')).string(), 'second');
    await Promise.all(others.map((o) => o.close()));
    await jsm.streams.delete('DG');
    // The stream is gone, and so is its direct get: the request finds no responder or times out.
    await assert.rejects(nc.request('$JS.API.DIRECT.GET.DG.dg.a', '', { timeout: 500 }));
  });
});
