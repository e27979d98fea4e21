// natscli against the JetStream API: stream add with --defaults (twice: idempotent), stream info, publish
// with an ack, pull consumer add and next, KV add/put/get/ls/history. Skipped when natscli is not installed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJsServer, type JsServer } from './js-server.js';

const NATS = [process.env.NATS_CLI_BIN, join(homedir(), 'go', 'bin', 'nats'), '/root/go/bin/nats'].find(
  (p): p is string => !!p && existsSync(p),
);

describe('natscli with JetStream', { timeout: 90_000, skip: NATS === undefined ? 'natscli not installed' : false }, () => {
  let srv: JsServer;
  let home: string;

  const nats = (args: string[]): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
      execFile(
        NATS as string,
        ['-s', srv.srv.url, '--no-context', '--timeout', '5s', ...args],
        { env, timeout: 20_000 },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), out: stdout + stderr }),
      );
    });

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'myelin-natscli-js-'));
    srv = await startJsServer();
  });
  after(async () => {
    await srv?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('stream add --defaults, again, and stream info', async () => {
    let r = await nats(['stream', 'add', 'ORDERS', '--subjects', 'orders.>', '--defaults']);
    assert.equal(r.code, 0, r.out);
    r = await nats(['stream', 'add', 'ORDERS', '--subjects', 'orders.>', '--defaults']);
    assert.equal(r.code, 0, r.out);
    r = await nats(['pub', 'orders.1', 'hello', '--jetstream']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Stored in Stream: ORDERS Sequence: 1/);
    r = await nats(['stream', 'info', 'ORDERS', '--json']);
    assert.equal(r.code, 0, r.out);
    const info = JSON.parse(r.out) as { config: { name: string; subjects: string[] }; state: { messages: number } };
    assert.equal(info.config.name, 'ORDERS');
    assert.deepEqual(info.config.subjects, ['orders.>']);
    assert.equal(info.state.messages, 1);
  });

  test('consumer add --pull and consumer next', async () => {
    let r = await nats(['consumer', 'add', 'ORDERS', 'WORKER', '--pull', '--defaults']);
    assert.equal(r.code, 0, r.out);
    r = await nats(['consumer', 'next', 'ORDERS', 'WORKER', '--raw']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /hello/);
  });

  test('kv add, put, get, ls, history', async () => {
    let r = await nats(['kv', 'add', 'CFG', '--history', '3']);
    assert.equal(r.code, 0, r.out);
    r = await nats(['kv', 'put', 'CFG', 'color', 'blue']);
    assert.equal(r.code, 0, r.out);
    r = await nats(['kv', 'put', 'CFG', 'color', 'green']);
    assert.equal(r.code, 0, r.out);
    r = await nats(['kv', 'get', 'CFG', 'color', '--raw']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.trim(), 'green');
    r = await nats(['kv', 'ls', 'CFG']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /color/);
    r = await nats(['kv', 'history', 'CFG', 'color']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /blue/);
    assert.match(r.out, /green/);
  });

  // natscli creates the bench stream with level 2 options (`allow_atomic`, or `persist_mode: async`) and
  // checks the server's API level first: both servers under test report level 2 or more.
  test('bench js pub batch and --persistasync with --create', async () => {
    const nc = await srv.connect();
    const accountInfo = (await nc.request('$JS.API.INFO', '', { timeout: 5000 })).json() as { api?: { level?: number } };
    const level = accountInfo.api?.level ?? 0;
    assert.ok(level >= 2, `the server reports JetStream API level ${level}`);
    const bench = ['--msgs', '2000', '--no-progress'];
    let r = await nats(['bench', 'js', 'pub', 'batch', 'bench.atomic', '--create', '--stream', 'BATOMIC', '--batch', '100', ...bench]);
    assert.equal(r.code, 0, r.out);
    r = await nats(['bench', 'js', 'pub', 'async', 'bench.async', '--create', '--stream', 'BASYNC', '--persistasync', ...bench]);
    assert.equal(r.code, 0, r.out);
    for (const [stream, key, value] of [['BATOMIC', 'allow_atomic', true], ['BASYNC', 'persist_mode', 'async']] as const) {
      r = await nats(['stream', 'info', stream, '--json']);
      const info = JSON.parse(r.out) as { config: Record<string, unknown>; state: { messages: number } };
      assert.equal(info.config[key], value);
      assert.equal(info.state.messages, 2000);
    }
  });
});
