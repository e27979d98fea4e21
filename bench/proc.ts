// Child processes for the comparison benchmark: every child has a hard deadline and is killed when it passes,
// when the benchmark exits, or when it is interrupted. Also /proc readers for server CPU time and memory.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the child was killed because its deadline passed. */
  timedOut: boolean;
}

export interface Child {
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Program and arguments, shell-quoted, for the results file. */
  readonly commandLine: string;
  /** stdout and stderr as received, interleaved. */
  output(): string;
  stdout(): string;
  readonly exited: Promise<ExitInfo>;
  /** Resolves true once `re` has matched `count` times in the output; false on deadline or exit. */
  waitFor(re: RegExp, count: number, timeoutMs: number): Promise<boolean>;
  /** Resolves with the exit info, or undefined if it did not exit within timeoutMs. */
  waitExit(timeoutMs: number): Promise<ExitInfo | undefined>;
  send(line: string): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone (bounded). */
  stop(graceMs?: number): Promise<ExitInfo | undefined>;
}

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      for (const p of live) p.kill('SIGKILL');
      process.exit(130);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(cmd: string, args: string[]): string {
  return [cmd, ...args].map(quote).join(' ');
}

/** Start a child that is SIGKILLed if still running after deadlineMs. */
export function startChild(cmd: string, args: string[], deadlineMs: number, env?: NodeJS.ProcessEnv): Child {
  installHooks();
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(proc);
  let all = '';
  let out = '';
  let timedOut = false;
  let exitInfo: ExitInfo | undefined;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const w of [...watchers]) w();
  };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    // Bounded: keep the last 4 MB.
    all = (all + d).slice(-4_000_000);
    out = (out + d).slice(-4_000_000);
    notify();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    all = (all + d).slice(-4_000_000);
    notify();
  });
  proc.stdin!.on('error', () => {});
  const kill = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, deadlineMs);
  const exited = new Promise<ExitInfo>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exitInfo) return;
      clearTimeout(kill);
      live.delete(proc);
      exitInfo = { code, signal, timedOut };
      notify();
      resolve(exitInfo);
    };
    proc.on('close', done);
    proc.on('error', (err) => {
      all += `\n[spawn error] ${err.message}\n`;
      done(null, null);
    });
  });
  const waitExit = async (timeoutMs: number): Promise<ExitInfo | undefined> => {
    if (exitInfo) return exitInfo;
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([exited, new Promise<undefined>((res) => (t = setTimeout(() => res(undefined), timeoutMs)))]);
    clearTimeout(t);
    return r;
  };
  return {
    pid: proc.pid ?? -1,
    proc,
    commandLine: shellLine(cmd, args),
    output: () => all,
    stdout: () => out,
    exited,
    waitExit,
    waitFor(re, count, timeoutMs) {
      const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
      const ok = () => (all.match(g)?.length ?? 0) >= count;
      if (ok()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => finish(false), timeoutMs);
        const w = () => {
          if (ok()) finish(true);
          else if (exitInfo) finish(false);
        };
        const finish = (v: boolean) => {
          clearTimeout(t);
          watchers.delete(w);
          resolve(v);
        };
        watchers.add(w);
      });
    },
    send(line) {
      if (!exitInfo) proc.stdin!.write(line);
    },
    async stop(graceMs = 3000) {
      if (exitInfo) return exitInfo;
      proc.kill('SIGTERM');
      const r = await waitExit(graceMs);
      if (r) return r;
      proc.kill('SIGKILL');
      return waitExit(5000);
    },
  };
}

/** Run to completion (or deadline) and return the exit info with the output. */
export async function runChild(cmd: string, args: string[], deadlineMs: number): Promise<ExitInfo & { output: string; commandLine: string }> {
  const c = startChild(cmd, args, deadlineMs);
  const e = await c.exited;
  return { ...e, output: c.output(), commandLine: c.commandLine };
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process in seconds (from /proc/<pid>/stat), or NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM (peak RSS) of a process in KiB (from /proc/<pid>/status), NaN if it is gone. */
export function memKiB(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: get('VmRSS'), hwm: get('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}
