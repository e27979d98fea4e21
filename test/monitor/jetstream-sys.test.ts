// JetStream through the system account: `$SYS.REQ.SERVER.PING.JSZ` with its options, HEALTHZ, the
// `jetstream` block of STATSZ, and natscli's `nats server report jetstream` with system-account credentials.
// One JetStream account (APP, `jetstream: enabled`) holds a stream and a durable consumer. Runs against
// Myelin and, with NATS_SERVER_BIN, nats-server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { startServer, type ServerHandle } from '../helpers/server.js';

type Json = Record<string, unknown>;

const SERVER_NAME = 'jsz-sys-test';
const CONFIG = `
server_name: ${SERVER_NAME}
accounts {
  SYS: { users: [{user: sys, password: sys}] }
  APP: { users: [{user: app, password: app}], jetstream: enabled }
}
system_account: SYS
`;

const NATS = [process.env.NATS_CLI_BIN, join(homedir(), 'go', 'bin', 'nats'), '/root/go/bin/nats'].find(
  (p): p is string => !!p && existsSync(p),
);

describe('JetStream through the system account', { timeout: 60_000 }, () => {
  let srv: ServerHandle;
  let storeDir: string;
  let home: string;
  let sys: NatsConnection;
  let app: NatsConnection;

  const ask = async (subject: string, body: unknown = undefined): Promise<Json> => {
    const m = await sys.request(subject, body === undefined ? '' : JSON.stringify(body), { timeout: 5000 });
    return JSON.parse(m.string()) as Json;
  };

  before(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'myelin-jsz-sys-'));
    home = mkdtempSync(join(tmpdir(), 'myelin-jsz-cli-'));
    srv = await startServer({ config: CONFIG, args: ['-js', '-sd', storeDir] });
    sys = await connect({ servers: srv.url, user: 'sys', pass: 'sys', reconnect: false });
    app = await connect({ servers: srv.url, user: 'app', pass: 'app', reconnect: false });
    const jsm = await jetstreamManager(app);
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
    const js = jetstream(app);
    for (let i = 0; i < 4; i++) await js.publish('events.a', 'payload');
    await jsm.consumers.add('EVENTS', { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
  });
  after(async () => {
    await app?.close();
    await sys?.close();
    await srv?.stop();
    rmSync(storeDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  test('PING.JSZ answers the JetStream totals; its options select the details', async () => {
    const plain = (await ask('$SYS.REQ.SERVER.PING.JSZ')).data as Json;
    assert.equal(plain.streams, 1);
    assert.equal(plain.consumers, 1);
    assert.equal(plain.messages, 4);
    assert.equal(plain.accounts, 1);
    assert.equal(plain.total, 1);
    assert.equal(plain.account_details, undefined);

    const full = (await ask('$SYS.REQ.SERVER.PING.JSZ', { accounts: true, streams: true, consumer: true, config: true })).data as Json;
    const details = full.account_details as Json[];
    assert.equal(details.length, 1);
    assert.equal(details[0].name, 'APP');
    const stream = (details[0].stream_detail as Json[])[0];
    assert.equal(stream.name, 'EVENTS');
    assert.equal((stream.config as Json).name, 'EVENTS');
    assert.equal(((stream.consumer_detail as Json[])[0] as Json).name, 'worker');

    // A single server leads its JetStream: leader_only still answers.
    assert.equal(((await ask('$SYS.REQ.SERVER.PING.JSZ', { leader_only: true })).data as Json).streams, 1);

    const one = (await ask('$SYS.REQ.SERVER.PING.JSZ', { account: 'APP', streams: true })).data as Json;
    const only = one.account_details as Json[];
    assert.equal(only.length, 1);
    assert.equal((only[0].stream_detail as Json[]).length, 1);
  });

  test('ACCOUNT.<acc>.JSZ answers one account, or an error for one without JetStream', async () => {
    const r = await ask('$SYS.REQ.ACCOUNT.APP.JSZ', { streams: true });
    const d = r.data as Json;
    assert.equal(d.name, 'APP');
    assert.equal(d.id, 'APP');
    assert.equal((d.stream_detail as Json[])[0].name, 'EVENTS');
    const sysAcc = await ask('$SYS.REQ.ACCOUNT.SYS.JSZ');
    assert.deepEqual(sysAcc.error, { code: 500, description: 'account "SYS" not jetstream enabled' });
  });

  test('PING.HEALTHZ checks the assets and puts the status code in the answer', async () => {
    assert.deepEqual((await ask('$SYS.REQ.SERVER.PING.HEALTHZ')).data, { status: 'ok', status_code: 200 });
    const stream = await ask('$SYS.REQ.SERVER.PING.HEALTHZ', { account: 'APP', stream: 'EVENTS' });
    assert.deepEqual(stream.data, { status: 'ok', status_code: 200 });
    const missing = await ask('$SYS.REQ.SERVER.PING.HEALTHZ', { account: 'APP', stream: 'NOPE' });
    assert.deepEqual(missing.data, {
      status: 'unavailable',
      status_code: 404,
      error: 'JetStream stream "NOPE" not found on account "APP"',
    });
  });

  test('STATSZ carries the JetStream config (without the store directory) and stats', async () => {
    const statsz = (await ask('$SYS.REQ.SERVER.PING.STATSZ')).statsz as Json;
    const keys = Object.keys(statsz);
    assert.ok(keys.indexOf('jetstream') > keys.indexOf('active_servers'), keys.join());
    const block = statsz.jetstream as Json;
    const config = block.config as Json;
    assert.equal(config.store_dir, undefined);
    assert.ok((config.max_storage as number) > 0);
    const stats = block.stats as Json;
    assert.equal(stats.accounts, 1);
    assert.ok((stats.storage as number) > 0);
    assert.ok(((stats.api as Json).total as number) >= 3);
  });

  test('nats server report jetstream with system-account credentials', { skip: NATS === undefined }, async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    const args = ['-s', srv.url, '--no-context', '--user', 'sys', '--password', 'sys', '--timeout', '5s', 'server', 'report', 'jetstream'];
    const proc = spawn(NATS!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    clearTimeout(killer);
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(SERVER_NAME));
  });
});
