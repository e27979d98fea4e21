// The data worker threads of a server (all but the first share of connections, which the main thread
// serves itself). Handing a connection over: the main thread accepted it paused, so it has read nothing;
// it duplicates the file descriptor, closes its own copy and posts the duplicate to the worker, which then
// owns the connection. That needs a Unix file descriptor; elsewhere the caller keeps the connection.

import type { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

import { detachFd } from '../conn/socket-fd.js';
import type { EngineHostSettings } from '../conn/engine-host.js';
import type { EngineStats } from '../native/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import type { HostSnapshot, MonitorQuery } from '../monitor/snapshot.js';
import type { ClientEvent } from '../system/client-event.js';
import type { Options } from '../config/options.js';
import type { AuthConfig } from '../auth/config.js';
import type { TlsSettings } from '../net/tls-settings.js';

/** Longest a worker may take to close its connections and exit on shutdown. */
const SHUTDOWN_WAIT_MS = 3000;

type Stats = EngineStats & { connections: number };

export class WorkerSet {
  private readonly workers: Worker[] = [];
  private readonly waiters = new Map<string, ((msg: FromWorker) => void)[]>();
  private nextStatsId = 1;
  /** Called when a worker's connection is gone. */
  onConnectionClosed: (cid: number) => void = () => {};
  /** Called with a worker's client connect/disconnect event for the system account. */
  onClientEvent: (event: ClientEvent) => void = () => {};

  /** Start `count` workers; `settingsFor(i)` gives worker i's settings (its router worker index is i + 1). */
  async start(count: number, settingsFor: (index: number) => EngineHostSettings): Promise<void> {
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const init: WorkerInit = { settings: settingsFor(i) };
      const worker = new Worker(new URL('./data-worker.js', import.meta.url), { workerData: init });
      this.workers.push(worker);
      worker.on('message', (msg: FromWorker) => this.onMessage(i, msg));
      worker.on('error', (err) => {
        process.stderr.write(`myelin: data worker ${i + 1} failed: ${err.stack ?? err.message}\n`);
        process.exit(1);
      });
      ready.push(this.next(i, 'ready').then(() => undefined));
    }
    await Promise.all(ready);
  }

  get size(): number {
    return this.workers.length;
  }

  private onMessage(index: number, msg: FromWorker): void {
    if (msg.type === 'closed') {
      this.onConnectionClosed(msg.cid);
      return;
    }
    if (msg.type === 'rotate-log') {
      this.onRotateLog();
      return;
    }
    if (msg.type === 'client-event') {
      this.onClientEvent(msg.event);
      return;
    }
    const key = `${index}:${msg.type}${msg.type === 'stats' || msg.type === 'monitor' ? `:${msg.id}` : ''}`;
    const list = this.waiters.get(key);
    const wake = list?.shift();
    if (list !== undefined && list.length === 0) this.waiters.delete(key);
    wake?.(msg);
  }

  private next(index: number, type: string): Promise<FromWorker> {
    return new Promise((resolve) => {
      const list = this.waiters.get(`${index}:${type}`) ?? [];
      list.push(resolve);
      this.waiters.set(`${index}:${type}`, list);
    });
  }

  /** A worker's log file is past the size limit: the main thread, the only one that renames it, rotates it. */
  onRotateLog: () => void = () => {};

  /** Every worker reopens its log file (SIGUSR1). */
  reopenLogs(): void {
    for (let i = 0; i < this.workers.length; i++) this.post(i, { type: 'reopen-log' });
  }

  private post(index: number, msg: ToWorker): void {
    this.workers[index]?.postMessage(msg);
  }

  /**
   * Give an accepted, paused socket to worker `index`. Returns false (and leaves the socket alone) where the
   * platform gives no file descriptor to hand over.
   */
  handOver(index: number, socket: Socket, cid: number): boolean {
    const fd = detachFd(socket);
    if (fd === undefined) return false;
    this.post(index, { type: 'adopt', fd, cid });
    return true;
  }

  announceLameDuck(): void {
    for (let i = 0; i < this.workers.length; i++) this.post(i, { type: 'lame-duck' });
  }

  async closeClients(windowMs: number): Promise<void> {
    const done = this.workers.map((_, i) => this.next(i, 'clients-closed'));
    for (let i = 0; i < this.workers.length; i++) this.post(i, { type: 'close-clients', windowMs });
    await Promise.all(done);
  }

  /** Config reload: one message per worker; resolves when each has applied it and checked its clients. */
  async reload(options: Options, auth: AuthConfig | undefined, tls: TlsSettings | undefined, logging: boolean): Promise<void> {
    const done = this.workers.map((_, i) => this.next(i, 'reloaded'));
    for (let i = 0; i < this.workers.length; i++) this.post(i, { type: 'reload', options, auth, tls, logging });
    await Promise.all(done);
  }

  /** Ask worker `index` to close up to `count` clients (max_connections lowered); resolves with how many it closed. */
  async closeExcess(index: number, count: number): Promise<number> {
    const reply = this.next(index, 'closed-excess');
    this.post(index, { type: 'close-excess', count });
    return ((await reply) as Extract<FromWorker, { type: 'closed-excess' }>).closed;
  }

  async shutdown(): Promise<void> {
    const exited = this.workers.map(
      (w) => new Promise<void>((resolve) => (w.threadId < 0 ? resolve() : w.once('exit', () => resolve()))),
    );
    for (let i = 0; i < this.workers.length; i++) this.post(i, { type: 'shutdown' });
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref())]);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** One monitoring request to every worker (one message each), answered with their snapshots. */
  async monitorSnapshots(query: MonitorQuery): Promise<HostSnapshot[]> {
    return Promise.all(
      this.workers.map(async (_, i) => {
        const id = this.nextStatsId++;
        const reply = this.next(i, `monitor:${id}`);
        this.post(i, { type: 'monitor', id, query });
        const msg = await reply;
        return (msg as Extract<FromWorker, { type: 'monitor' }>).snapshot;
      }),
    );
  }

  async stats(): Promise<Stats[]> {
    return Promise.all(
      this.workers.map(async (_, i) => {
        const id = this.nextStatsId++;
        const reply = this.next(i, `stats:${id}`);
        this.post(i, { type: 'stats', id });
        const msg = await reply;
        return (msg as Extract<FromWorker, { type: 'stats' }>).stats;
      }),
    );
  }
}
