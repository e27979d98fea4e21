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
// Writes are synchronous, like Go's logger (a file is written with writeSync; stderr is
// synchronous in Node for files, terminals and pipes on Linux): lines keep their order with
// whatever else the process prints, and nothing is lost when the process exits after a fatal.

import { closeSync, openSync, writeSync } from 'node:fs';

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

  constructor(options: LoggerOptions = {}) {
    this.debugEnabled = options.debug ?? false;
    this.traceEnabled = options.trace ?? false;
    this.prefix = `[${options.pid ?? process.pid}] `;
    this.timestamps = (options.logtime ?? true)
      ? new TimestampFormatter(options.logtimeUTC ?? false, options.clock ?? microsecondClock())
      : undefined;

    const toFile = options.logFile !== undefined && options.logFile !== '';
    const colors = options.colors ?? (!toFile && options.sink === undefined && process.stderr.isTTY === true);
    this.labels = colors ? COLORED_LABELS : PLAIN_LABELS;

    if (options.sink !== undefined) {
      this.write = options.sink;
    } else if (toFile) {
      const fd = openSync(options.logFile as string, 'a', 0o640);
      this.fd = fd;
      this.write = (line) => {
        try {
          writeSync(fd, line);
        } catch {
          // Like Go's logger, a failed write (disk full, ...) is dropped rather than
          // taking the server down with it.
        }
      };
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
   * Take new settings (config reload): levels, timestamps and destination. The old log file, if any, is
   * closed after the new destination is open, so no line is lost in between.
   */
  reconfigure(options: LoggerOptions): void {
    const next = new Logger(options);
    const oldFd = this.fd;
    this.debugEnabled = next.debugEnabled;
    this.traceEnabled = next.traceEnabled;
    this.prefix = next.prefix;
    this.labels = next.labels;
    this.timestamps = next.timestamps;
    this.write = next.write;
    this.fd = next.fd;
    if (oldFd !== undefined) closeSync(oldFd);
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
    const time = this.timestamps === undefined ? '' : this.timestamps.now();
    // Go's log package ends every entry with exactly one newline.
    const newline = text.endsWith('\n') ? '' : '\n';
    this.write(`${this.prefix}${time}${this.labels[level]}${text}${newline}`);
  }
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
