// Config reload of limits and logging, refusal of what cannot change, and `--signal reload` through the pid
// file. Real server processes; runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { runServerCommand, startServer, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';
import { logSince, reload } from './reload-helpers.js';

const RELOADED = 'Reloaded server configuration';

/** A port that was free a moment ago (the listener is closed before it is returned). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('config reload: limits, logging, refusals, --signal', { timeout: 90_000 }, () => {
  let srv: ServerHandle | undefined;
  const closers: (() => unknown)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await Promise.resolve(close()).catch(() => {});
    await srv?.stop();
    srv = undefined;
  });

  test('max_payload: new clients get the new INFO max_payload, existing ones the new limit', async () => {
    srv = await startServer({ config: 'max_payload: 1MB\n' });
    const old = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => old.close());
    assert.equal(old.info.max_payload, 1024 * 1024);
    const mark = srv.stderr().length;

    assert.equal(await reload(srv, 'max_payload: 512KB\n'), RELOADED);
    assert.match(logSince(srv, mark), /\[INF\] Reloaded: max_payload = 524288\n/);

    const fresh = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => fresh.close());
    assert.equal(fresh.info.max_payload, 512 * 1024);
    const nc = await connect({ servers: srv.url, reconnect: false });
    closers.push(() => nc.close());
    assert.equal(nc.info?.max_payload, 512 * 1024);

    // The connection opened before the reload is held to the new limit too.
    await old.send(`PUB big 600000\r\n`);
    await old.expect("-ERR 'Maximum Payload Violation'\r\n", 5000);
    await old.waitClosed(5000);
  });

  test('/varz shows the reloaded options and a new config_load_time', async () => {
    srv = await startServer({ config: 'max_payload: 1000\n', args: ['-m', '-1'] });
    const ports = JSON.parse(readFileSync(srv.portsFile, 'utf8')) as { monitoring?: string[] };
    const base = ports.monitoring?.[0];
    assert.ok(base !== undefined, 'monitoring URL in the ports file');
    type Varz = { max_payload: number; config_load_time: string; config_digest: string };
    const varz = async (): Promise<Varz> => (await (await fetch(`${base}/varz`)).json()) as Varz;
    const before = await varz();
    assert.equal(before.max_payload, 1000);
    assert.equal(await reload(srv, 'max_payload: 3000\n'), RELOADED);
    const after = await varz();
    assert.equal(after.max_payload, 3000);
    // The digest of the file, as both servers print it after the reload line.
    assert.match(after.config_digest, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(after.config_digest, before.config_digest);
    assert.ok(srv.stderr().includes(`Reloaded server configuration (${after.config_digest})\n`));
    assert.ok(Date.parse(after.config_load_time) > Date.parse(before.config_load_time), 'config_load_time moves on');
  });

  test('debug turned on by a reload: the change is logged and debug lines follow', async () => {
    srv = await startServer({ config: 'debug: false\n' });
    const c1 = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => c1.close());
    assert.doesNotMatch(srv.stderr(), /\[DBG\]/);
    const mark = srv.stderr().length;

    assert.equal(await reload(srv, 'debug: true\n'), RELOADED);
    const c2 = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => c2.close());
    await c1.pingPong();
    const log = logSince(srv, mark);
    assert.match(log, /\[INF\] Reloaded: debug = true\n/);
    assert.match(log, /\[DBG\] [^\n]* - Client connection created\n/);

    // And off again.
    const mark2 = srv.stderr().length;
    assert.equal(await reload(srv, 'debug: false\n'), RELOADED);
    const c3 = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => c3.close());
    const log2 = logSince(srv, mark2);
    assert.match(log2, /\[INF\] Reloaded: debug = false\n/);
    assert.doesNotMatch(log2.slice(log2.indexOf(RELOADED)), /\[DBG\]/);
  });

  test('max_connections lowered: the excess clients are closed with the -ERR, the others stay', async () => {
    srv = await startServer({ config: 'max_connections: 100\n' });
    const clients: WireClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await WireClient.connectAndHandshake(srv.port);
      closers.push(() => c.close());
      clients.push(c);
    }
    const mark = srv.stderr().length;
    assert.equal(await reload(srv, 'max_connections: 2\n'), RELOADED);
    assert.match(logSince(srv, mark), /Closed 2 connections to fall within max_connections\n[^\n]*Reloaded: max_connections = 2\n/);
    // Which clients go is the server's choice: two of them.
    const outcomes = await Promise.all(
      clients.map(async (c) => {
        await c.send('PING\r\n').catch(() => {});
        const m = await c.expect(/^(PONG\r\n|-ERR 'maximum connections exceeded'\r\n)/, 5000);
        return m[1] === 'PONG\r\n' ? 'open' : 'closed';
      }),
    );
    assert.deepEqual(outcomes.sort(), ['closed', 'closed', 'open', 'open']);
  });

  test("a port change is refused with nats-server's text; the server keeps its old configuration", async () => {
    const port = await freePort();
    const other = await freePort();
    srv = await startServer({ config: `port: ${port}\nmax_payload: 1000\n`, portFromConfig: true });
    assert.equal(srv.port, port);
    const c = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => c.close());

    const outcome = await reload(srv, `port: ${other}\nmax_payload: 2000\n`);
    assert.equal(outcome, `Failed to reload server configuration: config reload not supported for Port: old=${port}, new=${other}`);

    // Still serving on the old port, with the old settings, and the connected client was left alone.
    await c.pingPong();
    const fresh = await WireClient.connectAndHandshake(port);
    closers.push(() => fresh.close());
    assert.equal(fresh.info.max_payload, 1000);
  });

  test('options nats-server cannot reload are refused by field name (server_name, max_subscriptions)', async () => {
    srv = await startServer({ config: 'max_payload: 1000\n' });
    assert.equal(
      await reload(srv, 'server_name: other\n'),
      'Failed to reload server configuration: config reload not supported for ServerName: old=, new=other',
    );
    assert.equal(
      await reload(srv, 'max_subscriptions: 10\n'),
      'Failed to reload server configuration: config reload not supported for MaxSubs: old=0, new=10',
    );
    // A bad file is refused with the parser's message, and the old configuration stays.
    assert.match(await reload(srv, 'max_payload: 1000\nnot_a_field: 1\n'), /^Failed to reload server configuration: .*unknown field "not_a_field"$/);
    const c = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => c.close());
    assert.equal(c.info.max_payload, 1000);
  });

  test('--signal reload=<pid file> reloads the server named by the pid file', async () => {
    const pidFile = join(tmpdir(), `myelin-reload-${process.pid}-${Date.now()}.pid`);
    closers.push(() => rmSync(pidFile, { force: true }));
    srv = await startServer({ config: 'max_payload: 1000\n', args: ['-P', pidFile] });
    const mark = srv.stderr().length;
    const outcome = await reload(srv, 'max_payload: 3000\n', async () => {
      const r = await runServerCommand(['--signal', `reload=${pidFile}`]);
      assert.equal(r.code, 0, r.stderr);
    });
    assert.equal(outcome, RELOADED);
    assert.match(logSince(srv, mark), /Trapped "hangup" signal\n[^]*Reloaded: max_payload = 3000\n/);
    const c = await WireClient.connectAndHandshake(srv.port);
    closers.push(() => c.close());
    assert.equal(c.info.max_payload, 3000);
  });
});
