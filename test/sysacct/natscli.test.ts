// natscli's server commands over the system account: `nats server list|info|ping|report connections`
// with system-account credentials, against Myelin and against nats-server alike.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { APP_USER, SERVER_NAME, SYS_CONFIG } from './fixtures.js';

const NATS = [process.env.NATS_CLI_BIN, join(homedir(), 'go', 'bin', 'nats'), '/root/go/bin/nats'].find(
  (p): p is string => !!p && existsSync(p),
);

if (!NATS) {
  console.log('# natscli not found (set NATS_CLI_BIN); system account natscli tests not run');
} else {
  describe('natscli server commands with system account credentials', { timeout: 90_000 }, () => {
    let srv: ServerHandle;
    let home: string;
    let app: NatsConnection;

    const cli = (args: string[]): Promise<{ code: number | null; out: string }> => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
      const all = ['-s', srv.url, '--no-context', '--user', 'sys', '--password', 'sys', '--timeout', '5s', ...args];
      const proc = spawn(NATS, all, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      return new Promise((resolve) =>
        proc.on('close', (code) => {
          clearTimeout(killer);
          resolve({ code, out });
        }),
      );
    };

    before(async () => {
      home = mkdtempSync(join(tmpdir(), 'myelin-sysacct-cli-'));
      srv = await startServer({ config: SYS_CONFIG });
      // A client in another account, so the reports have something to show besides the CLI itself.
      app = await connect({ servers: srv.url, ...APP_USER, name: 'app-client' });
      await app.flush();
    });
    after(async () => {
      await app?.close();
      await srv?.stop();
      rmSync(home, { recursive: true, force: true });
    });

    test('nats server list shows the server', async () => {
      const r = await cli(['server', 'list', '1']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Server Overview/);
      assert.match(r.out, new RegExp(`│ ${SERVER_NAME} `));
    });

    test('nats server list --json reports statsz', async () => {
      const r = await cli(['server', 'list', '1', '--json']);
      assert.equal(r.code, 0, r.out);
      const list = JSON.parse(r.out) as { server: { name: string; id: string }; statsz: { connections: number } }[];
      assert.equal(list.length, 1);
      assert.equal(list[0].server.name, SERVER_NAME);
      assert.match(list[0].server.id, /^N[A-Z0-9]{55}$/);
      assert.ok(list[0].statsz.connections >= 2, r.out);
    });

    test('nats server info, with and without a server name', async () => {
      for (const args of [['server', 'info'], ['server', 'info', SERVER_NAME]]) {
        const r = await cli(args);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, new RegExp(`Server information for ${SERVER_NAME} \\(N[A-Z0-9]{55}\\)`));
        assert.match(r.out, /Auth Required: true/);
        assert.match(r.out, /Maximum Payload: 1\.0 MiB/);
      }
    });

    test('nats server report connections lists clients of every account', async () => {
      const r = await cli(['server', 'report', 'connections']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Connections out of/);
      assert.match(r.out, /app-client .* APP /);
      assert.match(r.out, /NATS CLI Version .* SYS /);
    });

    test('nats server ping gets one reply', async () => {
      const r = await cli(['server', 'ping', '1']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`${SERVER_NAME}\\s+rtt=`));
      assert.match(r.out, /1 replies/);
    });
  });
}
