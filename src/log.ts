// Levelled logger producing nats-server's line format (logger/log.go on top of Go's `log`
// package with LstdFlags|Lmicroseconds and a "[pid] " prefix):
//
//   [1234] 2024/05/01 13:45:12.123456 [INF] Server is ready
//
// The timestamp is local time unless logtimeUTC is set, and is left out entirely when
// logtime is false (-T=false). Debug (-D) and trace (-V) lines are dropped unless enabled,
// and a disabled level costs one boolean test: callers pass either a ready string or a
// function that builds it, and the function is only called when the line will be written.
//
// With a log file, `reopen()` closes and reopens it by name (SIGUSR1, `--signal reopen`: what logrotate's
// `postrotate` needs), and `sizeLimit` rotates it as nats-server's file logger does: once a write takes the
// file past the limit it is renamed to `<file>.YYYY.MM.DD.HH.MM.SS.NNNNNNNNN`, a new file is started with
// `Rotated log, backup saved as "<backup>"`, and with `maxFiles` the oldest backups beyond maxFiles-1 are
// removed. Every thread has its own Logger on the same file (O_APPEND keeps lines whole) and reads the size
// with fstat, but only one renames, so two threads never rotate at once: a Logger given `onRotateNeeded`
// (a data worker's) asks the main thread to rotate instead, and reopens by name once it sees its file moved.
//
// `json` (Myelin's own `--log_json`) writes one object per line instead:
//   {"time":"2024-05-01T13:45:12.123456Z","pid":1234,"level":"INF","msg":"Server is ready"}
//
// Writes are synchronous, like Go's logger (a file is written with writeSync; stderr is
// synchronous in Node for files, terminals and pipes on Linux): lines keep their order with
// whatever else the process prints, and nothing is lost when the process exits after a fatal.

import { closeSync, fstatSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type LogLevel = 'FTL' | 'ERR' | 'WRN' | 'INF' | 'DBG' | 'TRC';

/** A message, or a function producing it that is only called if the line is written. */
export type LogMessage = string | (() => string);

export interface LoggerOptions {
  /** Prefix lines with date and time (nats-server `logtime`, default true). */
  logtime?: boolean;
  /** Use UTC for timestamps instead of local time (`logtime_utc`). */
  logtimeUTC?: boolean;
  /** Write DBG lines (-D). */
  debug?: boolean;
  /** Write TRC lines (-V). */
  trace?: boolean;
  /** Append to this file (created with mode 0640 if missing) instead of writing to stderr. */
  logFile?: string;
  /** Colour the level labels as nats-server does on a terminal. Default: stderr is a TTY and no logFile. */
  colors?: boolean;
  /** Process id shown in the prefix. Default: process.pid. */
  pid?: number;
  /** Receives each finished line (including the newline) instead of stderr or the file. */
  sink?: (line: string) => void;
  /** Wall clock in microseconds since the epoch. Default: a microsecond clock kept in step with Date.now(). */
  clock?: () => number;
  /** Rotate the log file past this many bytes; 0 = never (`log_size_limit`). */
  sizeLimit?: number;
  /** With rotation, keep at most this many files (the live one included); 0 = keep all (`logfile_max_num`). */
  maxFiles?: number;
  /** One JSON object per line (Myelin's `--log_json`). */
  json?: boolean;
  /**
   * Past the size limit, call this instead of rotating (once, until the file has been moved): the owner of
   * rotation (the main thread) then calls `rotateIfOverLimit`. Without it, this Logger rotates itself.
   */
  onRotateNeeded?: () => void;
}

const PLAIN_LABELS: Record<LogLevel, string> = {
  FTL: '[FTL] ',
  ERR: '[ERR] ',
  WRN: '[WRN] ',
  INF: '[INF] ',
  DBG: '[DBG] ',
  TRC: '[TRC] ',
};

// nats-server's terminal colours for each label.
const LABEL_COLORS: Record<LogLevel, string> = {
  FTL: '31',
  ERR: '31',
  WRN: '0;93',
  INF: '32',
  DBG: '36',
  TRC: '33',
};

const COLORED_LABELS = Object.fromEntries(
  (Object.keys(LABEL_COLORS) as LogLevel[]).map((level) => [level, `[\x1b[${LABEL_COLORS[level]}m${level}\x1b[0m] `]),
) as Record<LogLevel, string>;

export class Logger {
  /** True when debug lines are written; test it before doing costly work for a debug line. */
  debugEnabled: boolean;
  /** True when trace lines are written. */
  traceEnabled: boolean;

  private prefix: string;
  private labels: Record<LogLevel, string>;
  private timestamps: TimestampFormatter | undefined;
  private write: (line: string) => void;
  private fd: number | undefined;
  private readonly logFile: string | undefined;
  private readonly sizeLimit: number;
  private readonly maxFiles: number;
  private readonly json: boolean;
  private readonly pid: number;
  private readonly utc: boolean;
  private readonly clock: () => number;
  private readonly onRotateNeeded: (() => void) | undefined;
  /** A rotation was asked for and the file has not moved yet. */
  private rotateAsked = false;

  constructor(options: LoggerOptions = {}) {
    this.debugEnabled = options.debug ?? false;
    this.traceEnabled = options.trace ?? false;
    this.pid = options.pid ?? process.pid;
    this.prefix = `[${this.pid}] `;
    this.utc = options.logtimeUTC ?? false;
    this.clock = options.clock ?? microsecondClock();
    this.timestamps = (options.logtime ?? true) ? new TimestampFormatter(this.utc, this.clock) : undefined;
    this.sizeLimit = options.sizeLimit ?? 0;
    this.maxFiles = options.maxFiles ?? 0;
    this.json = options.json ?? false;
    this.onRotateNeeded = options.onRotateNeeded;

    const toFile = options.logFile !== undefined && options.logFile !== '';
    const colors =
      !this.json && (options.colors ?? (!toFile && options.sink === undefined && process.stderr.isTTY === true));
    this.labels = colors ? COLORED_LABELS : PLAIN_LABELS;

    if (options.sink !== undefined) {
      this.write = options.sink;
    } else if (toFile) {
      this.logFile = options.logFile as string;
      this.fd = openSync(this.logFile, 'a', 0o640);
      this.write = (line) => this.writeFile(line);
      // As nats-server, a file already past the limit is announced, and rotated by that very line.
      if (this.sizeLimit > 0 && this.onRotateNeeded === undefined && fstatSync(this.fd).size > this.sizeLimit) {
        this.info('Rotating logfile...');
      }
    } else {
      // process.stderr is synchronous for files, terminals and (on Linux) pipes, and unlike
      // a raw writeSync(2) it copes with a non-blocking descriptor inherited from the parent.
      this.write = (line) => void process.stderr.write(line);
    }
  }

  /** Informational line, [INF] (nats-server's Noticef). */
  info(message: LogMessage): void {
    this.emit('INF', message);
  }

  warn(message: LogMessage): void {
    this.emit('WRN', message);
  }

  error(message: LogMessage): void {
    this.emit('ERR', message);
  }

  /** Writes an [FTL] line. Exiting is left to the caller, which may have cleanup to do. */
  fatal(message: LogMessage): void {
    this.emit('FTL', message);
  }

  debug(message: LogMessage): void {
    if (this.debugEnabled) this.emit('DBG', message);
  }

  trace(message: LogMessage): void {
    if (this.traceEnabled) this.emit('TRC', message);
  }

  /**
   * Take new settings (config reload): levels, format, destination and rotation, as a Logger built from
   * `options` would have them. The old log file, if any, is closed after the new one is open, so no line is
   * lost in between.
   */
  reconfigure(options: LoggerOptions): void {
    const oldFd = this.fd;
    Object.assign(this, new Logger(options));
    // The new Logger's writer is bound to that object; write through this one's descriptor instead.
    if (this.fd !== undefined) this.write = (line) => this.writeFile(line);
    if (oldFd !== undefined && oldFd !== this.fd) closeSync(oldFd);
  }

  /** True when lines go to a log file (which `reopen` can reopen). */
  get toFile(): boolean {
    return this.logFile !== undefined;
  }

  /**
   * Closes and reopens the log file by name, so that a file moved away (logrotate) is replaced by a new one.
   * Returns false when there is no log file. Logs nothing itself: the caller says what happened.
   */
  reopen(): boolean {
    if (this.logFile === undefined || this.fd === undefined) return false;
    const old = this.fd;
    this.fd = openSync(this.logFile, 'a', 0o640);
    closeSync(old);
    return true;
  }

  /** Closes the log file, if there is one. Later lines are dropped. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.write = () => {};
  }

  private emit(level: LogLevel, message: LogMessage): void {
    const text = typeof message === 'function' ? message() : message;
    if (this.json) {
      const now = this.clock();
      const millis = new Date(Math.floor(now / 1000)).toISOString(); // always UTC
      const iso = `${millis.slice(0, -1)}${String(Math.floor(now % 1000)).padStart(3, '0')}Z`;
      this.write(`${JSON.stringify({ time: iso, pid: this.pid, level, msg: text.replace(/\n$/, '') })}\n`);
      return;
    }
    const time = this.timestamps === undefined ? '' : this.timestamps.now();
    // Go's log package ends every entry with exactly one newline.
    const newline = text.endsWith('\n') ? '' : '\n';
    this.write(`${this.prefix}${time}${this.labels[level]}${text}${newline}`);
  }

  private writeFile(line: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, line);
      if (this.sizeLimit > 0 && fstatSync(this.fd).size > this.sizeLimit) this.overLimit();
    } catch {
      // Like Go's logger, a failed write (disk full, ...) is dropped rather than
      // taking the server down with it.
    }
  }

  /** Rotates the file if it is past the size limit (the main thread, asked by a worker). */
  rotateIfOverLimit(): void {
    if (this.fd === undefined || this.sizeLimit <= 0) return;
    try {
      if (fstatSync(this.fd).size > this.sizeLimit) this.overLimit();
    } catch {
      // As for a failed write: logging must not take the server down.
    }
  }

  /** The file passed the size limit. */
  private overLimit(): void {
    if (this.movedAway()) {
      // The main thread (or logrotate) already moved it: follow the new file.
      this.reopen();
      this.rotateAsked = false;
    } else if (this.onRotateNeeded !== undefined) {
      if (!this.rotateAsked) {
        this.rotateAsked = true;
        this.onRotateNeeded();
      }
    } else {
      this.rotate();
    }
  }

  /** True when the log file's name no longer leads to the file this Logger writes. */
  private movedAway(): boolean {
    const mine = fstatSync(this.fd as number);
    try {
      return statSync(this.logFile as string).ino !== mine.ino;
    } catch {
      return true;
    }
  }

  /** Move the file aside under a timestamped name and start a new one. */
  private rotate(): void {
    const file = this.logFile as string;
    const backup = `${file}.${backupStamp(new Date(), this.clock())}`;
    renameSync(file, backup);
    this.reopen();
    this.emitDirect('INF', `Rotated log, backup saved as ${JSON.stringify(backup)}`);
    if (this.maxFiles > 0) this.purgeBackups(file);
  }

  /** Removes the oldest `<file>.<stamp>` backups so that at most maxFiles-1 remain. */
  private purgeBackups(file: string): void {
    const dir = dirname(file);
    const base = basename(file);
    const stamp = /^\d{4}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{9}$/;
    const backups = readdirSync(dir)
      .filter((name) => name.startsWith(`${base}.`) && stamp.test(name.slice(base.length + 1)))
      .sort();
    const excess = backups.length - (this.maxFiles - 1);
    for (let i = 0; i < excess; i++) {
      try {
        unlinkSync(join(dir, backups[i]));
        this.emitDirect('INF', `Purged log file ${JSON.stringify(backups[i])}`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.emitDirect('ERR', `Unable to remove backup log file ${JSON.stringify(backups[i])} (${reason}), will attempt next rotation`);
        return;
      }
    }
  }

  /** A line written straight to the file, bypassing the rotation check (rotation's own notices). */
  private emitDirect(level: LogLevel, text: string): void {
    const write = this.write;
    this.write = (line) => {
      // nats-server writes these few lines itself, ending them with CRLF; so does Myelin, byte for byte.
      const crlf = this.json ? line : `${line.slice(0, -1)}\r\n`;
      if (this.fd !== undefined) writeSync(this.fd, crlf);
    };
    try {
      this.emit(level, text);
    } finally {
      this.write = write;
    }
  }
}

/** nats-server's backup suffix: local time, `YYYY.MM.DD.HH.MM.SS.NNNNNNNNN`. */
function backupStamp(date: Date, micros: number): string {
  const nanos = `${String(Math.floor(micros % 1e6)).padStart(6, '0')}000`;
  return (
    `${pad(date.getFullYear(), 4)}.${pad(date.getMonth() + 1, 2)}.${pad(date.getDate(), 2)}.` +
    `${pad(date.getHours(), 2)}.${pad(date.getMinutes(), 2)}.${pad(date.getSeconds(), 2)}.${nanos}`
  );
}

/**
 * Formats "YYYY/MM/DD HH:MM:SS.uuuuuu " (with the trailing space Go's logger puts there).
 * The date-and-seconds part is cached per second, so a busy logger mostly pads micros.
 */
class TimestampFormatter {
  private cachedSecond = Number.NaN;
  private cachedText = '';

  constructor(
    private readonly utc: boolean,
    private readonly clock: () => number,
  ) {}

  now(): string {
    const micros = this.clock();
    const second = Math.floor(micros / 1e6);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedText = formatDateTime(new Date(second * 1000), this.utc);
    }
    const fraction = Math.floor(micros - second * 1e6);
    return `${this.cachedText}.${String(fraction).padStart(6, '0')} `;
  }
}

function formatDateTime(date: Date, utc: boolean): string {
  const year = utc ? date.getUTCFullYear() : date.getFullYear();
  const month = (utc ? date.getUTCMonth() : date.getMonth()) + 1;
  const day = utc ? date.getUTCDate() : date.getDate();
  const hour = utc ? date.getUTCHours() : date.getHours();
  const minute = utc ? date.getUTCMinutes() : date.getMinutes();
  const second = utc ? date.getUTCSeconds() : date.getSeconds();
  return `${pad(year, 4)}/${pad(month, 2)}/${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Wall-clock microseconds. Date.now() only has milliseconds; performance.now() has
 * microseconds but is monotonic, so over a long run it can drift from the wall clock
 * (suspend, NTP steps). We start from performance.timeOrigin, which is the wall time of
 * performance.now()'s zero, and re-anchor to Date.now() when the two disagree by more
 * than a millisecond (the slack absorbs Date.now() rounding down to whole milliseconds).
 */
export function microsecondClock(): () => number {
  let offsetMs = performance.timeOrigin;
  return () => {
    const wallMs = Date.now();
    let nowMs = performance.now() + offsetMs;
    if (nowMs < wallMs - 1 || nowMs >= wallMs + 2) {
      offsetMs = wallMs + 0.5 - performance.now();
      nowMs = wallMs + 0.5;
    }
    return Math.floor(nowMs * 1000);
  };
}
