// Cold storage: a file stream whose metadata sets myelin.archive_dir and myelin.archive_age has its old
// sealed blocks moved to the archive folder (first_seq moves up), and `myelin archive replay` republishes them,
// in order and intact, into another stream; `list` shows what the folder holds. Myelin only: nats-server has
// no such feature (it stores the metadata keys and ignores them).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeliverPolicy, jetstream, jetstreamManager, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { checkFor, isGo, repoRoot, startServer, type ServerHandle } from '../helpers/server.js';

const run = promisify(execFile);
const myelin = (args: string[]) => run(process.execPath, [join(repoRoot, 'bin', 'myelin.js'), 'archive', ...args]);

/** 256 KiB payloads: a store block (8 MiB) seals after about 31 of them. */
const PAYLOAD = 256 * 1024;
const COUNT = 70;

function payload(i: number): Uint8Array {
  return new Uint8Array(PAYLOAD).fill(i % 251);
}

describe('JetStream cold storage', { skip: isGo && 'nats-server has no cold storage', timeout: 120_000 }, () => {
  let srv: ServerHandle;
  let nc: NatsConnection;
  let storeDir: string;
  let archiveDir: string;

  before(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'myelin-archive-'));
    archiveDir = join(storeDir, 'cold', 'ORDERS');
    srv = await startServer({ args: ['-js', '-sd', storeDir], env: { MYELIN_ARCHIVE_CHECK_MS: '100' } });
    nc = await connect({ servers: srv.url, reconnect: false });
  });
  after(async () => {
    await nc?.close().catch(() => {});
    await srv?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  test('sealed blocks past the age move to the archive, and replay brings them back in order', async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const config: Partial<StreamConfig> & { name: string } = { name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.File };
    await jsm.streams.add(config);
    for (let i = 1; i <= COUNT; i++) {
      const h = headers();
      h.set('Order', `${i}`);
      await js.publish(`orders.${i % 3}`, payload(i), i % 2 === 0 ? { headers: h } : {});
    }
    // The policy arrives with a stream update: the next check archives every sealed block at once.
    await jsm.streams.update('ORDERS', { ...config, metadata: { 'myelin.archive_dir': archiveDir, 'myelin.archive_age': '1ms' } });
    const si = await checkFor(20_000, 50, async () => {
      const s = await jsm.streams.info('ORDERS');
      return s.state.first_seq > 1 ? s : undefined;
    });
    assert.equal(si.config.metadata?.['myelin.archive_age'], '1ms', 'the metadata is stored untouched');
    const archived = si.state.first_seq - 1;
    assert.ok(archived >= 31 && archived < COUNT, `archived ${archived}`);
    assert.equal(si.state.last_seq, COUNT);
    assert.equal(si.state.messages, COUNT - archived);
    assert.equal(await jsm.streams.getMessage('ORDERS', { seq: 1 }), null, 'sequence 1 left the stream');
    assert.match(srv.stderr(), new RegExp(`archived ${archived} messages \\(sequences 1\\.\\.${archived}\\) of stream '\\$G > ORDERS'`));
    assert.ok(readdirSync(archiveDir).some((n) => n.endsWith('.blk')));

    const listed = await myelin(['list', '--archive', archiveDir]);
    assert.match(listed.stdout, /Archive of stream '\$G > ORDERS' \(subjects orders\.>\)/);
    assert.match(listed.stdout, new RegExp(`seq 1\\.\\.\\d+ +\\d+ msgs`));
    assert.match(listed.stdout, new RegExp(`, ${archived} messages, `));

    const replay = ['replay', '--archive', archiveDir, '--server', srv.url, '--stream', 'RESTORED', '--subject-prefix', 'restored'];
    const first = await myelin(replay);
    assert.match(first.stdout, new RegExp(`replayed ${archived} messages .* \\(${archived} stored, 0 duplicates\\)`));
    // A second run inside the duplicate window stores nothing twice.
    const again = await myelin(replay);
    assert.match(again.stdout, new RegExp(`\\(0 stored, ${archived} duplicates\\)`));

    const restored = await jsm.streams.info('RESTORED');
    assert.equal(restored.state.messages, archived);
    assert.deepEqual(restored.config.subjects, ['restored.>']);
    const c = await js.consumers.get('RESTORED', { deliver_policy: DeliverPolicy.All });
    const it = await c.fetch({ max_messages: archived, expires: 5000 });
    let i = 0;
    for await (const m of it) {
      i++;
      assert.equal(m.subject, `restored.orders.${i % 3}`);
      assert.deepEqual(m.data, payload(i), `payload of ${i}`);
      assert.equal(m.headers?.get('Nats-Msg-Id'), `ORDERS:${i}`);
      assert.equal(m.headers?.get('Order') ?? '', i % 2 === 0 ? `${i}` : '');
      if (i === archived) break;
    }
    assert.equal(i, archived);
  });

  test('a malformed policy is reported once and archives nothing', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'HALF', subjects: ['half.>'], metadata: { 'myelin.archive_dir': 'cold/HALF' } });
    await jetstream(nc).publish('half.1', 'x');
    const warning = "stream '$G > HALF': myelin.archive_dir needs myelin.archive_age";
    await checkFor(10_000, 50, () => srv.stderr().includes(warning));
    assert.equal(srv.stderr().split(warning).length, 2, 'one warning');
    assert.equal((await jsm.streams.info('HALF')).state.first_seq, 1);
  });

  test('bad commands fail with a message', async () => {
    await assert.rejects(myelin(['list']), /--archive <dir> is required/);
    await assert.rejects(myelin(['bogus', '--archive', '/nonexistent']), /unknown command "bogus"/);
    await assert.rejects(myelin(['replay', '--archive', archiveDir]), /--stream <name> is required/);
  });
});

describe('JetStream cold storage at startup', { skip: isGo && 'nats-server has no cold storage', timeout: 120_000 }, () => {
  let srv: ServerHandle;
  let storeDir: string;
  // An hour between checks: within the test only the check at startup can archive.
  const start = () => startServer({ args: ['-js', '-sd', storeDir], env: { MYELIN_ARCHIVE_CHECK_MS: '3600000' } });

  before(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'myelin-archive-'));
    srv = await start();
  });
  after(async () => {
    await srv?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  test('a restart archives what became old while the server was down; a relative archive_dir is under the store dir', async () => {
    let nc = await connect({ servers: srv.url, reconnect: false });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: 'LOGS',
      subjects: ['logs.>'],
      metadata: { 'myelin.archive_dir': 'cold/LOGS', 'myelin.archive_age': '1ms' },
    });
    const js = jetstream(nc);
    for (let i = 1; i <= 40; i++) await js.publish('logs.app', payload(i));
    assert.equal((await jsm.streams.info('LOGS')).state.first_seq, 1, 'no check ran yet');
    await nc.close();
    await srv.stop();
    srv = await start();
    nc = await connect({ servers: srv.url, reconnect: false });
    try {
      const si = await (await jetstreamManager(nc)).streams.info('LOGS');
      assert.ok(si.state.first_seq > 1, `first_seq ${si.state.first_seq}`);
      assert.equal(si.state.last_seq, 40);
      const listed = await myelin(['list', '--archive', join(storeDir, 'cold', 'LOGS')]);
      assert.match(listed.stdout, new RegExp(`, ${si.state.first_seq - 1} messages, `));
    } finally {
      await nc.close();
    }
  });

  test('without a subcommand the usage is printed', async () => {
    await assert.rejects(myelin([]), (e: { code?: number; stdout?: string }) => e.code === 1 && /archive <command>/.test(e.stdout ?? ''));
  });
});
