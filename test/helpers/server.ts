// Process-level helper for integration tests.
//
// Spawns either the reference Go nats-server (when NATS_SERVER_BIN names a binary) or Myelin
// (`node bin/myelin.js`). Both get the same nats-server compatible command line:
//   -a 127.0.0.1 -p -1 --ports_file_dir <fresh tmp dir> [-c <tmp config file>] [extra args]
// and the client port is discovered from the ports file `<dir>/<exe>_<pid>.ports`, whose
// content is JSON like {"nats":["nats://127.0.0.1:PORT"]}.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when the suite runs against the reference Go nats-server. */
export const isGo = !!process.env.NATS_SERVER_BIN;

/** Repository root (this file compiles to <repo>/dist/test/helpers/server.js). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The command that starts the server under test: [executable, ...leading args]. */
export function serverCommand(): { cmd: string; baseArgs: string[] } {
  const bin = process.env.NATS_SERVER_BIN;
  if (bin) return { cmd: bin, baseArgs: [] };
  return { cmd: process.execPath, baseArgs: [join(repoRoot, 'bin', 'myelin.js')] };
}

/** Executable name expected in the ports file name (`<exe>_<pid>.ports`). */
export function expectedExeName(): string {
  const bin = process.env.NATS_SERVER_BIN;
  if (bin) return bin.split('/').pop() as string;
  return 'myelin';
}

export interface StartOptions {
  /** Extra command-line arguments appended after the standard ones. */
  args?: string[];
  /** Configuration file text; written to a temp file and passed with `-c`. */
  config?: string;
  /** Deadline for the ports file to appear (ms). Default 10 s. */
  startTimeoutMs?: number;
  /** Leave out `-p -1`: the client port comes from the config file (a reload test changes it there). */
  portFromConfig?: boolean;
  /** Extra environment variables for the server process. */
  env?: Record<string, string>;
}

export interface StopOptions {
  /** Deadline before escalating to SIGKILL (ms). Default 5 s. */
  timeoutMs?: number;
  /** Keep the temp dir (ports file dir + config) after exit; caller must call cleanup(). */
  keepFiles?: boolean;
}

export interface ServerHandle {
  port: number;
  url: string;
  pid: number;
  proc: ChildProcess;
  /** Temp dir used as --ports_file_dir (also holds the config file). */
  dir: string;
  /** Full path of the ports file the server wrote. */
  portsFile: string;
  /** Path of the config file, if any. */
  configFile?: string;
  /** Everything the server wrote to stderr so far (its log). */
  stderr(): string;
  /** Everything the server wrote to stdout so far. */
  stdout(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process exits. */
  exited: Promise<number | null>;
  /** Send `signal` (default SIGTERM), wait for exit (bounded), SIGKILL after the deadline. */
  stop(signal?: NodeJS.Signals, opts?: StopOptions): Promise<number | null>;
  /** Remove the temp dir. Idempotent. */
  cleanup(): void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolve with p's value, or with `undefined` after ms; the timer never outlives the race. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (t = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/**
 * Poll `fn` every `intervalMs` until it returns a truthy value (or a promise of one) without
 * throwing, or fail once `deadlineMs` has elapsed. Returns fn's last (truthy) result.
 */
export async function checkFor<T>(
  deadlineMs: number,
  intervalMs: number,
  fn: () => T | Promise<T>,
): Promise<NonNullable<T>> {
  const end = Date.now() + deadlineMs;
  let lastErr: unknown = undefined;
  for (let i = 0; i < 1_000_000; i++) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      lastErr = undefined;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= end) break;
    await sleep(intervalMs);
  }
  if (lastErr instanceof Error) {
    lastErr.message = `checkFor: condition not met within ${deadlineMs} ms: ${lastErr.message}`;
    throw lastErr;
  }
  throw new Error(`checkFor: condition not met within ${deadlineMs} ms${lastErr !== undefined ? `: ${String(lastErr)}` : ''}`);
}

/** Spawn a server process with arbitrary args (no standard args). Used for -v / bad flags. */
export function runServerCommand(
  args: string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const { cmd, baseArgs } = serverCommand();
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, [...baseArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server command ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    proc.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
}

function findPortsFile(dir: string, pid: number): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.endsWith(`_${pid}.ports`));
  return name ? join(dir, name) : undefined;
}

function readClientPort(file: string): number | undefined {
  let txt: string;
  try {
    txt = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(txt);
  } catch {
    return undefined; // partially written; poll again
  }
  const nats = (parsed as { nats?: unknown }).nats;
  if (!Array.isArray(nats) || typeof nats[0] !== 'string') return undefined;
  const m = /:(\d+)$/.exec(nats[0]);
  return m ? Number(m[1]) : undefined;
}

// Servers still running when the test process exits (e.g. a crashed test file) are killed.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const { cmd, baseArgs } = serverCommand();
  const dir = mkdtempSync(join(tmpdir(), 'myelin-test-'));
  const args = [...baseArgs, '-a', '127.0.0.1', ...(opts.portFromConfig === true ? [] : ['-p', '-1']), '--ports_file_dir', dir];
  let configFile: string | undefined;
  if (opts.config !== undefined) {
    configFile = join(dir, 'server.conf');
    writeFileSync(configFile, opts.config);
    args.push('-c', configFile);
  }
  if (opts.args) args.push(...opts.args);

  const env = opts.env !== undefined ? { ...process.env, ...opts.env } : process.env;
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  let errBuf = '';
  let outBuf = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (errBuf += d));
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (outBuf += d));

  let exitCode: number | null | undefined = undefined;
  // 'close' fires once stdio is drained, so stderr() is complete; bounded in case a
  // grandchild keeps the pipes open.
  const closed = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => {
      void withTimeout(closed, 1000).then(() => {
        exitCode = code;
        resolve(code);
      });
    });
    proc.on('error', () => {
      exitCode = null;
      resolve(null);
    });
  });

  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    rmSync(dir, { recursive: true, force: true });
  };

  const killNow = async () => {
    if (exitCode === undefined) {
      proc.kill('SIGKILL');
      await withTimeout(exited, 5000);
    }
    cleanup();
  };

  const pid = proc.pid;
  if (pid === undefined) {
    await killNow();
    throw new Error(`failed to spawn ${cmd}`);
  }

  const deadline = opts.startTimeoutMs ?? 10_000;
  let portsFile: string | undefined;
  let port: number | undefined;
  const end = Date.now() + deadline;
  for (let i = 0; i < 100_000 && Date.now() < end; i++) {
    if (exitCode !== undefined) {
      cleanup();
      throw new Error(`server exited early with code ${exitCode}; stderr:\n${errBuf}\nstdout:\n${outBuf}`);
    }
    portsFile = findPortsFile(dir, pid);
    if (portsFile) {
      port = readClientPort(portsFile);
      if (port) break;
    }
    await sleep(20);
  }
  if (!portsFile || !port) {
    await killNow();
    throw new Error(`no ports file with a client port in ${dir} within ${deadline} ms; stderr:\n${errBuf}`);
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', sopts: StopOptions = {}): Promise<number | null> => {
    const timeoutMs = sopts.timeoutMs ?? 5000;
    if (exitCode === undefined) {
      proc.kill(signal);
      await withTimeout(exited, timeoutMs);
      if (exitCode === undefined) {
        proc.kill('SIGKILL');
        await withTimeout(exited, 5000);
      }
    }
    if (!sopts.keepFiles) cleanup();
    return exitCode === undefined ? null : exitCode;
  };

  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    pid,
    proc,
    dir,
    portsFile,
    configFile,
    stderr: () => errBuf,
    stdout: () => outBuf,
    exited,
    stop,
    cleanup,
  };
}
