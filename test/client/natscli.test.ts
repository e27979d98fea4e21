// Smoke test with natscli (`nats`), if installed (scripts/install-nats-tools.sh installs it).
// Every invocation gets -s nats://127.0.0.1:PORT, --no-context, a private HOME and a hard timeout.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, checkFor, withTimeout, type ServerHandle } from '../helpers/server.js';
import { WireClient, msg } from '../helpers/wire.js';

function findNatsCli(): string | undefined {
  const candidates = [process.env.NATS_CLI_BIN, join(homedir(), 'go', 'bin', 'nats'), '/root/go/bin/nats'];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

interface Cli {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

const NATS = findNatsCli();

if (!NATS) {
  console.log('# natscli not found (set NATS_CLI_BIN or run scripts/install-nats-tools.sh); natscli smoke tests not run');
} else {
  describe('natscli smoke test', { timeout: 60_000 }, () => {
    let srv: ServerHandle;
    let home: string;
    const procs: Cli[] = [];
    const clients: WireClient[] = [];

    const spawnCli = (args: string[], timeoutMs = 10_000): Cli => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
      const proc = spawn(NATS, ['-s', srv.url, '--no-context', '--timeout', '5s', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const exited = new Promise<number | null>((resolve) =>
        proc.on('close', (code) => {
          clearTimeout(killer);
          resolve(code);
        }),
      );
      const cli = { proc, stdout: () => out, stderr: () => err, exited };
      procs.push(cli);
      return cli;
    };
    const runCli = async (args: string[], timeoutMs = 10_000) => {
      const c = spawnCli(args, timeoutMs);
      const code = await c.exited;
      return { code, stdout: c.stdout(), stderr: c.stderr() };
    };

    before(async () => {
      home = mkdtempSync(join(tmpdir(), 'myelin-natscli-'));
      srv = await startServer();
    });
    after(async () => {
      for (const c of clients) c.close();
      for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      for (const p of procs) await withTimeout(p.exited, 2000);
      await srv?.stop();
      rmSync(home, { recursive: true, force: true });
    });

    test('nats server check connection', async () => {
      const r = await runCli(['server', 'check', 'connection']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^OK Connection OK:connected to nats:\/\/127\.0\.0\.1:\d+/);
    });

    test('nats pub delivers to a raw subscriber', async () => {
      const sub = await WireClient.connectAndHandshake(srv.port);
      clients.push(sub);
      await sub.send('SUB cli.pub 1\r\n');
      await sub.pingPong();
      const r = await runCli(['pub', 'cli.pub', 'hello from cli']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Published 14 bytes to "cli\.pub"/);
      await sub.expect(msg('cli.pub', 1, 'hello from cli'), 5000);
    });

    test('nats sub --count 2 receives two messages and exits 0', async () => {
      const s = spawnCli(['sub', 'cli.sub.>', '--count', '2'], 15_000);
      await checkFor(8000, 20, () => /Subscribing on cli\.sub\.>/.test(s.stderr()));
      const p = await WireClient.connectAndHandshake(srv.port);
      clients.push(p);
      // The CLI prints "Subscribing" around its SUB; publish until it has seen two (bounded).
      for (let i = 0; i < 200 && s.proc.exitCode === null; i++) {
        await p.send(`PUB cli.sub.${i} ${String(i).length}\r\n${i}\r\n`);
        await p.pingPong();
        if (/\[#2\] Received on/.test(s.stdout())) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const code = await withTimeout(s.exited, 8000);
      assert.equal(code, 0, s.stderr());
      const got = [...s.stdout().matchAll(/\[#(\d)\] Received on "cli\.sub\.(\d+)"\n(\d+)\n/g)];
      assert.equal(got.length, 2, s.stdout());
      assert.equal(got[0][1], '1');
      assert.equal(got[1][1], '2');
      assert.equal(Number(got[1][2]), Number(got[0][2]) + 1, 'consecutive messages');
      for (const g of got) assert.equal(g[2], g[3]);
    });

    test('nats request / nats reply', async () => {
      const rep = spawnCli(['reply', 'cli.svc', 'pong-body', '--count', '1'], 15_000);
      await checkFor(8000, 20, () => /Listening on "cli\.svc"/.test(rep.stderr()));
      // "Listening" may print just before the SUB reaches the server: retry (bounded) while the
      // answer is "No responders".
      let out = '';
      for (let i = 0; i < 50; i++) {
        const r = await runCli(['request', 'cli.svc', 'ping-body']);
        out = r.stdout + r.stderr;
        if (/pong-body/.test(r.stdout)) break;
        assert.match(out, /No responders are available/);
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.match(out, /Received with rtt/);
      assert.match(out, /pong-body/);
      await withTimeout(rep.exited, 8000);
      assert.match(rep.stderr(), /Received on subject "cli\.svc"/);
    });

    test('nats request with no responders reports it', async () => {
      const r = await runCli(['request', 'cli.nobody', 'x']);
      assert.match(r.stdout + r.stderr, /No responders are available/);
    });
  });
}
