// Per-message TTL (`Nats-TTL`, `allow_msg_ttl`) and subject delete markers (`subject_delete_marker_ttl`),
// through @nats-io/jetstream and @nats-io/kv, with raw requests where the exact error JSON matters.
// Expiry is observed by polling in bounded loops; nothing asserts how long it took.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import { startJsServer, type JsServer } from './js-server.js';

const S = 1_000_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` holds (at most ~20 s; a bound, not a timing assertion). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`gave up waiting: ${what}`);
}

async function api(nc: NatsConnection, subject: string, body: unknown): Promise<Record<string, any>> {
  const m = await nc.request(subject, JSON.stringify(body), { timeout: 5000 });
  return m.json();
}

/** A publish with headers, answered with the raw ack JSON. */
async function pub(nc: NatsConnection, subject: string, hdrs: Record<string, string>): Promise<Record<string, any>> {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  const m = await nc.request(subject, 'x', { headers: h, timeout: 5000 });
  return m.json();
}

async function lastFor(jsm: JetStreamManager, stream: string, subject: string): Promise<StoredMsg | null> {
  return jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
}

async function msgCount(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

describe('JetStream per-message TTL and subject delete markers', { timeout: 120_000 }, () => {
  let srv: JsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    srv = await startJsServer();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await srv?.stop();
  });

  test('stream config: marker TTL turns on TTLs and roll-ups; its limits and errors', async () => {
    const ok = await api(nc, '$JS.API.STREAM.CREATE.CFG1', { name: 'CFG1', subjects: ['cfg1.>'], subject_delete_marker_ttl: 2 * S });
    assert.equal(ok.error, undefined, JSON.stringify(ok.error));
    assert.equal(ok.config.allow_msg_ttl, true);
    assert.equal(ok.config.allow_rollup_hdrs, true);
    assert.equal(ok.config.subject_delete_marker_ttl, 2 * S);
    const plain = await api(nc, '$JS.API.STREAM.CREATE.CFG0', { name: 'CFG0', subjects: ['cfg0.>'] });
    assert.equal(plain.config.allow_msg_ttl, false);
    assert.equal(plain.config.subject_delete_marker_ttl, undefined);

    const bad = async (cfg: Record<string, unknown>, description: string) => {
      const r = await api(nc, `$JS.API.STREAM.CREATE.${cfg.name as string}`, cfg);
      assert.deepEqual(r.error, { code: 500, err_code: 10052, description });
    };
    await bad({ name: 'B1', subject_delete_marker_ttl: S / 2 }, 'subject delete marker TTL must be at least 1 second');
    await bad({ name: 'B2', subject_delete_marker_ttl: -S }, 'subject delete marker TTL must not be negative');
    await bad(
      { name: 'B3', subject_delete_marker_ttl: S, pedantic: true },
      'subject delete marker cannot be set if message TTLs are disabled',
    );
    await bad(
      { name: 'B4', subject_delete_marker_ttl: S, allow_msg_ttl: true, pedantic: true },
      'subject delete marker cannot be set if roll-ups are disabled',
    );
    await bad({ name: 'B5', mirror: { name: 'CFG1' }, subject_delete_marker_ttl: S }, 'subject delete markers forbidden on mirrors');
    // `pedantic` is an option of the request, not part of the config.
    const ped = { name: 'PED', subjects: ['ped'], allow_msg_ttl: true, allow_rollup_hdrs: true, subject_delete_marker_ttl: S };
    const p = await api(nc, '$JS.API.STREAM.CREATE.PED', { ...ped, pedantic: true });
    assert.equal(p.error, undefined, JSON.stringify(p.error));
    assert.equal(p.config.pedantic, undefined);
    await jsm.streams.delete('PED');

    // TTLs can be turned on by an update, not off.
    const on = await api(nc, '$JS.API.STREAM.UPDATE.CFG0', { ...plain.config, allow_msg_ttl: true });
    assert.equal(on.config.allow_msg_ttl, true);
    const off = await api(nc, '$JS.API.STREAM.UPDATE.CFG0', { ...plain.config, allow_msg_ttl: false });
    assert.deepEqual(off.error, { code: 500, err_code: 10052, description: 'message TTL status can not be disabled' });
    await jsm.streams.delete('CFG0');
    await jsm.streams.delete('CFG1');
  });

  test('Nats-TTL values: accepted forms, refused ones, and a stream that does not allow TTLs', async () => {
    await jsm.streams.add({ name: 'NOTTL', subjects: ['nottl.>'] });
    await jsm.streams.add({ name: 'VALS', subjects: ['vals.>'], allow_msg_ttl: true });
    const disabled = { code: 400, err_code: 10166, description: 'per-message TTL is disabled' };
    const invalid = { code: 400, err_code: 10165, description: 'invalid per-message TTL' };
    assert.deepEqual((await pub(nc, 'nottl.a', { 'Nats-TTL': '5s' })).error, disabled);
    assert.deepEqual((await pub(nc, 'nottl.a', { 'Nats-TTL': 'never' })).error, disabled);
    // An unreadable value is not "a TTL" for the early check: it is refused as invalid instead.
    assert.deepEqual((await pub(nc, 'nottl.a', { 'Nats-TTL': 'soon' })).error, invalid);
    const js = jetstream(nc);
    await assert.rejects(js.publish('nottl.a', 'x', { ttl: '10s' }), (e: any) => e.code === 10166);

    for (const v of ['5s', '5', '1m', '1h30m', '1.5s', 'never', 'NEVER', '00']) {
      const r = await pub(nc, 'vals.ok', { 'Nats-TTL': v });
      assert.equal(r.error, undefined, `Nats-TTL: ${v} -> ${JSON.stringify(r.error)}`);
      assert.ok(r.seq > 0);
    }
    for (const v of ['0', '0s', '500ms', '-1', '-5s', '+5', '1.5', 'abc', '1d']) {
      assert.deepEqual((await pub(nc, 'vals.bad', { 'Nats-TTL': v })).error, invalid, `Nats-TTL: ${v}`);
    }
    const pa = await js.publish('vals.client', 'x', { ttl: '1h' });
    assert.equal(pa.stream, 'VALS');
    const m = await lastFor(jsm, 'VALS', 'vals.client');
    assert.equal(m?.header.get('Nats-TTL'), '1h', 'the header is stored as sent');
    await jsm.streams.delete('NOTTL');
    await jsm.streams.delete('VALS');
  });

  for (const storage of ['file', 'memory'] as const) {
    test(`${storage}: a message goes when its TTL passes; never outlives max_age; max_age beats a longer TTL`, async () => {
      const name = `EXP_${storage}`;
      const js = jetstream(nc);
      await jsm.streams.add({ name, subjects: [`exp.${storage}.>`], allow_msg_ttl: true, storage: storage as any });
      await js.publish(`exp.${storage}.short`, 'x', { ttl: '1s' });
      await js.publish(`exp.${storage}.keep`, 'x');
      await until('the 1s message to expire', async () => (await lastFor(jsm, name, `exp.${storage}.short`)) === null);
      assert.notEqual(await lastFor(jsm, name, `exp.${storage}.keep`), null, 'a message without TTL stays');
      await jsm.streams.delete(name);

      const aged = `AGE_${storage}`;
      await jsm.streams.add({ name: aged, subjects: [`age.${storage}.>`], allow_msg_ttl: true, max_age: S, storage: storage as any });
      await js.publish(`age.${storage}.never`, 'x', { ttl: 'never' });
      await js.publish(`age.${storage}.long`, 'x', { ttl: '1h' });
      await js.publish(`age.${storage}.plain`, 'x');
      await until('max_age to remove the plain and 1h messages', async () => (await msgCount(jsm, aged)) === 1);
      assert.notEqual(await lastFor(jsm, aged, `age.${storage}.never`), null, 'Nats-TTL: never is exempt from max_age');
      await jsm.streams.delete(aged);
    });
  }

  test('a subject delete marker replaces the last message max_age removes, then expires itself', async () => {
    await jsm.streams.add({ name: 'SDM', subjects: ['sdm.>'], max_age: S, subject_delete_marker_ttl: S });
    const js = jetstream(nc);
    await js.publish('sdm.a', '1');
    await js.publish('sdm.a', '2');
    await js.publish('sdm.b', '3');
    let marker: StoredMsg | null = null;
    await until('a marker for sdm.a', async () => {
      marker = await lastFor(jsm, 'SDM', 'sdm.a');
      return marker !== null && marker.header?.get('Nats-Marker-Reason') === 'MaxAge';
    });
    const m = marker as unknown as StoredMsg;
    assert.equal(m.header.get('Nats-TTL'), '1s');
    assert.equal(m.header.get('Nats-Rollup'), 'sub');
    assert.equal(m.data.length, 0);
    await until('both markers to go, placing no marker of their own', async () => (await msgCount(jsm, 'SDM')) === 0);
    const si = await jsm.streams.info('SDM');
    assert.equal(si.state.last_seq, 5, 'three messages and one marker per subject');
    await jsm.streams.delete('SDM');
  });

  test('purge and delete place no marker, only expiry does', async () => {
    await jsm.streams.add({ name: 'NOMARK', subjects: ['nomark.>'], subject_delete_marker_ttl: S });
    const js = jetstream(nc);
    await js.publish('nomark.a', 'x');
    const b = await js.publish('nomark.b', 'x');
    await jsm.streams.purge('NOMARK', { filter: 'nomark.a' });
    await jsm.streams.deleteMessage('NOMARK', b.seq);
    const si = await jsm.streams.info('NOMARK');
    assert.equal(si.state.messages, 0);
    assert.equal(si.state.last_seq, 2);
    await jsm.streams.delete('NOMARK');
  });

  test('with markers on, a shorter TTL is raised to the marker TTL (not with max_msgs_per_subject 1)', async () => {
    await jsm.streams.add({ name: 'RAISE', subjects: ['raise.>'], subject_delete_marker_ttl: 60 * S });
    const js = jetstream(nc);
    await js.publish('raise.a', 'x', { ttl: '2s' });
    await js.publish('raise.b', 'x', { ttl: '2h' });
    assert.equal((await lastFor(jsm, 'RAISE', 'raise.a'))?.header.get('Nats-TTL'), '60');
    assert.equal((await lastFor(jsm, 'RAISE', 'raise.b'))?.header.get('Nats-TTL'), '2h');
    await jsm.streams.add({ name: 'ONE', subjects: ['one.>'], subject_delete_marker_ttl: 60 * S, max_msgs_per_subject: 1 });
    await js.publish('one.a', 'x', { ttl: '2s' });
    assert.equal((await lastFor(jsm, 'ONE', 'one.a'))?.header.get('Nats-TTL'), '2s');
    await jsm.streams.delete('RAISE');
    await jsm.streams.delete('ONE');
  });

  test('KV: markerTTL bucket, create with a TTL, the expiry seen as PURGE by a watcher, purge with a TTL', async () => {
    const kv = await new Kvm(nc).create('ttlkv', { markerTTL: 1000 });
    const st = await kv.status();
    assert.equal(st.markerTTL, 1000);
    assert.equal(st.streamInfo.config.allow_msg_ttl, true);
    const seen: KvWatchEntry[] = [];
    const w = await kv.watch({ key: 'k' });
    (async () => {
      for await (const e of w) seen.push(e);
    })().catch(() => {});
    await kv.create('k', 'v', '1s');
    await until('the key to expire into a marker', async () => (await kv.get('k'))?.operation === 'PURGE');
    await until('the watcher to see PUT then PURGE', async () => seen.map((e) => e.operation).join() === 'PUT,PURGE');
    w.stop();
    // Over a marker, create works again (the client reads the PURGE and expects its revision).
    const rev = await kv.create('k', 'again');
    assert.equal((await kv.get('k'))?.revision, rev);
    await kv.purge('k', { ttl: '1s' });
    await kv.create('m', 'v', '1s');
    await until('the key to expire into a marker', async () => (await kv.get('m'))?.operation === 'PURGE');
    // The marker expires as well, leaving the key without history.
    await until('the marker to expire', async () => (await kv.get('m')) === null);

    await kv.put('p', 'v');
    await kv.purge('p', { ttl: '1s' });
    assert.equal((await kv.get('p'))?.operation, 'PURGE');
    await until('the purge marker to expire', async () => (await kv.get('p')) === null);
    await until('the bucket to be empty', async () => (await msgCount(jsm, 'KV_ttlkv')) === 0);
  });

  test('expiry survives a restart (file storage)', async () => {
    await jsm.streams.add({ name: 'RST', subjects: ['rst.>'], allow_msg_ttl: true, max_age: 4 * S });
    const js = jetstream(nc);
    await js.publish('rst.short', 'x', { ttl: '3s' });
    await js.publish('rst.never', 'x', { ttl: 'never' });
    await js.publish('rst.plain', 'x');
    await srv.restart();
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await until('the TTL message to expire after the restart', async () => (await lastFor(jsm, 'RST', 'rst.short')) === null);
    await until('max_age to remove the plain one', async () => (await lastFor(jsm, 'RST', 'rst.plain')) === null);
    assert.notEqual(await lastFor(jsm, 'RST', 'rst.never'), null, 'never stays across a restart');
  });
});
