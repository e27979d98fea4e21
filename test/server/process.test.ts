// Process-level behaviour: logs, ports file, signals, command line.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { connect as netConnect } from 'node:net';
import { startServer, runServerCommand, checkFor, expectedExeName, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** nats-server log line: "[pid] YYYY/MM/DD HH:MM:SS.micros [INF] text" */
function logLine(pid: number, text: string): RegExp {
  return new RegExp(`^\\[${pid}\\] \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} \\[INF\\] ${esc(text)}$`, 'm');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('server process', { timeout: 60_000 }, () => {
  const servers: ServerHandle[] = [];
  const tmpDirs: string[] = [];
  const start = async (...a: Parameters<typeof startServer>) => {
    const s = await startServer(...a);
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) {
      await s.stop('SIGKILL');
      s.cleanup();
    }
    for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  });

  test('startup log: "Listening for client connections on 127.0.0.1:<port>" then "Server is ready"', async () => {
    const s = await start();
    await checkFor(5000, 20, () => /Server is ready/.test(s.stderr()));
    const log = s.stderr();
    const listening = logLine(s.pid, `Listening for client connections on 127.0.0.1:${s.port}`);
    const ready = logLine(s.pid, 'Server is ready');
    assert.match(log, listening);
    assert.match(log, ready);
    assert.ok(log.search(listening) < log.search(ready), 'Listening line comes before Server is ready');
    assert.equal(await s.stop(), 0);
  });

  test('ports file is <exe>_<pid>.ports with {"nats":["nats://127.0.0.1:<port>"]}, removed on shutdown', async () => {
    const s = await start();
    assert.equal(basename(s.portsFile), `${expectedExeName()}_${s.pid}.ports`);
    assert.equal(s.dir, join(s.portsFile, '..'));
    const content = JSON.parse(readFileSync(s.portsFile, 'utf8'));
    assert.deepEqual(content, { nats: [`nats://127.0.0.1:${s.port}`] });
    assert.equal(await s.stop('SIGTERM', { keepFiles: true }), 0);
    assert.equal(existsSync(s.portsFile), false, 'ports file removed after a clean shutdown');
    s.cleanup();
  });

  test('-p -1 picks a random free port; two servers get different ports', async () => {
    const a = await start();
    const b = await start();
    assert.notEqual(a.port, b.port);
    assert.ok(a.port > 0 && b.port > 0);
    await a.stop();
    await b.stop();
  });

  test('SIGTERM: graceful exit with code 0, clients disconnected, port closed', async () => {
    const s = await start();
    const c = await WireClient.connectAndHandshake(s.port);
    assert.equal(await s.stop('SIGTERM'), 0);
    await c.waitClosed(5000);
    c.close();
    assert.equal(await canConnect(s.port), false);
  });

  test('SIGINT: graceful exit with code 0', async () => {
    const s = await start();
    const c = await WireClient.connectAndHandshake(s.port);
    assert.equal(await s.stop('SIGINT'), 0);
    await c.waitClosed(5000);
    c.close();
  });

  test('-v prints "<name>: v<semver>" on stdout and exits 0', async () => {
    const r = await runServerCommand(['-v']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\S+: v\d+\.\d+\.\d+\n$/);
  });

  test('--version is the same as -v', async () => {
    const r = await runServerCommand(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\S+: v\d+\.\d+\.\d+\n$/);
  });

  test('-h prints usage on stdout and exits 0', async () => {
    const r = await runServerCommand(['-h']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: \S+ \[options\]/);
    assert.match(r.stdout, /--ports_file_dir/);
  });

  test('unknown flag: "flag provided but not defined" on stderr, usage on stdout, exit 0 (nats-server usage() exits 0)', async () => {
    const r = await runServerCommand(['--bogus-flag']);
    assert.match(r.stderr, /^flag provided but not defined: -bogus-flag$/m);
    assert.match(r.stdout, /Usage: \S+ \[options\]/);
    assert.equal(r.code, 0);
  });

  test('config with an unknown field: error naming the field, exit 1', async () => {
    const d = mkdtempSync(join(tmpdir(), 'myelin-conf-'));
    tmpDirs.push(d);
    const f = join(d, 'bad.conf');
    writeFileSync(f, 'max_payload: 100\nbogus_key: 5\n');
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-c', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.conf:2:1: unknown field "bogus_key"/);
  });

  test('lame_duck_duration below 30s is rejected, exit 1', async () => {
    const d = mkdtempSync(join(tmpdir(), 'myelin-conf-'));
    tmpDirs.push(d);
    const f = join(d, 'ldm.conf');
    writeFileSync(f, 'lame_duck_duration: "1s"\n');
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-c', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid lame_duck_duration of 1s, minimum is 30 seconds/);
  });

  test('missing config file: exit 1', async () => {
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-c', '/nonexistent/myelin-test.conf']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/nonexistent\/myelin-test\.conf/);
  });
});
