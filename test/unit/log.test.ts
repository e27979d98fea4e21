// Logger: nats-server's line format, level gating, and the file target.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Logger, microsecondClock, type LoggerOptions } from '../../src/log.js';

/** 2024-03-05 07:08:09.012345 UTC, in microseconds. */
const FIXED_MICROS = Date.UTC(2024, 2, 5, 7, 8, 9) * 1000 + 12_345;

function capture(options: LoggerOptions = {}): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = new Logger({ pid: 4242, clock: () => FIXED_MICROS, sink: (line) => lines.push(line), ...options });
  return { log, lines };
}

test('line format with timestamp: [pid] YYYY/MM/DD HH:MM:SS.uuuuuu [LVL] text', () => {
  const { log, lines } = capture({ logtimeUTC: true });
  log.info('Server is ready');
  assert.deepEqual(lines, ['[4242] 2024/03/05 07:08:09.012345 [INF] Server is ready\n']);
});

test('timestamps are local time unless logtimeUTC is set', () => {
  const { log, lines } = capture();
  log.info('x');
  const local = new Date(FIXED_MICROS / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const expected =
    `[4242] ${local.getFullYear()}/${two(local.getMonth() + 1)}/${two(local.getDate())} ` +
    `${two(local.getHours())}:${two(local.getMinutes())}:${two(local.getSeconds())}.012345 [INF] x\n`;
  assert.deepEqual(lines, [expected]);
});

test('without logtime (-T=false) there is no timestamp', () => {
  const { log, lines } = capture({ logtime: false });
  log.info('Starting myelin');
  log.warn('careful');
  log.error('broken');
  log.fatal('dead');
  assert.deepEqual(lines, [
    '[4242] [INF] Starting myelin\n',
    '[4242] [WRN] careful\n',
    '[4242] [ERR] broken\n',
    '[4242] [FTL] dead\n',
  ]);
});

test('debug and trace lines only when enabled', () => {
  const off = capture({ logtime: false });
  off.log.debug('d');
  off.log.trace('t');
  assert.deepEqual(off.lines, []);
  assert.equal(off.log.debugEnabled, false);
  assert.equal(off.log.traceEnabled, false);

  const on = capture({ logtime: false, debug: true, trace: true });
  on.log.debug('d');
  on.log.trace('t');
  assert.deepEqual(on.lines, ['[4242] [DBG] d\n', '[4242] [TRC] t\n']);
});

test('a message function is not called when its level is off', () => {
  const { log, lines } = capture({ logtime: false, debug: true });
  let built = 0;
  const message = (): string => {
    built++;
    return 'expensive';
  };
  log.trace(message);
  assert.equal(built, 0);
  log.debug(message);
  assert.equal(built, 1);
  assert.deepEqual(lines, ['[4242] [DBG] expensive\n']);
});

test('exactly one newline ends each line', () => {
  const { log, lines } = capture({ logtime: false });
  log.info('already ended\n');
  log.info('two\nlines');
  assert.deepEqual(lines, ['[4242] [INF] already ended\n', '[4242] [INF] two\nlines\n']);
});

test('colored labels as nats-server prints them on a terminal', () => {
  const { log, lines } = capture({ logtime: false, colors: true });
  log.info('i');
  log.warn('w');
  assert.deepEqual(lines, ['[4242] [\x1b[32mINF\x1b[0m] i\n', '[4242] [\x1b[0;93mWRN\x1b[0m] w\n']);
});

test('microseconds are zero-padded and the second is cached correctly across seconds', () => {
  let now = Date.UTC(2024, 0, 1, 0, 0, 59) * 1000 + 999_999;
  const lines: string[] = [];
  const log = new Logger({ pid: 1, logtimeUTC: true, clock: () => now, sink: (l) => lines.push(l) });
  log.info('a');
  now += 1;
  log.info('b');
  now += 7;
  log.info('c');
  assert.deepEqual(lines, [
    '[1] 2024/01/01 00:00:59.999999 [INF] a\n',
    '[1] 2024/01/01 00:01:00.000000 [INF] b\n',
    '[1] 2024/01/01 00:01:00.000007 [INF] c\n',
  ]);
});

test('log file is appended to, created with mode 0640', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-log-'));
  try {
    const file = join(dir, 'server.log');
    writeFileSync(file, 'earlier\n');
    const log = new Logger({ pid: 7, logtime: false, logFile: file });
    log.info('first');
    log.debug('hidden');
    log.close();
    log.info('after close is dropped');
    assert.equal(readFileSync(file, 'utf8'), 'earlier\n[7] [INF] first\n');

    const fresh = join(dir, 'new.log');
    const second = new Logger({ pid: 7, logtime: false, logFile: fresh });
    second.warn('w');
    second.close();
    assert.equal(readFileSync(fresh, 'utf8'), '[7] [WRN] w\n');
    // The umask may clear more bits, never add any.
    assert.equal(statSync(fresh).mode & 0o777 & ~0o640, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default clock stays within a couple of milliseconds of Date.now()', () => {
  const clock = microsecondClock();
  const before = Date.now();
  const micros = clock();
  const after = Date.now();
  assert.ok(micros / 1000 >= before - 1 && micros / 1000 <= after + 2, `${micros} vs ${before}..${after}`);
});

test('json: one object per line with a UTC microsecond time', () => {
  const { log, lines } = capture({ json: true, debug: true });
  log.info('Server is ready');
  log.debug('multi\n');
  assert.deepEqual(lines, [
    '{"time":"2024-03-05T07:08:09.012345Z","pid":4242,"level":"INF","msg":"Server is ready"}\n',
    '{"time":"2024-03-05T07:08:09.012345Z","pid":4242,"level":"DBG","msg":"multi"}\n',
  ]);
});

test('rotation: past the size limit the file is renamed with a nanosecond stamp; max files purges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-log-'));
  try {
    const file = join(dir, 'r.log');
    const log = new Logger({ pid: 9, logtime: false, logFile: file, sizeLimit: 40, maxFiles: 2 });
    for (let i = 0; i < 6; i++) log.info(`line number ${i} with some text`);
    log.close();
    const backups = readdirSync(dir).filter((n) => n !== 'r.log').sort();
    assert.equal(backups.length, 1, backups.join(','));
    assert.match(backups[0], /^r\.log\.\d{4}\.\d\d\.\d\d\.\d\d\.\d\d\.\d\d\.\d{9}$/);
    const live = readFileSync(file, 'utf8');
    assert.match(live, /^\[9\] \[INF\] Rotated log, backup saved as ".*r\.log\.\d{4}(\.\d\d){5}\.\d{9}"\r\n/);
    assert.match(live, /\[9\] \[INF\] Purged log file "r\.log\.\d{4}(\.\d\d){5}\.\d{9}"\r\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reopen: a file moved away is replaced by a new one; a worker Logger asks instead of rotating', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-log-'));
  try {
    const file = join(dir, 'o.log');
    const log = new Logger({ pid: 3, logtime: false, logFile: file });
    log.info('before');
    renameSync(file, `${file}.old`);
    assert.equal(log.reopen(), true);
    log.info('after');
    log.close();
    assert.equal(readFileSync(`${file}.old`, 'utf8'), '[3] [INF] before\n');
    assert.equal(readFileSync(file, 'utf8'), '[3] [INF] after\n');
    assert.equal(new Logger({ sink: () => {} }).reopen(), false);

    let asked = 0;
    const worker = new Logger({ pid: 4, logtime: false, logFile: join(dir, 'w.log'), sizeLimit: 10, onRotateNeeded: () => asked++ });
    worker.info('one line past the limit');
    worker.info('another');
    worker.close();
    assert.equal(asked, 1, 'asked once until the file moves');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('w.log')), ['w.log']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
