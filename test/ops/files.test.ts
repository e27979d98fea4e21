// Files and log output that process managers, log shippers and test launchers rely on: the pid file, the
// ports file, the log file with nats-server's line formats, reopening it on SIGUSR1 / `--signal reopen`
// (what logrotate needs), and size-based rotation. Runs against Myelin and, with NATS_SERVER_BIN, nats-server.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, runServerCommand, checkFor, isGo, type ServerHandle } from '../helpers/server.js';
import { WireClient } from '../helpers/wire.js';

const TIME = '\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} ';

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One nats-server log line, with or without the timestamp. */
function line(pid: number, level: string, text: string, withTime = true): RegExp {
  return new RegExp(`^\\[${pid}\\] ${withTime ? TIME : ''}\\[${level}\\] ${esc(text)}\\r?$`, 'm');
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('process files and log output', { timeout: 60_000 }, () => {
  const servers: ServerHandle[] = [];
  /** Log and pid files live here (the ports file dir is per server and made by startServer). */
  const dir = mkdtempSync(join(tmpdir(), 'myelin-ops-'));
  const start = async (...a: Parameters<typeof startServer>): Promise<ServerHandle> => {
    const s = await startServer(...a);
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) {
      await s.stop('SIGKILL');
      s.cleanup();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('-P writes the pid file: the decimal pid, no newline, mode 0600', async () => {
    const pidFile = join(dir, 'server.pid');
    const t = await start({ args: ['-P', pidFile] });
    assert.equal(read(pidFile), String(t.pid));
    assert.equal(statSync(pidFile).mode & 0o777, 0o600);
    await t.stop();
    assert.equal(existsSync(pidFile), true, 'nats-server leaves the pid file in place at shutdown');
  });

  test('ports file lists the nats and monitoring URLs in nats-server\'s field order', async () => {
    const s = await start({ args: ['-m', '-1'] });
    const text = read(s.portsFile);
    const m = /^\{"nats":\["nats:\/\/127\.0\.0\.1:(\d+)"\],"monitoring":\["http:\/\/127\.0\.0\.1:(\d+)"\]\}$/.exec(text);
    assert.ok(m, `ports file content: ${text}`);
    assert.equal(Number(m[1]), s.port);
    assert.notEqual(Number(m[2]), 0);
    await s.stop();
    assert.equal(existsSync(s.portsFile), false, 'removed on a clean shutdown');
  });

  test('-l writes the log to the file in nats-server\'s format; -T=false drops the time', async () => {
    const logFile = join(dir, 'a.log');
    const t = await start({ args: ['-l', logFile] });
    await checkFor(5000, 20, () => /Server is ready/.test(read(logFile)));
    assert.match(read(logFile), line(t.pid, 'INF', 'Server is ready'));
    assert.match(read(logFile), line(t.pid, 'INF', `Listening for client connections on 127.0.0.1:${t.port}`));
    assert.equal(t.stderr(), '', 'nothing on stderr when logging to a file');

    const plainFile = join(dir, 'b.log');
    const u = await start({ args: ['-l', plainFile, '-T=false'] });
    await checkFor(5000, 20, () => /Server is ready/.test(read(plainFile)));
    assert.match(read(plainFile), line(u.pid, 'INF', 'Server is ready', false));
  });

  test('--logtime_utc stamps lines in UTC', async () => {
    const s = await start({ args: ['--logtime_utc'] });
    await checkFor(5000, 20, () => /Server is ready/.test(s.stderr()));
    const m = new RegExp(`^\\[${s.pid}\\] (\\d{4})/(\\d\\d)/(\\d\\d) (\\d\\d):(\\d\\d):(\\d\\d)\\.\\d{6} \\[INF\\] Server is ready$`, 'm').exec(
      s.stderr(),
    );
    assert.ok(m, s.stderr());
    const stamped = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    // Parsed as UTC, the stamp is within a day of now whatever the local zone is; a local-time stamp
    // would be off by the zone offset, which the CI zone (UTC) cannot show, so this checks the format.
    assert.ok(Math.abs(stamped - Date.now()) < 24 * 3600_000);
  });

  test('-D and -V: debug and trace lines appear only when asked for', async () => {
    const quiet = await start({ args: [] });
    const loud = await start({ args: ['-DV'] });
    for (const s of [quiet, loud]) {
      const c = await WireClient.connectAndHandshake(s.port, {});
      await c.send('PING\r\n');
      await c.expect('PONG\r\n');
      c.close();
    }
    await checkFor(5000, 20, () => / - <<- \[PING\]/.test(loud.stderr()));
    assert.match(loud.stderr(), new RegExp(`^\\[${loud.pid}\\] ${TIME}\\[DBG\\] 127\\.0\\.0\\.1:\\d+ - cid:\\d+ - Client connection created$`, 'm'));
    assert.doesNotMatch(quiet.stderr(), /\[(DBG|TRC)\]/);
  });

  test('SIGUSR1 and --signal reopen=<pid file> reopen the log file after it was moved away', async () => {
    const logFile = join(dir, 'r.log');
    const pidFile = join(dir, 'r.pid');
    const s = await start({ args: ['-l', logFile, '-P', pidFile, '-D'] });
    await checkFor(5000, 20, () => /Server is ready/.test(read(logFile)));

    renameSync(logFile, `${logFile}.1`);
    process.kill(s.pid, 'SIGUSR1');
    await checkFor(5000, 20, () => /File log re-opened/.test(read(logFile)));
    assert.match(read(logFile), line(s.pid, 'INF', 'File log re-opened'));
    assert.match(read(`${logFile}.1`), line(s.pid, 'INF', 'Trapped "user defined signal 1" signal'));

    renameSync(logFile, `${logFile}.2`);
    const r = await runServerCommand(['--signal', `reopen=${pidFile}`]);
    assert.equal(r.code, 0, r.stderr);
    await checkFor(5000, 20, () => /File log re-opened/.test(read(logFile)));
    // Lines logged after the reopen go to the new file, from every thread (Myelin spreads clients over
    // its data-plane threads, each with its own handle on the file).
    for (let i = 0; i < 4; i++) (await WireClient.connectAndHandshake(s.port, {})).close();
    const created = (text: string): number => text.match(/Client connection created/g)?.length ?? 0;
    await checkFor(5000, 20, () => created(read(logFile)) === 4);
    assert.equal(created(read(`${logFile}.2`)), 0);
  });

  test('SIGUSR1 without a log file is noted and ignored', async () => {
    const s = await start({ args: [] });
    await checkFor(5000, 20, () => /Server is ready/.test(s.stderr()));
    process.kill(s.pid, 'SIGUSR1');
    await checkFor(5000, 20, () => /File log re-open ignored, not a file logger/.test(s.stderr()));
    assert.match(s.stderr(), line(s.pid, 'INF', 'File log re-open ignored, not a file logger'));
  });

  test('log_size_limit rotates to <file>.YYYY.MM.DD.HH.MM.SS.NNNNNNNNN; logfile_max_num purges old backups', async () => {
    const logFile = join(dir, 'rot.log');
    const s = await start({
      config: `logfile: "${logFile}"\nlogfile_size_limit: 300\nlogfile_max_num: 2\ndebug: true\n`,
    });
    const backups = (): string[] => readdirSync(dir).filter((n) => /^rot\.log\.\d{4}(\.\d\d){5}\.\d{9}$/.test(n));
    await checkFor(5000, 20, () => /Rotated log, backup saved as/.test(read(logFile)));
    // Debug lines for a few connections push the file past the limit again, several times.
    for (let i = 0; i < 6; i++) {
      const c = await WireClient.connectAndHandshake(s.port, {});
      c.close();
      await checkFor(5000, 20, () => new RegExp(`cid:\\d+ - Client connection closed`).test(read(logFile)) || backups().length > 0);
    }
    await checkFor(5000, 20, () => /Purged log file/.test(read(logFile)) || undefined);
    assert.match(read(logFile), new RegExp(`^\\[${s.pid}\\] ${TIME}\\[INF\\] Rotated log, backup saved as "${esc(logFile)}\\.\\d{4}(\\.\\d\\d){5}\\.\\d{9}"\\r$`, 'm'));
    assert.ok(backups().length <= 1, `at most logfile_max_num - 1 backups remain: ${backups().join(', ')}`);
  });

  test('a log file that cannot be opened: Go log.Fatalf line, exit 1', async () => {
    const path = join(dir, 'missing', 'x.log');
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-l', path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d error opening file: open ${esc(path)}: no such file or directory\\n$`));
  });

  test('a pid file that cannot be written: [FTL] Could not write pidfile, exit 1', async () => {
    const path = join(dir, 'missing', 'x.pid');
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-P', path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`\\[FTL\\] Could not write pidfile: open ${esc(path)}: no such file or directory$`, 'm'));
  });

  test('Myelin: --log_json writes one JSON object per line', { skip: isGo && 'Myelin only' }, async () => {
    const s = await start({ args: ['--log_json'] });
    await checkFor(5000, 20, () => /Server is ready/.test(s.stderr()));
    const lines = s.stderr().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = lines.find((l) => l.msg === 'Server is ready');
    assert.ok(ready);
    assert.deepEqual(Object.keys(ready), ['time', 'pid', 'level', 'msg']);
    assert.equal(ready.pid, s.pid);
    assert.equal(ready.level, 'INF');
    assert.match(String(ready.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('Myelin: -s / -r are accepted with a warning (not implemented)', { skip: isGo && 'nats-server implements syslog' }, async () => {
    const s = await start({ args: ['-s', '-r', 'udp://127.0.0.1:514'] });
    await checkFor(5000, 20, () => /Server is ready/.test(s.stderr()));
    assert.match(s.stderr(), /\[WRN\] Logging to syslog \(-s, syslog\) is not supported by Myelin/);
    assert.match(s.stderr(), /\[WRN\] Logging to a remote syslog \(-r, remote_syslog\) is not supported by Myelin/);
  });
});
