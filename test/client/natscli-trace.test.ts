// `nats trace <subject>` (natscli) prints the route of a traced message: the publishing client, one line per
// subscription it reached and the egress counts. Runs when natscli is installed; natscli refuses servers
// that report a version below 2.11, so the test is skipped against such a server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startServer, withTimeout, type ServerHandle } from '../helpers/server.js';

const NATS = [process.env.NATS_CLI_BIN, join(homedir(), 'go', 'bin', 'nats'), '/root/go/bin/nats'].find(
  (p): p is string => !!p && existsSync(p),
);

/** Run natscli with a private HOME and a hard timeout; resolves with its exit code and output. */
function runCli(url: string, home: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  const proc = spawn(NATS!, ['-s', url, '--no-context', '--timeout', '5s', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    proc.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    }),
  );
}

function atLeast211(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 11);
}

if (!NATS) {
  console.log('# natscli not found (set NATS_CLI_BIN); nats trace test not run');
} else {
  describe('nats trace (natscli)', { timeout: 60_000 }, () => {
    let srv: ServerHandle;
    let jsSrv: ServerHandle;
    let home: string;
    let storeDir: string;
    const conns: NatsConnection[] = [];

    before(async () => {
      home = mkdtempSync(join(tmpdir(), 'myelin-natscli-trace-'));
      storeDir = mkdtempSync(join(tmpdir(), 'myelin-natscli-trace-js-'));
      srv = await startServer();
      jsSrv = await startServer({ args: ['-js', '-sd', storeDir] });
    });
    after(async () => {
      for (const c of conns) if (!c.isClosed()) await c.close();
      await srv?.stop();
      await jsSrv?.stop();
      rmSync(home, { recursive: true, force: true });
      rmSync(storeDir, { recursive: true, force: true });
    });

    test('prints the publisher, each subscription reached and the egress count', async () => {
      const plain = await connect({ servers: srv.url, name: 'plain-sub' });
      const queued = await connect({ servers: srv.url, name: 'queue-sub' });
      conns.push(plain, queued);
      // natscli traces only on servers reporting 2.11+: both servers under test do (Myelin reports 2.12.0).
      assert.ok(atLeast211(plain.info!.version), `server reports ${plain.info!.version}`);
      let delivered = 0;
      plain.subscribe('cli.trace', { callback: () => void delivered++ });
      queued.subscribe('cli.trace', { queue: 'workers', callback: () => void delivered++ });
      await plain.flush();
      await queued.flush();
      const r = await withTimeout(runCli(srv.url, home, ['trace', 'cli.trace']), 20_000);
      assert.ok(r, 'nats trace finished');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Tracing message route to subject cli\.trace/);
      assert.match(r.out, new RegExp(`server:"[^"]+" version:"${plain.info!.version.replace(/\./g, '\\.')}"`));
      assert.match(r.out, new RegExp(`--C Client "plain-sub" cid:${plain.info!.client_id} subject:"cli\\.trace"\\n`));
      assert.match(r.out, new RegExp(`--C Client "queue-sub" cid:${queued.info!.client_id} subject:"cli\\.trace" queue:"workers"`));
      assert.match(r.out, /Egress Count:\s+Client: 2/);
      // Without --deliver natscli asks for trace only: nothing reached the subscribers.
      await plain.flush();
      await queued.flush();
      assert.equal(delivered, 0);
    });

    test('a subject a stream captures: the JetStream line, and nothing stored', async () => {
      const nc = await connect({ servers: jsSrv.url });
      conns.push(nc);
      // natscli traces only on servers reporting 2.11+: both servers under test do (Myelin reports 2.12.0).
      assert.ok(atLeast211(nc.info!.version), `server reports ${nc.info!.version}`);
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'CLITRACE', subjects: ['clijs.>'] });
      const r = await withTimeout(runCli(jsSrv.url, home, ['trace', 'clijs.b']), 20_000);
      assert.ok(r, 'nats trace finished');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /--J JetStream action:"stored" stream:"CLITRACE" subject:"clijs\.b"/);
      assert.match(r.out, /Egress Count:\s+JetStream: 1/);
      assert.equal((await jsm.streams.info('CLITRACE')).state.messages, 0);
    });
  });
}
