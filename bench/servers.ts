// Start Myelin or the Go nats-server on a random loopback port with the same nats-server command line:
//   -a 127.0.0.1 -p -1 --ports_file_dir <fresh tmp dir> [extra args]
// and find the port in the ports file `<dir>/<exe>_<pid>.ports` ({"nats":["nats://127.0.0.1:PORT"]}).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cpuSeconds, memKiB, sleep, startChild, type Child, type ExitInfo } from './proc.js';

export type ServerName = 'myelin' | 'nats-server';

export interface ServerSpec {
  name: ServerName;
  /** Executable and the arguments before the nats-server flags (e.g. node + bin/myelin.js). */
  cmd: string;
  pre: string[];
  /** Extra flags appended after the standard ones (e.g. --workers 2). */
  extra: string[];
}

export interface RunningServer {
  name: ServerName;
  pid: number;
  url: string;
  commandLine: string;
  child: Child;
  cpu(): number;
  mem(): { rss: number; hwm: number };
  /** True while the process runs. */
  alive(): boolean;
  /** Log lines that suggest trouble (errors, slow consumers, panics). */
  problems(): string[];
  stop(): Promise<ExitInfo | undefined>;
}

function readPort(dir: string, pid: number): number | undefined {
  try {
    const name = readdirSync(dir).find((n) => n.endsWith(`_${pid}.ports`));
    if (!name) return undefined;
    const j = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { nats?: string[] };
    const m = /:(\d+)$/.exec(j.nats?.[0] ?? '');
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // not there yet, or half written
  }
}

/** Start a server; it is killed if still alive after lifetimeMs. */
export async function startServer(spec: ServerSpec, lifetimeMs: number, startTimeoutMs = 15_000): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-bench-'));
  const args = [...spec.pre, '-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir, ...spec.extra];
  const child = startChild(spec.cmd, args, lifetimeMs);
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  let port: number | undefined;
  const end = Date.now() + startTimeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < end && !exited; i++) {
    port = readPort(dir, child.pid);
    if (port) break;
    await sleep(10);
  }
  if (!port) {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${spec.name} did not start within ${startTimeoutMs} ms (${exited ? 'exited' : 'no ports file'}): ${child.output().slice(-2000)}`);
  }
  return {
    name: spec.name,
    pid: child.pid,
    url: `nats://127.0.0.1:${port}`,
    commandLine: child.commandLine,
    child,
    cpu: () => cpuSeconds(child.pid),
    mem: () => memKiB(child.pid),
    alive: () => !exited,
    problems: () =>
      child
        .output()
        .split('\n')
        .filter((l) => /\[(ERR|FTL|WRN)\]|panic|Slow Consumer|Error|error:/.test(l))
        .slice(0, 20),
    async stop() {
      const r = await child.stop(5000);
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
}
