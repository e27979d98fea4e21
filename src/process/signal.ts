// `--signal <name>[=<pid>]` (`-sl`): send a command to a running server, as nats-server does. The target is
// a pid, a pid file, or (with no target) every process whose title is this program's name.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const SIGNALS: Record<string, NodeJS.Signals> = {
  stop: 'SIGKILL',
  quit: 'SIGINT',
  term: 'SIGTERM',
  reopen: 'SIGUSR1',
  reload: 'SIGHUP',
  ldm: 'SIGUSR2',
};

function resolvePids(target: string | undefined, exe: string): number[] {
  if (target !== undefined && target !== '') {
    if (/^\d+$/.test(target)) return [Number(target)];
    if (existsSync(target)) return [Number(readFileSync(target, 'utf8').trim())];
    throw new Error(`unable to resolve pid, try providing one`);
  }
  let out = '';
  try {
    out = execFileSync('pgrep', ['-x', exe], { encoding: 'utf8' });
  } catch {
    throw new Error(`no ${exe} processes running`);
  }
  const pids = out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number)
    .filter((p) => p !== process.pid);
  if (pids.length === 0) throw new Error(`no ${exe} processes running`);
  if (pids.length > 1) throw new Error(`multiple ${exe} processes running:\n${pids.join('\n')}`);
  return pids;
}

/** Returns the exit status for the command. */
export function sendSignal(name: string, target: string | undefined, exe: string): number {
  const signal = SIGNALS[name];
  if (signal === undefined) {
    process.stderr.write(`${exe}: unknown signal "${name}"\n`);
    return 1;
  }
  try {
    for (const pid of resolvePids(target, exe)) process.kill(pid, signal);
    return 0;
  } catch (err) {
    process.stderr.write(`${exe}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
