// Shared setup for the monitoring tests: a server with HTTP monitoring on a random port (found in the ports
// file's `monitoring` list), and a known population: clients "alpha" (SUB foo.bar, SUB foo.* in queue q1)
// and "beta" (SUB baz.>), five 5-byte messages from beta to foo.bar, and a client "gone" that has closed.

import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from 'nats';

import { checkFor, isGo, startServer, type ServerHandle, type StartOptions } from '../helpers/server.js';

export interface MonitoredServer {
  srv: ServerHandle;
  /** e.g. http://127.0.0.1:PORT */
  base: string;
  monitoringUrls: string[];
}

export async function startMonitored(opts: StartOptions & { backend?: 'uws' | 'node' } = {}): Promise<MonitoredServer> {
  const before = process.env.MYELIN_HTTP_LISTENER;
  if (opts.backend !== undefined) process.env.MYELIN_HTTP_LISTENER = opts.backend;
  let srv: ServerHandle;
  try {
    const args = opts.args ?? ['-m', '-1', ...(isGo ? [] : ['--workers', '2'])];
    srv = await startServer({ ...opts, args });
  } finally {
    if (before === undefined) delete process.env.MYELIN_HTTP_LISTENER;
    else process.env.MYELIN_HTTP_LISTENER = before;
  }
  const ports = await checkFor(5000, 20, () => {
    const parsed = JSON.parse(readFileSync(srv.portsFile, 'utf8')) as { monitoring?: string[] };
    return parsed.monitoring !== undefined ? parsed : undefined;
  });
  return { srv, base: ports.monitoring![0], monitoringUrls: ports.monitoring! };
}

export interface Population {
  alpha: NatsConnection;
  beta: NatsConnection;
  close(): Promise<void>;
}

/** Connect the known clients and traffic; waits until the server's counters show all of it. */
export async function populate(m: MonitoredServer): Promise<Population> {
  const alpha = await connect({ servers: m.srv.url, name: 'alpha', reconnect: false });
  const beta = await connect({ servers: m.srv.url, name: 'beta', reconnect: false });
  alpha.subscribe('foo.bar');
  alpha.subscribe('foo.*', { queue: 'q1' });
  beta.subscribe('baz.>');
  await alpha.flush();
  await beta.flush();
  for (let i = 0; i < 5; i++) beta.publish('foo.bar', 'hello');
  await beta.flush();
  const gone = await connect({ servers: m.srv.url, name: 'gone', reconnect: false });
  await gone.close();
  // Deliveries may cross threads; poll (bounded) until the counters and the closed list settle.
  await checkFor(5000, 20, async () => {
    const v = (await getJson(m, '/varz')) as { out_msgs: number; connections: number };
    const closed = (await getJson(m, '/connz?state=closed')) as { total: number };
    return v.out_msgs >= 10 && v.connections === 2 && closed.total >= 1;
  });
  return {
    alpha,
    beta,
    close: async () => {
      await alpha.close();
      await beta.close();
    },
  };
}

export async function get(m: MonitoredServer, path: string): Promise<{ status: number; type: string; body: string; headers: Headers }> {
  const res = await fetch(`${m.base}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text(), headers: res.headers };
}

export async function getJson(m: MonitoredServer, path: string): Promise<Record<string, unknown>> {
  const res = await get(m, path);
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

type Shape = 'string' | 'number' | 'boolean' | 'object' | 'array' | { [key: string]: Shape };

/** Check that `value` has every key of `shape` with the JSON type given (nested objects recursively). */
export function assertShape(value: unknown, shape: Shape, where = '$'): void {
  if (typeof shape === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected object, got ${JSON.stringify(value)}`);
    for (const [k, s] of Object.entries(shape)) {
      if (!(k in value)) throw new Error(`${where}.${k}: missing`);
      assertShape((value as Record<string, unknown>)[k], s, `${where}.${k}`);
    }
    return;
  }
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (actual !== shape) throw new Error(`${where}: expected ${shape}, got ${actual} (${JSON.stringify(value)})`);
}
